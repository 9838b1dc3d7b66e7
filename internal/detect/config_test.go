package detect

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestLoadConfig(t *testing.T) {
	f, err := os.Open("testdata/good.yml")
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = f.Close() }()
	c, err := LoadConfig(f)
	if err != nil {
		t.Fatal(err)
	}
	d := DefaultConfig()
	if c.BruteCount != 5 || c.BruteWindow != time.Minute || c.LearnDays != 14 || c.SessionFloor != 300 || c.RepeatCount != d.RepeatCount || c.Suppress != d.Suppress {
		t.Fatalf("%+v", c)
	}
	if c, err := LoadConfig(strings.NewReader("")); err != nil || c != d {
		t.Fatalf("empty file: %+v %v", c, err)
	}
}

// Each testdata/*.bad.yml is refused with an error that names what is wrong.
func TestLoadConfigBad(t *testing.T) {
	want := map[string]string{
		"unknown-key.bad.yml":  "brute_windw",
		"bad-duration.bad.yml": "sixty",
		"negative.bad.yml":     "learn_days",
		"wrong-type.bad.yml":   "line 1",
	}
	files, _ := filepath.Glob("testdata/*.bad.yml")
	if len(files) != len(want) {
		t.Fatalf("%d bad files, %d expectations", len(files), len(want))
	}
	for _, p := range files {
		raw, err := os.ReadFile(p) //nolint:gosec // G304: the test's own data
		if err != nil {
			t.Fatal(err)
		}
		_, err = LoadConfig(strings.NewReader(string(raw)))
		if !errors.Is(err, ErrConfig) || !strings.Contains(err.Error(), want[filepath.Base(p)]) {
			t.Errorf("%s: %v", p, err)
		}
	}
}
