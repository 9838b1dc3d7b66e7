package inventory

import (
	"os"
	"strings"
	"testing"
)

// FuzzDpkgStatus: a status file is untrusted input (it may come from any
// host). The parser must not panic, and every package it returns has a name
// and a version.
func FuzzDpkgStatus(f *testing.F) {
	f.Add(dpkgCases)
	if b, err := os.ReadFile(realStatus); err == nil {
		f.Add(string(b[:min(len(b), 8192)]))
	}
	f.Add("Package: a\nSource: b (\nVersion: 1\n")
	f.Fuzz(func(t *testing.T, s string) {
		inv, errs := ParseDpkgStatus(strings.NewReader(s), "fuzz")
		for _, p := range inv.Packages {
			if p.Name == "" || p.Version == "" {
				t.Fatalf("package without name or version: %+v", p)
			}
		}
		for _, e := range errs {
			if !strings.HasPrefix(e.Error(), "fuzz:") {
				t.Fatalf("error without file name: %v", e)
			}
		}
	})
}
