package lab

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/vigilhq/vigil/internal/alert"
	"github.com/vigilhq/vigil/internal/detect"
	"github.com/vigilhq/vigil/internal/serve"
	"github.com/vigilhq/vigil/internal/store/sqlite"
)

// vigilToken authenticates Dovecot's http-post exporter at vigil's intake.
const vigilToken = "lab-exporter-token"

// follower runs `vigil serve` (in process, serve.Run) on the lab: it tails
// the Dovecot and Postfix log files, takes the event exporter's http-post at
// its HTTP intake, and writes its alerts as JSON lines on stdout, which the
// follower reads, recording each alert with the wall clock time it arrived.
type follower struct {
	t   *testing.T
	grp alert.Grouper
	// onAlert, if set, sees each alert for which respondIf is true, with its
	// incident (the responder, driven by the test from vigil's alerts).
	onAlert   func(*alert.Alert, *alert.Incident)
	respondIf func(*alert.Alert) bool

	mu     sync.Mutex
	alerts []raised

	cancel context.CancelFunc
	done   chan struct{}
	once   sync.Once
}

type raised struct {
	A    *alert.Alert
	Wall time.Time
}

// startVigil learns the baselines into a fresh data directory's store, then
// starts vigil serve on the lab.
func startVigil(t *testing.T, l *Lab, learn func(detect.BaselineStore)) *follower {
	data := t.TempDir()
	st, err := sqlite.Open(context.Background(), sqlite.Options{Path: filepath.Join(data, "vigil.db")})
	if err != nil {
		t.Fatal(err)
	}
	learn(detect.NewStoreBaselines(st))
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	// Live: a session ends 2 s after its logout line, for the exporter's
	// mail_opened events that Dovecot's stats process may send after it.
	thresholds := filepath.Join(data, "detect.yml")
	if err := os.WriteFile(thresholds, []byte("end_grace: 2s\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfgText := fmt.Sprintf(`data_dir: %s
http:
  listen: 127.0.0.1:%d
sources:
  - {name: dovecot, type: file, paths: [%s], poll: 50ms}
  - {name: postfix, type: file, paths: [%s], poll: 50ms}
  - {name: exporter, type: http, path: /v1/dovecot/events, token: %s}
detect:
  thresholds: %s
  tick: 250ms
outputs:
  stdout: {enabled: true, min_severity: low}
`, data, l.VigilPort, l.DovecotLog, l.PostfixLog, vigilToken, thresholds)
	cfg, err := serve.ParseConfig("lab.yml", []byte(cfgText))
	if err != nil {
		t.Fatal(err)
	}
	pr, pw := io.Pipe()
	ctx, cancel := context.WithCancel(context.Background())
	f := &follower{t: t, cancel: cancel, done: make(chan struct{})}
	ready := make(chan struct{})
	served := make(chan error, 1)
	go func() {
		err := serve.Run(ctx, cfg, serve.Options{
			Logger: slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})),
			Stdout: pw,
			Ready:  func(string) { close(ready) },
		})
		_ = pw.CloseWithError(err)
		served <- err
	}()
	go func() {
		defer close(f.done)
		sc := bufio.NewScanner(pr)
		sc.Buffer(make([]byte, 0, 1<<20), 16<<20)
		for sc.Scan() {
			var a alert.Alert
			if err := json.Unmarshal(sc.Bytes(), &a); err != nil {
				t.Errorf("vigil serve stdout: %v: %s", err, sc.Text())
				continue
			}
			f.emit(&a)
		}
		if err := <-served; err != nil && !errors.Is(err, context.Canceled) {
			t.Errorf("vigil serve: %v", err)
		}
	}()
	select {
	case <-ready:
	case <-time.After(30 * time.Second):
		t.Fatal("vigil serve not ready in 30 s")
	}
	t.Cleanup(f.close)
	return f
}

// close stops vigil serve and waits for its last alerts.
func (f *follower) close() {
	f.once.Do(func() {
		f.cancel()
		<-f.done
	})
}

func (f *follower) emit(a *alert.Alert) {
	f.mu.Lock()
	inc := f.grp.Add(a)
	f.alerts = append(f.alerts, raised{A: a, Wall: time.Now()})
	f.mu.Unlock()
	if f.onAlert != nil && (f.respondIf == nil || f.respondIf(a)) {
		f.onAlert(a, inc)
	}
}

// incident returns a copy of the incident a belongs to.
func (f *follower) incident(a *alert.Alert) *alert.Incident {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, inc := range f.grp.Incidents() {
		if inc.ID == a.Incident {
			c := *inc
			c.Timeline = append([]alert.Entry(nil), inc.Timeline...)
			return &c
		}
	}
	return nil
}

// record adds entries to an incident's timeline.
func (f *follower) record(inc *alert.Incident, es ...alert.Entry) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, e := range es {
		inc.Record(e)
	}
}

// waitFor returns the first alert raised (from the start) that match accepts,
// waiting up to d.
func (f *follower) waitFor(d time.Duration, match func(*alert.Alert) bool) (raised, bool) {
	deadline := time.Now().Add(d)
	for {
		f.mu.Lock()
		for _, r := range f.alerts {
			if match(r.A) {
				f.mu.Unlock()
				return r, true
			}
		}
		f.mu.Unlock()
		if time.Now().After(deadline) {
			return raised{}, false
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// all returns the alerts so far.
func (f *follower) all() []raised {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]raised(nil), f.alerts...)
}
