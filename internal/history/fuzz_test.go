package history

import (
	"os"
	"strings"
	"testing"
	"time"
)

// FuzzAptHistory: history files are untrusted input. The parser must not
// panic; every change names a package and a version; errors name the file.
func FuzzAptHistory(f *testing.F) {
	if b, err := os.ReadFile(realAptHistory); err == nil {
		f.Add(string(b[:min(len(b), 4096)]))
	}
	f.Add("Start-Date: 2021-03-01  06:25:01\nUpgrade: a:amd64 (1, 2), b:amd64 (3, automatic)\n\nRemove: x (\n")
	f.Add("2025-06-24 14:36:25 upgrade libsystemd0:amd64 252.36-1~deb12u1 252.38-1~deb12u1\n")
	f.Fuzz(func(t *testing.T, s string) {
		ch, errs := Parse(strings.NewReader(s), "fuzz", time.UTC)
		for _, c := range ch {
			if c.Package == "" || (c.From == "" && c.To == "") || c.Time.IsZero() {
				t.Fatalf("bad change %+v", c)
			}
		}
		for _, e := range errs {
			if !strings.HasPrefix(e.Error(), "fuzz:") {
				t.Fatalf("error without file name: %v", e)
			}
		}
	})
}
