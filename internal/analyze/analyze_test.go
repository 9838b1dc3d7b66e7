package analyze

import (
	"compress/gzip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/vigilhq/vigil/internal/detect"
	"github.com/vigilhq/vigil/internal/sim"
)

// Rotated logs given newest first (the shell's order for mail.log*) are
// read oldest first; a gzipped rotation reads like a plain one.
func TestRotatedFilesInTimeOrder(t *testing.T) {
	out := sim.Generate(sim.Options{Seed: 5, Staff: 20, Days: 30, AttackDay: 25, Scenarios: []sim.Scenario{sim.SprayGuessDownload}})
	dir := t.TempDir()
	third := len(out.Lines) / 3
	parts := [][]string{out.Lines[:third], out.Lines[third : 2*third], out.Lines[2*third:]}
	names := []string{"mail.log.2.gz", "mail.log.1", "mail.log"}
	for i, name := range names {
		p := filepath.Join(dir, name)
		f, err := os.Create(p) //nolint:gosec // G304: the test's own directory
		if err != nil {
			t.Fatal(err)
		}
		text := strings.Join(parts[i], "\n") + "\n"
		if strings.HasSuffix(name, ".gz") {
			zw := gzip.NewWriter(f)
			_, err = zw.Write([]byte(text))
			if cerr := zw.Close(); err == nil {
				err = cerr
			}
		} else {
			_, err = f.WriteString(text)
		}
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	shellOrder := []string{filepath.Join(dir, "mail.log"), filepath.Join(dir, "mail.log.1"), filepath.Join(dir, "mail.log.2.gz")}
	got := SortByTime(shellOrder, "", time.UTC)
	want := []string{shellOrder[2], shellOrder[1], shellOrder[0]}
	if !slices.Equal(got, want) {
		t.Fatalf("order: %v", got)
	}
	eng, err := detect.New(detect.Options{})
	if err != nil {
		t.Fatal(err)
	}
	r, err := New(Options{Engine: eng})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range got {
		if err := r.File(p); err != nil {
			t.Fatal(err)
		}
	}
	res, err := r.Finish()
	if err != nil {
		t.Fatal(err)
	}
	if res.Lines != int64(len(out.Lines)) || res.Unparsed != 0 {
		t.Fatalf("lines %d of %d, unparsed %d", res.Lines, len(out.Lines), res.Unparsed)
	}
	found := false
	for _, a := range res.Alerts {
		found = found || (a.Rule == "login-after-failures" && a.User == out.Truth[0].Account)
	}
	if !found {
		t.Fatal("the guessed password was not found across the rotated files")
	}
	if err := r.File(filepath.Join(dir, "missing.log")); err == nil {
		t.Fatal("a missing file is not an error")
	}
}
