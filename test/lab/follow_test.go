package lab

import (
	"bytes"
	"errors"
	"io"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/vigilhq/vigil/internal/alert"
	"github.com/vigilhq/vigil/internal/detect"
	"github.com/vigilhq/vigil/internal/event"
	"github.com/vigilhq/vigil/internal/parse"
)

// follower is a minimal live tail until `vigil serve` (issue 3) is merged:
// it polls the servers' log files every 50 ms, decodes each complete new line
// and feeds it to one detection engine, recording each alert with the wall
// clock time it was raised. With `vigil serve` the test will instead start the
// daemon on the same files (or point Dovecot's http-post exporter at its
// intake) and read its alert output.
type follower struct {
	t      *testing.T
	engine *detect.Engine
	grp    alert.Grouper
	files  []*tailed
	// onAlert, if set, sees each alert for which respondIf is true, with its
	// incident (the responder).
	onAlert   func(*alert.Alert, *alert.Incident)
	respondIf func(*alert.Alert) bool

	mu     sync.Mutex
	alerts []raised
	stop   chan struct{}
	done   chan struct{}
}

type raised struct {
	A    *alert.Alert
	Wall time.Time
}

type tailed struct {
	path    string
	off     int64
	line    int64
	partial []byte
	dec     *parse.Decoder
}

func newFollower(t *testing.T, engine *detect.Engine, paths ...string) *follower {
	f := &follower{t: t, engine: engine, stop: make(chan struct{}), done: make(chan struct{})}
	for _, p := range paths {
		dec, err := parse.NewDecoder(parse.Options{Location: time.Local})
		if err != nil {
			t.Fatal(err)
		}
		f.files = append(f.files, &tailed{path: p, dec: dec})
	}
	return f
}

func (f *follower) start() {
	go func() {
		defer close(f.done)
		tick := time.NewTicker(50 * time.Millisecond)
		defer tick.Stop()
		for {
			f.poll()
			select {
			case <-f.stop:
				f.poll()
				return
			case <-tick.C:
			}
		}
	}()
	f.t.Cleanup(f.close)
}

func (f *follower) close() {
	select {
	case <-f.stop:
	default:
		close(f.stop)
	}
	<-f.done
}

// poll reads what was appended to every file and processes it.
func (f *follower) poll() {
	var ev event.Event
	for _, tf := range f.files {
		fh, err := os.Open(tf.path)
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err != nil {
			f.t.Errorf("follow %s: %v", tf.path, err)
			continue
		}
		if _, err := fh.Seek(tf.off, io.SeekStart); err != nil {
			_ = fh.Close()
			f.t.Errorf("follow %s: %v", tf.path, err)
			continue
		}
		b, err := io.ReadAll(fh)
		_ = fh.Close()
		if err != nil {
			f.t.Errorf("follow %s: %v", tf.path, err)
			continue
		}
		tf.off += int64(len(b))
		tf.dec.SetReference(time.Now())
		data := append(tf.partial, b...)
		for {
			i := bytes.IndexByte(data, '\n')
			if i < 0 {
				break
			}
			line := string(data[:i])
			data = data[i+1:]
			tf.line++
			if _, err := tf.dec.Decode(line, &ev); err != nil {
				continue
			}
			ev.LogName, ev.LogLine = tf.path, tf.line
			if err := f.engine.Process(&ev, f.emit); err != nil {
				f.t.Errorf("engine: %v", err)
			}
		}
		tf.partial = append([]byte(nil), data...)
	}
	if err := f.engine.Tick(time.Now(), f.emit); err != nil {
		f.t.Errorf("engine: %v", err)
	}
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
