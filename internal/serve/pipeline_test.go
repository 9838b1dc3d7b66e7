package serve_test

import (
	"compress/gzip"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/vigilhq/vigil/internal/bus"
	"github.com/vigilhq/vigil/internal/serve"
)

func natsURL() string {
	if u := os.Getenv("VIGIL_NATS_URL"); u != "" {
		return u
	}
	return "nats://127.0.0.1:4222"
}

// baseConfig is a configuration on dir with the embedded bus, or with the
// machine's NATS and a stream unique to the test (deleted at the end).
func baseConfig(t *testing.T, dir string, external bool) serve.Config {
	cfg := serve.Defaults()
	cfg.DataDir = dir
	cfg.HTTP.Listen = "127.0.0.1:0"
	if external {
		name := fmt.Sprintf("VIGILTEST_%d_%d", os.Getpid(), time.Now().UnixNano())
		cfg.Bus.URL, cfg.Bus.Stream, cfg.Bus.Subject = natsURL(), name, "vigiltest."+name
		t.Cleanup(func() {
			b, err := bus.Open(context.Background(), bus.Options{URL: cfg.Bus.URL, Stream: name, Subject: cfg.Bus.Subject})
			if err != nil {
				t.Errorf("cleanup: %v", err)
				return
			}
			defer func() { _ = b.Close() }()
			if err := b.DeleteStream(context.Background()); err != nil {
				t.Errorf("cleanup: %v", err)
			}
		})
	}
	return cfg
}

// TestRotation writes lines while the log is rotated by rename-and-create,
// then by copytruncate, and the older copy is compressed; every line must be
// stored exactly once. It runs on the embedded bus and on the machine's NATS.
func TestRotation(t *testing.T) {
	for _, external := range []bool{false, true} {
		name := map[bool]string{false: "embedded", true: "external"}[external]
		t.Run(name, func(t *testing.T) { testRotation(t, external) })
	}
}

func testRotation(t *testing.T, external bool) {
	dir := t.TempDir()
	logs := filepath.Join(dir, "logs")
	if err := os.Mkdir(logs, 0o750); err != nil {
		t.Fatal(err)
	}
	cfg := baseConfig(t, filepath.Join(dir, "data"), external)
	cfg.Sources = []serve.SourceConfig{{Name: "mail", Type: "file", Paths: []string{filepath.Join(logs, "mail.log*")}, Poll: serve.Duration(20 * time.Millisecond)}}
	d := startDaemon(t, cfg)
	gen := newLineGen(t)
	path := filepath.Join(logs, "mail.log")
	w := newWriter(t, path, gen)
	const total, chunk = 30000, 500
	for from := 0; from < total; from += chunk {
		w.write(t, from, from+chunk)
		switch from {
		case 10000: // rename-and-create: mail.log -> mail.log.1, a new mail.log
			w.mu.Lock()
			if err := os.Rename(path, path+".1"); err != nil {
				t.Fatal(err)
			}
			w.reopen(t)
			w.mu.Unlock()
		case 20000: // copytruncate: mail.log.1 -> .2, copy mail.log to .1, truncate mail.log
			w.mu.Lock()
			if err := os.Rename(path+".1", path+".2"); err != nil {
				t.Fatal(err)
			}
			copyFile(t, path, path+".1")
			if err := os.Truncate(path, 0); err != nil {
				t.Fatal(err)
			}
			w.mu.Unlock()
		case 25000: // compress the oldest: mail.log.2 -> mail.log.2.gz
			gzipFile(t, path+".2")
		}
		time.Sleep(2 * time.Millisecond)
	}
	db := filepath.Join(cfg.DataDir, "vigil.db")
	// Wait for the count to reach total (or to stop moving: checkStored
	// then says which lines are missing), then give a duplicate the chance
	// to show up before stopping.
	waitStored(t, db, total, 30*time.Second)
	time.Sleep(500 * time.Millisecond)
	d.stop(t)
	checkStored(t, db, total, false)
}

func copyFile(t *testing.T, from, to string) {
	b, err := os.ReadFile(from) //nolint:gosec // G304: the test's own temp file
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, b, 0o600); err != nil { //nolint:gosec // G703: the test's own temp file
		t.Fatal(err)
	}
}

func gzipFile(t *testing.T, path string) {
	in, err := os.Open(path) //nolint:gosec // G304: the test's own temp file
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = in.Close() }()
	out, err := os.Create(path + ".gz.tmp") //nolint:gosec // G304: the test's own temp file
	if err != nil {
		t.Fatal(err)
	}
	zw := gzip.NewWriter(out)
	if _, err := io.Copy(zw, in); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := out.Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(path+".gz.tmp", path+".gz"); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
}

// TestRetention stores 3,000 events with a limit of 1,000 and an age limit
// that the lab's November 2026 timestamps pass only with a clock set after
// them: the store keeps the newest 1,000, then nothing once they are too old.
func TestRetention(t *testing.T) {
	dir := t.TempDir()
	logs := filepath.Join(dir, "logs")
	if err := os.Mkdir(logs, 0o750); err != nil {
		t.Fatal(err)
	}
	cfg := baseConfig(t, filepath.Join(dir, "data"), false)
	cfg.Sources = []serve.SourceConfig{{Name: "mail", Type: "file", Paths: []string{filepath.Join(logs, "mail.log")}, Timezone: "UTC",
		Poll: serve.Duration(20 * time.Millisecond)}}
	cfg.Store.Retention = serve.RetentionConfig{MaxEvents: 1000}
	w := newWriter(t, filepath.Join(logs, "mail.log"), newLineGen(t))
	w.write(t, 0, 3000)
	d := startDaemonOpts(t, cfg, serve.Options{RetentionEvery: 100 * time.Millisecond})
	db := filepath.Join(cfg.DataDir, "vigil.db")
	waitFor(t, 30*time.Second, "all lines read", func() bool { return d.metric(t, "vigil_store_events_total") >= 3000 })
	waitFor(t, 10*time.Second, "pruned to 1,000", func() bool { return countEvents(t, db) == 1000 })
	// The metric moves just after the prune's commit: wait for it too.
	waitFor(t, 10*time.Second, "the pruned metric at 2,000", func() bool { return d.metric(t, "vigil_store_events_pruned_total") >= 2000 })
	if got := d.metric(t, "vigil_store_events_pruned_total"); got != 2000 || countEvents(t, db) != 1000 {
		t.Errorf("pruned metric %v, want 2000; %d events stored, want 1000", got, countEvents(t, db))
	}
	d.stop(t)

	// Restart with a clock 31 days after the lines' time and a 30-day age limit.
	cfg.Store.Retention = serve.RetentionConfig{MaxAge: serve.Duration(30 * 24 * time.Hour)}
	late := time.Date(2026, 12, 31, 0, 0, 0, 0, time.UTC)
	d = startDaemonOpts(t, cfg, serve.Options{RetentionEvery: 100 * time.Millisecond, Now: func() time.Time { return late }})
	waitFor(t, 10*time.Second, "aged out", func() bool { return countEvents(t, db) == 0 })
	d.stop(t)
}
