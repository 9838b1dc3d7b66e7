package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// TestAnalyzeRespondDryRun: a whole-mailbox download from a new network
// (the lab's line shapes, from rules/tests) with --respond --dry-run prints
// the kick and the block-list append on stderr, runs nothing, and keeps
// stdout clean JSON.
func TestAnalyzeRespondDryRun(t *testing.T) {
	b, err := os.ReadFile("../../rules/tests/download-sending.test.yml")
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Tests []struct{ Learn, Input string } `yaml:"tests"`
	}
	if err := yaml.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	log := filepath.Join(dir, "dovecot.log")
	if err := os.WriteFile(log, []byte(doc.Tests[0].Learn+doc.Tests[0].Input), 0o600); err != nil {
		t.Fatal(err)
	}
	block := filepath.Join(dir, "blocked.txt")
	out, errOut, code := runCLI(t, "", "analyze", "--json", "--respond", "--dry-run", "--block-file", block, log)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	for _, want := range []string{"would run: doveadm kick -- dr.jones1 127.66.0.2\n", "would append 127.66.0.2 to " + block + "\n"} {
		if !strings.Contains(errOut, want) {
			t.Errorf("stderr lacks %q:\n%s", want, errOut)
		}
	}
	if strings.Count(errOut, "would run: doveadm kick") != 1 {
		t.Errorf("one kick per account and address:\n%s", errOut)
	}
	if len(alertsOf(t, out)) == 0 {
		t.Error("no alerts on stdout")
	}
	if _, err := os.Stat(block); !os.IsNotExist(err) {
		t.Errorf("dry run wrote the block list (%v)", err)
	}
	if _, _, code := runCLI(t, "", "analyze", "--dry-run", log); code != exitUsage {
		t.Errorf("--dry-run without --respond: exit %d, want %d", code, exitUsage)
	}
}
