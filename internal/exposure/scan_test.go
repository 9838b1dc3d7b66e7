package exposure

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vigilhq/vigil/internal/clinicmail"
	"github.com/vigilhq/vigil/internal/phi"
)

func bytesReader(b []byte) *strings.Reader { return strings.NewReader(string(b)) }

// TestScanResumes stops a scan midway (as an interrupt would) and runs it
// again with the same checkpoint: the second run scans only the rest, and the
// two runs together find what one whole run finds.
func TestScanResumes(t *testing.T) {
	c := clinicmail.Generate(clinicmail.Options{Seed: 8, Patients: 60, Messages: 120})
	dir := t.TempDir()
	store := filepath.Join(dir, "Maildir")
	if _, err := c.WriteMaildir(store); err != nil {
		t.Fatal(err)
	}
	whole, err := Scan(context.Background(), store, Options{})
	if err != nil {
		t.Fatal(err)
	}
	cp := filepath.Join(dir, "scan.checkpoint")
	ctx, cancel := context.WithCancel(context.Background())
	first, err := Scan(ctx, store, Options{Checkpoint: cp, Progress: func(p Progress) {
		if p.Messages == 50 {
			cancel()
		}
	}})
	if !errors.Is(err, ErrCanceled) {
		t.Fatalf("first run: %v", err)
	}
	second, err := Scan(context.Background(), store, Options{Checkpoint: cp})
	if err != nil {
		t.Fatal(err)
	}
	if first.Messages != 50 || second.Skipped != 50 || second.Messages != 70 {
		t.Errorf("first %d, second %d (skipped %d); want 50, 70, 50", first.Messages, second.Messages, second.Skipped)
	}
	if got := len(first.Records) + len(second.Records); got != len(whole.Records) {
		t.Errorf("two runs found %d, one run %d", got, len(whole.Records))
	}
}

// BenchmarkScanMaildir: messages per second through the whole pipeline
// (Maildir ─► MIME, PDF, DOCX, CSV extraction ─► detectors ─► subjects),
// with a register; a third of the messages have attachments.
func BenchmarkScanMaildir(b *testing.B) {
	c := clinicmail.Generate(clinicmail.Options{Seed: 2026, Messages: 2100})
	store := filepath.Join(b.TempDir(), "Maildir")
	if _, err := c.WriteMaildir(store); err != nil {
		b.Fatal(err)
	}
	reg, err := phi.LoadRegister(bytesReader(c.Register()), "register.csv")
	if err != nil {
		b.Fatal(err)
	}
	n := 0
	var bytes int64
	for b.Loop() {
		res, err := Scan(context.Background(), store, Options{Register: reg})
		if err != nil {
			b.Fatal(err)
		}
		n += res.Messages
		bytes += res.Bytes
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "msgs/s")
	b.ReportMetric(float64(bytes)/1e6/b.Elapsed().Seconds(), "MB/s")
}
