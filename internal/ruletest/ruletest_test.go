package ruletest

import (
	"errors"
	"os"
	"strings"
	"testing"
	"testing/fstest"
)

// vigil's own rules and detectors pass their test files (rules/tests/).
func TestOwnRuleTests(t *testing.T) {
	results, err := Run(os.DirFS("../../rules"), ".", "../../rules")
	if err != nil {
		t.Fatal(err)
	}
	if len(results) < 6 {
		t.Fatalf("only %d cases ran", len(results))
	}
	for _, r := range results {
		for _, f := range r.Failures {
			t.Errorf("%s: %s: %s", r.File, r.Name, f)
		}
	}
}

// A wrong expectation fails, and says why.
func TestFailingCase(t *testing.T) {
	fsys := fstest.MapFS{
		"t.test.yml": {Data: []byte(`tests:
  - name: wrong severity
    input: |
      2026-11-29T06:18:33 auth: Info: passwd-file(reception,127.0.0.3,<3ypMQ2RhV6V/AAAD>): Password mismatch
    expect:
      - rule: repeated-failures
        severity: high
`)},
		"bad.test.yml": {Data: []byte("tests:\n  - name: x\n    inputs: typo\n")},
	}
	results, err := Run(fsys, ".", "")
	if !errors.Is(err, ErrTestFile) || !strings.Contains(err.Error(), "bad.test.yml") {
		t.Fatalf("the bad file is not reported: %v", err)
	}
	if len(results) != 1 || len(results[0].Failures) != 1 || !strings.Contains(results[0].Failures[0], "expected alert not raised") {
		t.Fatalf("%+v", results)
	}
}
