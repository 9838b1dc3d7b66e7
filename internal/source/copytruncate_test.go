package source_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vigilhq/vigil/internal/bus"
	"github.com/vigilhq/vigil/internal/event"
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
	ctx, cancel := context.WithCancel(context.Background())
	var mu sync.Mutex
	total := 0
	done := make(chan error, 1)
	go func() {
		done <- r.b.Consume(ctx, bus.ConsumeOptions{Durable: "check", Batch: 2000}, func(_ context.Context, batch []bus.Delivery) error {
			mu.Lock()
			defer mu.Unlock()
			for _, m := range batch {
				var ev event.Event
				if err := ev.UnmarshalJSON(m.Data); err != nil {
					return err
				}
				var i int
				if _, err := fmt.Sscanf(ev.User, "u%d", &i); err != nil || i < 0 || i >= len(seen) {
					return fmt.Errorf("event for %q", ev.User)
				}
				seen[i]++
				total++
			}
			return nil
		})
	}()
	n, _, err := r.b.StreamInfo(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		mu.Lock()
		got := total
		mu.Unlock()
		if uint64(got) >= n || time.Now().After(deadline) { //nolint:gosec // G115: a count
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	cancel()
	if err := <-done; err != nil && ctx.Err() == nil {
		t.Fatal(err)
	}
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
		t.Errorf("%d lines missing, %d more than once; the stream holds %d messages, want %d", missing, twice, n, oldN+newN)
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
