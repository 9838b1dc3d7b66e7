package source_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vigilhq/vigil/internal/bus"
	"github.com/vigilhq/vigil/internal/parse"
	"github.com/vigilhq/vigil/internal/source"
)

// rotateOnPublish is the real bus, with a copytruncate done once, just
// before the first publish: the moment logrotate can strike while the file
// source is between two reads of one file.
type rotateOnPublish struct {
	source.Publisher
	once   sync.Once
	rotate func()
}

func (p *rotateOnPublish) Publish(ctx context.Context, msgs []bus.Message) error {
	p.once.Do(p.rotate)
	return p.Publisher.Publish(ctx, msgs)
}

// loginLines are n Dovecot login lines, each for its own user u<first+i>.
func loginLines(first, n int) string {
	var b strings.Builder
	for i := first; i < first+n; i++ {
		fmt.Fprintf(&b, "2026-11-29T06:18:32 imap-login: Info: Login: user=<u%d>, method=PLAIN, rip=127.0.0.2, lip=127.0.0.1, mpid=%d, session=<Z5k8Q2Rhtc1/AAAC>\n", i, 1000+i)
	}
	return b.String()
}

// TestCopytruncateWhileReading: logrotate's copytruncate empties the log
// and the daemon refills it past the source's position while the source is
// still reading the old file (publishing a batch takes a while). Every old
// line must come once from the copy, every new line once from the new file:
// none lost to the bus's duplicate check, none twice.
func TestCopytruncateWhileReading(t *testing.T) {
	r := newRig(t)
	dir := t.TempDir()
	path := filepath.Join(dir, "mail.log")
	const oldN, newN = 10000, 12000 // over the source's 1 MiB read buffer, each
	if err := os.WriteFile(path, []byte(loginLines(0, oldN)), 0o600); err != nil {
		t.Fatal(err)
	}
	env := r.env
	env.Bus = &rotateOnPublish{Publisher: r.b, rotate: func() {
		copyFile(t, path, path+".1")
		if err := os.WriteFile(path, []byte(loginLines(oldN, newN)), 0o600); err != nil { // O_TRUNC, then the new lines
			t.Error(err)
		}
	}}
	src, err := source.NewFile(env, source.FileOptions{Name: "mail", Paths: []string{filepath.Join(dir, "mail.log*")},
		Poll: 10 * time.Millisecond, Parse: parse.Options{Location: time.UTC}})
	if err != nil {
		t.Fatal(err)
	}
	r.runFor(t, src, oldN+newN)

	// Read the stream back: one event per user, each once.
	seen := make([]int, oldN+newN)
	evs := r.streamEvents(t)
	for _, ev := range evs {
		var i int
		if _, err := fmt.Sscanf(ev.User, "u%d", &i); err != nil || i < 0 || i >= len(seen) {
			t.Fatalf("event for %q", ev.User)
		}
		seen[i]++
	}
	n := len(evs)
	missing, twice := 0, 0
	for i, c := range seen {
		switch {
		case c == 0:
			missing++
			if missing <= 3 {
				t.Errorf("line of u%d not on the bus", i)
			}
		case c > 1:
			twice++
			if twice <= 3 {
				t.Errorf("line of u%d on the bus %d times", i, c)
			}
		}
	}
	if missing > 0 || twice > 0 || n != oldN+newN {
		t.Errorf("%d lines missing, %d more than once; the stream holds %d events, want %d", missing, twice, n, oldN+newN)
	}
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	b, err := os.ReadFile(from) //nolint:gosec // G304: the test's own temp file
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, b, 0o600); err != nil { //nolint:gosec // G703: the test's own temp file
		t.Fatal(err)
	}
}

// crashAfterPublish is the real bus; the n-th publish reaches the bus and
// is acknowledged, and then the source is told it failed: as if vigil was
// killed between the bus's ack and the source's next checkpoint.
type crashAfterPublish struct {
	source.Publisher
	n, calls int
}

var errCrash = errors.New("crash after the bus acknowledged")

func (p *crashAfterPublish) Publish(ctx context.Context, msgs []bus.Message) error {
	if err := p.Publisher.Publish(ctx, msgs); err != nil {
		return err
	}
	if p.calls++; p.calls == p.n {
		return errCrash
	}
	return nil
}

// TestReplayAfterCrashIsExact: the source crashes after the bus took a
// batch and before it recorded that; meanwhile the log grew, so reading
// again from the checkpoint would cut that batch elsewhere. The checkpoint
// written ahead of the batch makes the next run publish it exactly as
// before (the same messages, the same IDs, dropped by the bus), and every
// line is on the bus once.
func TestReplayAfterCrashIsExact(t *testing.T) {
	r := newRig(t)
	dir := t.TempDir()
	path := filepath.Join(dir, "mail.log")
	const first, more = 1500, 5000 // batches of 1,000: the second, of 500, is cut by the end of the file
	if err := os.WriteFile(path, []byte(loginLines(0, first)), 0o600); err != nil {
		t.Fatal(err)
	}
	opts := source.FileOptions{Name: "mail", Paths: []string{path}, Poll: 10 * time.Millisecond, Batch: 1000,
		Parse: parse.Options{Location: time.UTC}}
	env := r.env
	env.Bus = &crashAfterPublish{Publisher: r.b, n: 2} // the second batch: the file's last 500 lines
	src, err := source.NewFile(env, opts)
	if err != nil {
		t.Fatal(err)
	}
	if err := src.Run(context.Background()); !errors.Is(err, errCrash) {
		t.Fatalf("run: %v, want the crash", err)
	}
	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0) //nolint:gosec // G304: the test's own file
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteString(loginLines(first, more)); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	src, err = source.NewFile(r.env, opts)
	if err != nil {
		t.Fatal(err)
	}
	r.runFor(t, src, first+more) // the first run's second batch counts now: it failed then
	seen := make([]int, first+more)
	for _, ev := range r.streamEvents(t) {
		var i int
		if _, err := fmt.Sscanf(ev.User, "u%d", &i); err != nil || i < 0 || i >= len(seen) {
			t.Fatalf("event for %q", ev.User)
		}
		seen[i]++
	}
	for i, c := range seen {
		if c != 1 {
			t.Errorf("line of u%d on the bus %d times", i, c)
			if i > 5 {
				break
			}
		}
	}
}
