// Package shareddata finds the project's shared test data: the folder
// ../shared/data that lies beside the repository in every checkout and CI run
// (or $VIGIL_SHARED/data). Tests use it to read real logs, catalogues and
// corpora without copying them into the repository.
//
// It is for tests only: it must not be imported by code that ships, and it
// fails the test (never skips it) when the data is missing, because a test
// that silently skips on a broken checkout proves nothing.
package shareddata

import (
	"os"
	"path/filepath"
	"testing"
)

// Path returns the path of rel under the shared data folder: $VIGIL_SHARED/data
// when that is set, else the first ../shared/data found going up from the
// test's working directory.
func Path(t testing.TB, rel string) string {
	t.Helper()
	if d := os.Getenv("VIGIL_SHARED"); d != "" {
		return filepath.Join(d, "data", rel)
	}
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		p := filepath.Join(dir, "..", "shared", "data", rel)
		if _, err := os.Stat(p); err == nil {
			return p
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatalf("shared data %s not found beside the repository (set VIGIL_SHARED)", rel)
		}
		dir = parent
	}
}
