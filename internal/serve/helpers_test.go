package serve_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/valyala/fastjson"

	"github.com/vigilhq/vigil/internal/event"
	"github.com/vigilhq/vigil/internal/parse"
	"github.com/vigilhq/vigil/internal/serve"
	"github.com/vigilhq/vigil/internal/shareddata"
	"github.com/vigilhq/vigil/internal/store/sqlite"
)

// templates are real Dovecot 2.3 lines about dr.smith from the lab log:
// logins and session ends with read counts.
func templates(t testing.TB) []string {
	t.Helper()
	b, err := os.ReadFile(shareddata.Path(t, "dovecot-2.3-lab/dovecot-info.log"))
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, l := range strings.Split(string(b), "\n") {
		if strings.Contains(l, "dr.smith") && !strings.Contains(l, "stats:") {
			out = append(out, l)
		}
	}
	if len(out) < 4 {
		t.Fatalf("only %d template lines", len(out))
	}
	return out
}

// userOf is the unique account name of generated line i.
func userOf(i int) string { return fmt.Sprintf("u%07d", i) }

// lineGen makes line i: a real template with its account renamed to userOf(i).
type lineGen struct{ tmpl []string }

func newLineGen(t testing.TB) lineGen {
	g := lineGen{tmpl: templates(t)}
	// Every template must parse to an event about the renamed user.
	dec, err := parse.NewDecoder(parse.Options{Location: time.UTC})
	if err != nil {
		t.Fatal(err)
	}
	for i := range g.tmpl {
		var ev event.Event
		if _, err := dec.Decode(g.line(i), &ev); err != nil || ev.User != userOf(i) {
			t.Fatalf("template %d: user %q, %v", i, ev.User, err)
		}
	}
	return g
}

func (g lineGen) line(i int) string {
	return strings.ReplaceAll(g.tmpl[i%len(g.tmpl)], "dr.smith", userOf(i))
}

// writer appends generated lines to a file in chunks.
type writer struct {
	path string
	gen  lineGen
	mu   sync.Mutex // held while a chunk is written; rotations take it
	f    *os.File
}

func newWriter(t testing.TB, path string, gen lineGen) *writer {
	w := &writer{path: path, gen: gen}
	w.reopen(t)
	return w
}

func (w *writer) reopen(t testing.TB) {
	if w.f != nil {
		_ = w.f.Close()
	}
	f, err := os.OpenFile(w.path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	w.f = f
}

// write appends lines [from, to).
func (w *writer) write(t testing.TB, from, to int) {
	w.mu.Lock()
	defer w.mu.Unlock()
	bw := bufio.NewWriterSize(w.f, 256<<10)
	for i := from; i < to; i++ {
		_, _ = bw.WriteString(w.gen.line(i))
		_ = bw.WriteByte('\n')
	}
	if err := bw.Flush(); err != nil {
		t.Fatal(err)
	}
}

// checkStored opens the SQLite store and checks that it holds exactly the
// events of lines [0, n): each account once, with its line number when
// lineNumbers is set.
func checkStored(t testing.TB, dbPath string, n int, lineNumbers bool) {
	t.Helper()
	ctx := context.Background()
	s, err := sqlite.Open(ctx, sqlite.Options{Path: dbPath})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = s.Close() }()
	rows, err := s.SQL().QueryContext(ctx, `SELECT account, data FROM events`)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = rows.Close() }()
	seen := make([]int, n)
	total, bad := 0, 0
	var p fastjson.Parser
	for rows.Next() {
		var acct string
		var data []byte
		if err := rows.Scan(&acct, &data); err != nil {
			t.Fatal(err)
		}
		total++
		i, err := strconv.Atoi(strings.TrimPrefix(acct, "u"))
		if err != nil || i < 0 || i >= n {
			bad++
			continue
		}
		seen[i]++
		if lineNumbers {
			v, err := p.ParseBytes(data)
			if err != nil || v.GetInt("metadata", "log_line") != i+1 {
				bad++
				if bad < 5 {
					t.Errorf("line %d stored with log_line %d", i+1, v.GetInt("metadata", "log_line"))
				}
			}
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	missing, dup := 0, 0
	for i, c := range seen {
		switch {
		case c == 0:
			missing++
			if missing <= 5 {
				t.Errorf("line %d (%s) not stored", i+1, userOf(i))
			}
		case c > 1:
			dup++
			if dup <= 5 {
				t.Errorf("line %d (%s) stored %d times", i+1, userOf(i), c)
			}
		}
	}
	if total != n || missing > 0 || dup > 0 || bad > 0 {
		t.Fatalf("stored %d events for %d lines: %d missing, %d duplicated, %d wrong", total, n, missing, dup, bad)
	}
}

// countEvents reads the store's event count (concurrent readers are fine in WAL mode).
func countEvents(t testing.TB, dbPath string) int64 {
	t.Helper()
	s, err := sqlite.Open(context.Background(), sqlite.Options{Path: dbPath})
	if err != nil {
		return -1
	}
	defer func() { _ = s.Close() }()
	n, err := s.CountEvents(context.Background())
	if err != nil {
		return -1
	}
	return n
}

// daemon runs serve.Run in-process.
type daemon struct {
	cancel context.CancelFunc
	done   chan error
	addr   string
}

func startDaemon(t testing.TB, cfg serve.Config) *daemon {
	t.Helper()
	return startDaemonOpts(t, cfg, serve.Options{})
}

func startDaemonOpts(t testing.TB, cfg serve.Config, opts serve.Options) *daemon {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	d := &daemon{cancel: cancel, done: make(chan error, 1)}
	ready := make(chan string, 1)
	go func() {
		opts.Ready = func(a string) { ready <- a }
		d.done <- serve.Run(ctx, cfg, opts)
	}()
	select {
	case d.addr = <-ready:
	case err := <-d.done:
		t.Fatalf("serve stopped at start: %v", err)
	case <-time.After(60 * time.Second):
		t.Fatal("serve did not start in 60s")
	}
	return d
}

func (d *daemon) stop(t testing.TB) {
	t.Helper()
	d.cancel()
	if err := <-d.done; err != nil {
		t.Fatalf("serve: %v", err)
	}
}

// metric returns the value of one sample line of /metrics ("name{labels}").
func (d *daemon) metric(t testing.TB, sample string) float64 {
	t.Helper()
	resp, err := http.Get("http://" + d.addr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = resp.Body.Close() }()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, sample+" "); ok {
			f, err := strconv.ParseFloat(v, 64)
			if err != nil {
				t.Fatal(err)
			}
			return f
		}
	}
	return 0
}

// waitStored waits until the store holds n events, or the count has not
// moved for idle.
func waitStored(t testing.TB, db string, n int64, idle time.Duration) {
	t.Helper()
	last, since := int64(-1), time.Now()
	for {
		c := countEvents(t, db)
		if c >= n {
			return
		}
		if c != last {
			last, since = c, time.Now()
		}
		if time.Since(since) > idle {
			t.Errorf("store count stuck at %d of %d for %v", c, n, idle)
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// waitFor polls cond every 100ms for up to d.
func waitFor(t testing.TB, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			cond()
			t.Fatalf("timed out after %v waiting for %s", d, what)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
