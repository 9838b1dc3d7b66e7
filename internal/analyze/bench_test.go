package analyze

import (
	"bufio"
	"os"
	"path/filepath"
	"runtime/debug"
	"syscall"
	"testing"
	"time"

	"github.com/vigilhq/vigil/internal/detect"
	"github.com/vigilhq/vigil/internal/sigma"
	"github.com/vigilhq/vigil/internal/sim"
	"github.com/vigilhq/vigil/rules"
)

// benchLog writes a simulated clinic's log of at least n lines.
func benchLog(b *testing.B, n int) (string, int) {
	b.Helper()
	out := sim.Generate(sim.Options{Seed: 1, Staff: 120, Days: 120, Scenarios: sim.AllScenarios})
	for len(out.Lines) < n {
		out.Lines = append(out.Lines, out.Lines...)
	}
	out.Lines = out.Lines[:n]
	path := filepath.Join(b.TempDir(), "mail.log")
	f, err := os.Create(path) //nolint:gosec // G304: the benchmark's own temporary file
	if err != nil {
		b.Fatal(err)
	}
	w := bufio.NewWriter(f)
	for _, l := range out.Lines {
		_, _ = w.WriteString(l)
		_ = w.WriteByte('\n')
	}
	if err := w.Flush(); err != nil {
		b.Fatal(err)
	}
	if err := f.Close(); err != nil {
		b.Fatal(err)
	}
	return path, len(out.Lines)
}

// BenchmarkAnalyze1M: vigil analyze's work (read, parse, all detectors, all
// of vigil's Sigma rules, GeoIP lookups) over a 1,000,000-line log.
// 'vigil analyze' sets GOGC=400 for batch work; so does this benchmark.
// go test ./internal/analyze -run '^$' -bench Analyze1M -benchtime 3x -cpu 1
func BenchmarkAnalyze1M(b *testing.B) {
	if os.Getenv("GOGC") == "" {
		defer debug.SetGCPercent(debug.SetGCPercent(400))
	}
	path, n := benchLog(b, 1_000_000)
	g := geo(b)
	b.ResetTimer()
	cpu0 := cpuTime(b)
	var events int64
	for b.Loop() {
		rs, err := sigma.Load(rules.FS, ".")
		if err != nil {
			b.Fatal(err)
		}
		eng, err := detect.New(detect.Options{Geo: g, Rules: detect.Rules(rs)})
		if err != nil {
			b.Fatal(err)
		}
		r, err := New(Options{Engine: eng})
		if err != nil {
			b.Fatal(err)
		}
		if err := r.File(path); err != nil {
			b.Fatal(err)
		}
		res, err := r.Finish()
		if err != nil {
			b.Fatal(err)
		}
		events = res.Events
		if res.Lines != int64(n) {
			b.Fatalf("read %d lines of %d", res.Lines, n)
		}
	}
	b.ReportMetric(float64(events)*float64(b.N)/b.Elapsed().Seconds(), "events/s")
	// On a shared machine wall time includes waiting for a core; events per
	// second of CPU this process used is the one-core figure.
	b.ReportMetric(float64(events)*float64(b.N)/(cpuTime(b)-cpu0).Seconds(), "events/cpu-s")
	b.ReportMetric(float64(n), "lines")
}

// cpuTime is the user+system CPU time this process has used.
func cpuTime(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
