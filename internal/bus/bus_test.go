package bus_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/vigilhq/vigil/internal/bus"
	"github.com/vigilhq/vigil/internal/store/storetest"
)

// externalURL is the machine's NATS JetStream; VIGIL_NATS_URL overrides it.
func externalURL() string {
	if u := os.Getenv("VIGIL_NATS_URL"); u != "" {
		return u
	}
	return "nats://127.0.0.1:4222"
}

// openers returns the two ways to run the bus: embedded on a temp dir, and
// the machine's server with a stream unique to this run, deleted at the end.
func openers() map[string]func(t *testing.T, dir string) bus.Options {
	return map[string]func(t *testing.T, dir string) bus.Options{
		"embedded": func(_ *testing.T, dir string) bus.Options { return bus.Options{Dir: dir} },
		"external": func(t *testing.T, _ string) bus.Options {
			name := fmt.Sprintf("VIGILTEST_%d_%d", os.Getpid(), time.Now().UnixNano())
			t.Cleanup(func() {
				b, err := bus.Open(context.Background(), bus.Options{URL: externalURL(), Stream: name, Subject: "vigiltest." + name})
				if err != nil {
					t.Errorf("cleanup: %v", err)
					return
				}
				defer func() { _ = b.Close() }()
				if err := b.DeleteStream(context.Background()); err != nil {
					t.Errorf("cleanup: %v", err)
				}
			})
			return bus.Options{URL: externalURL(), Stream: name, Subject: "vigiltest." + name}
		},
	}
}

func TestPublishConsume(t *testing.T) {
	for name, opener := range openers() {
		t.Run(name, func(t *testing.T) { testPublishConsume(t, opener(t, t.TempDir())) })
	}
}

// testPublishConsume publishes real events twice (a replay), consumes them,
// fails one batch (redelivered), restarts, and checks each arrives once.
func testPublishConsume(t *testing.T, opts bus.Options) {
	ctx := context.Background()
	evs := storetest.RealEvents(t)
	var msgs []bus.Message
	b, err := bus.Open(ctx, opts)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 20 {
		for _, e := range evs {
			msgs = append(msgs, bus.Message{Subject: b.Subject("lab"), ID: fmt.Sprintf("%s#%d", e.ID, i), Data: e.Data})
		}
	}
	if err := b.Publish(ctx, msgs); err != nil {
		t.Fatal(err)
	}
	if err := b.Publish(ctx, msgs[:500]); err != nil { // a replay after a crash
		t.Fatal(err)
	}
	n, _, err := b.StreamInfo(ctx)
	if err != nil || n != uint64(len(msgs)) {
		t.Fatalf("stream holds %d messages, %v; want %d (duplicates dropped)", n, err, len(msgs))
	}

	seen := map[string]int{}
	var mu sync.Mutex
	failed := false
	consume := func(b *bus.Bus, want int) {
		t.Helper()
		cctx, cancel := context.WithCancel(ctx)
		defer cancel()
		err := b.Consume(cctx, bus.ConsumeOptions{Durable: "store", Batch: 100, AckWait: 2 * time.Second}, func(_ context.Context, batch []bus.Delivery) error {
			mu.Lock()
			defer mu.Unlock()
			if !failed {
				failed = true
				return errFail
			}
			for _, d := range batch {
				seen[d.ID]++
			}
			if len(seen) >= want {
				cancel()
			}
			return nil
		})
		if err != nil && !errors.Is(err, errFail) {
			t.Fatal(err)
		}
	}
	consume(b, 0) // fails its first batch
	consume(b, len(msgs)/2)
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	// Reopen: the durable consumer resumes where its acks left it.
	b, err = bus.Open(ctx, opts)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = b.Close() }()
	consume(b, len(msgs))
	if len(seen) != len(msgs) {
		t.Fatalf("%d distinct messages consumed, want %d", len(seen), len(msgs))
	}
	for _, m := range msgs {
		if seen[m.ID] != 1 {
			t.Errorf("%s consumed %d times", m.ID, seen[m.ID])
		}
	}
	lag, err := b.Lag(ctx, "store")
	if err != nil || lag != 0 {
		t.Errorf("lag = %d, %v; want 0", lag, err)
	}
}

var errFail = errors.New("handler failed on purpose")

func TestStreamLimits(t *testing.T) {
	ctx := context.Background()
	b, err := bus.Open(ctx, bus.Options{Dir: t.TempDir(), MaxBytes: 64 << 10})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = b.Close() }()
	evs := storetest.RealEvents(t)
	var msgs []bus.Message
	for i := range 100 {
		for _, e := range evs {
			msgs = append(msgs, bus.Message{Subject: b.Subject("lab"), ID: fmt.Sprintf("%s#%d", e.ID, i), Data: e.Data})
		}
	}
	if err := b.Publish(ctx, msgs); err != nil {
		t.Fatal(err)
	}
	n, size, err := b.StreamInfo(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if size > 64<<10 || n == 0 || n >= uint64(len(msgs)) {
		t.Errorf("stream holds %d messages, %d bytes; want some, at most 64 KiB", n, size)
	}
}
