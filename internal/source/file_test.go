package source_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/vigilhq/vigil/internal/bus"
	"github.com/vigilhq/vigil/internal/event"
	"github.com/vigilhq/vigil/internal/parse"
	"github.com/vigilhq/vigil/internal/shareddata"
	"github.com/vigilhq/vigil/internal/source"
	"github.com/vigilhq/vigil/internal/store/sqlite"
)

type rig struct {
	env source.Env
	b   *bus.Bus
}

// newRig is a real embedded bus and a real SQLite checkpoint store.
func newRig(t *testing.T) rig {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	b, err := bus.Open(ctx, bus.Options{Dir: filepath.Join(dir, "js")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = b.Close() })
	st, err := sqlite.Open(ctx, sqlite.Options{Path: filepath.Join(dir, "vigil.db")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	return rig{env: source.Env{Bus: b, Checkpoints: st, Metrics: source.NewMetrics(nil)}, b: b}
}

// runFor runs src until it has published want events in total (or 20s).
func (r rig) runFor(t *testing.T, src source.Source, want float64) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- src.Run(ctx) }()
	deadline := time.Now().Add(20 * time.Second)
	for r.published(src.Name()) < want && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	time.Sleep(300 * time.Millisecond) // room for a wrong extra read to show
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

// streamEvents reads every event on the stream, in order, through a
// consumer of its own.
func (r rig) streamEvents(t *testing.T) []event.Event {
	t.Helper()
	msgs, _, err := r.b.StreamInfo(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var (
		mu   sync.Mutex
		evs  []event.Event
		seen uint64
	)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- r.b.Consume(ctx, bus.ConsumeOptions{Durable: "check", Batch: 64}, func(_ context.Context, batch []bus.Delivery) error {
			mu.Lock()
			defer mu.Unlock()
			for _, m := range batch {
				err := bus.Records(m.Data, func(_ string, data []byte) error {
					var ev event.Event
					if err := ev.UnmarshalJSON(data); err != nil {
						return err
					}
					evs = append(evs, ev)
					return nil
				})
				if err != nil {
					return err
				}
				seen++
			}
			return nil
		})
	}()
	for deadline := time.Now().Add(20 * time.Second); ; {
		mu.Lock()
		got := seen
		mu.Unlock()
		if got >= msgs || time.Now().After(deadline) {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	cancel()
	if err := <-done; err != nil && ctx.Err() == nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	return evs
}

func (r rig) published(name string) float64 {
	return testutil.ToFloat64(r.env.Metrics.Published.WithLabelValues(name))
}

func labLines(t *testing.T) []byte {
	b, err := os.ReadFile(shareddata.Path(t, "dovecot-2.3-lab/dovecot-info.log"))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func gz(t *testing.T, path string, data []byte) {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	if _, err := zw.Write(data); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
}

// TestGzPredecessor: a file read to its end, then compressed by logrotate,
// is not read again; a .gz never seen is read once, across restarts; an
// over-long line is counted and skipped, and the lines after it are read.
func TestGzPredecessor(t *testing.T) {
	r := newRig(t)
	dir := t.TempDir()
	lab := labLines(t)
	events := strings.Count(string(lab), "\n") - 1 // the lab log's one start-up line is ignored
	path := filepath.Join(dir, "mail.log")
	if err := os.WriteFile(path, lab, 0o600); err != nil {
		t.Fatal(err)
	}
	opts := source.FileOptions{Name: "mail", Paths: []string{filepath.Join(dir, "mail.log*")}, Poll: 10 * time.Millisecond,
		Parse: parse.Options{Location: time.UTC}}
	src, err := source.NewFile(r.env, opts)
	if err != nil {
		t.Fatal(err)
	}
	r.runFor(t, src, float64(events))
	if got := r.published("mail"); got != float64(events) {
		t.Fatalf("plain file: %v events published, want %d", got, events)
	}

	// logrotate: mail.log -> mail.log.1.gz; and an older log never seen.
	gz(t, path+".1.gz", lab)
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	older := bytes.ReplaceAll(lab, []byte("2026-11-29T"), []byte("2026-11-28T"))
	long := append(bytes.Repeat([]byte("x"), parse.MaxLineBytes+10), '\n')
	gz(t, path+".2.gz", append(long, older...))
	for range 2 { // two runs: the second must read nothing
		src, err := source.NewFile(r.env, opts)
		if err != nil {
			t.Fatal(err)
		}
		r.runFor(t, src, float64(2*events))
	}
	if got := r.published("mail"); got != float64(2*events) {
		t.Errorf("after rotation: %v events published, want %d (the older .gz once, the compressed copy not again)", got, 2*events)
	}
	if got := testutil.ToFloat64(r.env.Metrics.Lines.WithLabelValues("mail", "unknown", "too_long")); got != 1 {
		t.Errorf("too_long lines = %v, want 1", got)
	}
	if n := len(r.streamEvents(t)); n != 2*events {
		t.Errorf("stream holds %d events; want %d", n, 2*events)
	}
}

// TestReaderSource reads the lab log from a reader (stdin) to its end.
func TestReaderSource(t *testing.T) {
	r := newRig(t)
	lab := labLines(t)
	src, err := source.NewReader(r.env, bytes.NewReader(lab), source.ReaderOptions{Name: "stdin", Parse: parse.Options{Location: time.UTC}})
	if err != nil {
		t.Fatal(err)
	}
	if err := src.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	want := float64(strings.Count(string(lab), "\n") - 1)
	if got := r.published("stdin"); got != want {
		t.Errorf("published %v, want %v", got, want)
	}
	if got := testutil.ToFloat64(r.env.Metrics.Lines.WithLabelValues("stdin", "dovecot", "ignored")); got != 1 {
		t.Errorf("ignored dovecot lines = %v, want 1 (the start-up line)", got)
	}
}
