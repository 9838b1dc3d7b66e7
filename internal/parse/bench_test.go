package parse

import (
	"bufio"
	"errors"
	"github.com/vigilhq/vigil/internal/shareddata"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/vigilhq/vigil/internal/event"
)

// benchLines returns the real Dovecot 2.3 lab log's lines; mainOnly drops the
// event exporter's JSON lines, leaving the classic main log (logins, failures,
// logouts), which is what most servers write.
func benchLines(b *testing.B, mainOnly bool) []string {
	b.Helper()
	data, err := os.ReadFile(shareddata.Path(b, "dovecot-2.3-lab/dovecot-info.log")) //nolint:gosec // G304: test data beside the repository
	if err != nil {
		b.Fatal(err)
	}
	var lines []string
	for _, l := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		if mainOnly && strings.Contains(l, "stats: Info: {") {
			continue
		}
		lines = append(lines, l)
	}
	return lines
}

func benchDecode(b *testing.B, lines []string) {
	d, err := NewDecoder(Options{Location: time.UTC, Reference: time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)})
	if err != nil {
		b.Fatal(err)
	}
	var ev event.Event
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := d.Decode(lines[i%len(lines)], &ev); err != nil && !isIgnored(err) {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "lines/s")
}

func isIgnored(err error) bool { return errors.Is(err, ErrIgnored) }

// BenchmarkDecodeDovecotMain: one op is one line of Dovecot's main log
// (logins, failures, logouts with counts).
func BenchmarkDecodeDovecotMain(b *testing.B) { benchDecode(b, benchLines(b, true)) }

// BenchmarkDecodeDovecotWithExporter: the lab's info log as it is, where 59%
// of the lines are the event exporter's JSON (one per message opened).
func BenchmarkDecodeDovecotWithExporter(b *testing.B) { benchDecode(b, benchLines(b, false)) }

// BenchmarkParseFile reads a 200,000-line Dovecot log from disk through the
// line reader and the decoder, as 'vigil parse' and batch analysis do (without
// writing JSON). One op is the whole file.
func BenchmarkParseFile(b *testing.B) {
	lines := benchLines(b, false)
	path := filepath.Join(b.TempDir(), "dovecot.log")
	f, err := os.Create(path) //nolint:gosec // G304: a file in the benchmark's own temp dir
	if err != nil {
		b.Fatal(err)
	}
	w := bufio.NewWriter(f)
	const n = 200000
	for i := 0; i < n; i++ {
		// bufio.Writer keeps the first error and Flush returns it.
		_, _ = w.WriteString(lines[i%len(lines)])
		_ = w.WriteByte('\n')
	}
	if err := w.Flush(); err != nil {
		b.Fatal(err)
	}
	if err := f.Close(); err != nil {
		b.Fatal(err)
	}
	d, err := NewDecoder(Options{Location: time.UTC})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		rc, mtime, err := Open(path)
		if err != nil {
			b.Fatal(err)
		}
		d.SetReference(mtime)
		lr := NewLineReader(rc)
		var ev event.Event
		got := 0
		for {
			line, _, err := lr.Next()
			if err != nil {
				break
			}
			if _, err := d.Decode(string(line), &ev); err == nil {
				got++
			}
		}
		if err := rc.Close(); err != nil {
			b.Fatal(err)
		}
		if got < n*9/10 {
			b.Fatalf("parsed %d of %d lines", got, n)
		}
	}
	b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "lines/s")
}
