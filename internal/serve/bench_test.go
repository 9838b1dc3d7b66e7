package serve_test

import (
	"bufio"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/vigilhq/vigil/internal/serve"
)

// BenchmarkIngest measures sustained ingest end to end: b.N Dovecot lines
// (real lines, each about a new account, log time advancing) from a file
// through parsing, the embedded JetStream bus (file storage, every message
// synced before it is acknowledged: the default bus.sync_always) and the
// store consumer into SQLite (WAL, synchronous=FULL), with live
// detection as the second consumer. The file is written before the clock
// starts and moved into the watched glob; the clock stops when the store
// holds every event (events/s) and detection has run every event
// (detect-events/s). cpu-µs/event is the process's CPU time over the same
// span (until detection is done) per event. Run it with a fixed count:
//
//	go test ./internal/serve -run '^$' -bench Ingest -benchtime 200000x -cpu 2
func BenchmarkIngest(b *testing.B) { benchIngest(b, true) }

// BenchmarkIngestSyncInterval is BenchmarkIngest with bus.sync_always off:
// the embedded JetStream syncs to disk every 2 minutes instead of before
// each acknowledgement (SQLite syncs every batch either way).
func BenchmarkIngestSyncInterval(b *testing.B) { benchIngest(b, false) }

func benchIngest(b *testing.B, syncAlways bool) {
	dir := b.TempDir()
	logs := filepath.Join(dir, "logs")
	if err := os.Mkdir(logs, 0o750); err != nil {
		b.Fatal(err)
	}
	staged := filepath.Join(dir, "staged.log")
	writeAdvancing(b, staged, newLineGen(b), b.N)
	fi, err := os.Stat(staged)
	if err != nil {
		b.Fatal(err)
	}
	cfg := serve.Defaults()
	cfg.DataDir = filepath.Join(dir, "data")
	cfg.Bus.SyncAlways = syncAlways
	cfg.HTTP.Listen = "127.0.0.1:0"
	cfg.Sources = []serve.SourceConfig{{Name: "mail", Type: "file", Paths: []string{filepath.Join(logs, "*.log")}, Timezone: "UTC",
		Poll: serve.Duration(10 * time.Millisecond)}}
	d := startDaemon(b, cfg)
	b.SetBytes(fi.Size() / int64(b.N))
	b.ResetTimer()
	cpu0 := cpuTime(b)
	start := time.Now()
	if err := os.Rename(staged, filepath.Join(logs, "mail.log")); err != nil {
		b.Fatal(err)
	}
	for d.metric(b, "vigil_store_events_total") < float64(b.N) {
		time.Sleep(20 * time.Millisecond)
	}
	elapsed := time.Since(start)
	for d.metric(b, "vigil_detect_events_total") < float64(b.N) {
		time.Sleep(20 * time.Millisecond)
	}
	detected := time.Since(start)
	cpu := cpuTime(b) - cpu0
	b.StopTimer()
	d.stop(b)
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "events/s")
	b.ReportMetric(float64(b.N)/detected.Seconds(), "detect-events/s")
	// CPU time of the whole process (both consumers included) per event:
	// unlike the rates it hardly depends on what else the machine runs.
	b.ReportMetric(float64(cpu.Microseconds())/float64(b.N), "cpu-µs/event")
	b.ReportMetric(float64(dirSize(b, filepath.Join(cfg.DataDir, "jetstream")))/float64(b.N), "bus-B/event")
	db := filepath.Join(cfg.DataDir, "vigil.db")
	b.ReportMetric(float64(fileSize(db)+fileSize(db+"-wal"))/float64(b.N), "store-B/event")
}

// writeAdvancing writes lines [0, n) of gen with their timestamps moved on
// 10 ms a line (100 lines a second of log time, from the templates' day): a
// log whose time advances as a server's does, so that sessions end after
// their grace and baselines learn. (The templates' own times, repeated,
// would keep every session open and detection's state growing without end.)
func writeAdvancing(b *testing.B, path string, gen lineGen, n int) {
	f, err := os.Create(path) //nolint:gosec // G304: the benchmark's own file
	if err != nil {
		b.Fatal(err)
	}
	bw := bufio.NewWriterSize(f, 256<<10)
	t0 := time.Date(2026, 11, 29, 6, 0, 0, 0, time.UTC)
	const stamp = "2006-01-02T15:04:05"
	for i := range n {
		l := gen.line(i)
		if len(l) <= len(stamp) || l[len(stamp)] != ' ' {
			b.Fatalf("template %q does not start with a %s timestamp", l, stamp)
		}
		_, _ = bw.WriteString(t0.Add(time.Duration(i) * 10 * time.Millisecond).Format(stamp))
		_, _ = bw.WriteString(l[len(stamp):])
		_ = bw.WriteByte('\n')
	}
	if err := bw.Flush(); err != nil {
		b.Fatal(err)
	}
	if err := f.Close(); err != nil {
		b.Fatal(err)
	}
}

// cpuTime is the process's user plus system CPU time so far.
func cpuTime(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func fileSize(p string) int64 {
	fi, err := os.Stat(p)
	if err != nil {
		return 0
	}
	return fi.Size()
}

func dirSize(b *testing.B, dir string) int64 {
	var n int64
	err := filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() {
			fi, err := d.Info()
			if err != nil {
				return err
			}
			n += fi.Size()
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	return n
}
