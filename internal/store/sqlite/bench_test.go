package sqlite_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/vigilhq/vigil/internal/store"
	"github.com/vigilhq/vigil/internal/store/sqlite"
	"github.com/vigilhq/vigil/internal/store/storetest"
)

// BenchmarkAppendEvents measures the store's share of ingest: real events
// (renamed per copy, as many accounts as events) appended in batches of 2000
// as the store consumer writes them, each batch one durable transaction
// (WAL, synchronous=FULL). store-B/event is the database plus its WAL.
func BenchmarkAppendEvents(b *testing.B) {
	ctx := context.Background()
	path := filepath.Join(b.TempDir(), "vigil.db")
	s, err := sqlite.Open(ctx, sqlite.Options{Path: path})
	if err != nil {
		b.Fatal(err)
	}
	defer func() { _ = s.Close() }()
	lab := storetest.RealEvents(b)
	evs := make([]store.Event, b.N)
	for i := range evs {
		e := lab[i%len(lab)]
		e.ID = fmt.Sprintf("mail:801-2b4c-5e1f0a:%d", i*120)
		e.Account = fmt.Sprintf("u%07d", i)
		evs[i] = e
	}
	b.ResetTimer()
	for len(evs) > 0 {
		n := min(len(evs), 2000)
		if _, err := s.AppendEvents(ctx, evs[:n]); err != nil {
			b.Fatal(err)
		}
		evs = evs[n:]
	}
	b.StopTimer()
	var size int64
	for _, p := range []string{path, path + "-wal"} {
		if fi, err := os.Stat(p); err == nil {
			size += fi.Size()
		}
	}
	b.ReportMetric(float64(size)/float64(b.N), "store-B/event")
}
