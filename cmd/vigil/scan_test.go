package main

import (
	"bufio"
	"encoding/json"
	"github.com/vigilhq/vigil/internal/shareddata"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"filippo.io/age"

	"github.com/vigilhq/vigil/internal/clinicmail"
)

func corpusStore(t *testing.T, messages int) (*clinicmail.Corpus, string, string) {
	t.Helper()
	c := clinicmail.Generate(clinicmail.Options{Seed: 4242, Patients: 200, Messages: messages})
	dir := t.TempDir()
	store := filepath.Join(dir, "Maildir")
	if _, err := c.WriteMaildir(store); err != nil {
		t.Fatal(err)
	}
	reg := filepath.Join(dir, "register.csv")
	if err := os.WriteFile(reg, c.Register(), 0o600); err != nil {
		t.Fatal(err)
	}
	return c, store, reg
}

// TestScanOutputsNoIdentifiers greps everything a default scan writes
// (stdout and stderr, human and JSON, with and without a register, and the
// exposure report) for every identifier of the corpus, and finds none; with
// --reveal the same grep finds them, so the check can fail.
func TestScanOutputsNoIdentifiers(t *testing.T) {
	n := 600
	if testing.Short() {
		n = 150
	}
	c, store, reg := corpusStore(t, n)
	id, err := age.GenerateX25519Identity()
	if err != nil {
		t.Fatal(err)
	}
	runs := [][]string{
		{"scan", store},
		{"scan", "--json", store},
		{"scan", "--register", reg, store},
		{"scan", "--json", "--register", reg, store},
		{"exposure", "--account", "dr.smith", "--source", "127.0.0.2", "--from", "2026-11-29T06:00:00Z", "--to", "2026-11-29T07:00:00Z",
			"--log", shareddata.Path(t, "dovecot-2.3-lab/events-http.jsonl"), "--maildir", store, "--register", reg,
			"--recipient", id.Recipient().String(), "--out", t.TempDir()},
	}
	var all strings.Builder
	for _, args := range runs {
		stdout, stderr, code := runCLI(t, "", args...)
		if code != 0 {
			t.Fatalf("%v: exit %d: %s", args, code, stderr)
		}
		all.WriteString(stdout + stderr)
	}
	ids := c.Identifiers()
	text := all.String()
	for _, v := range ids {
		if strings.Contains(text, v) {
			t.Errorf("output shows an identifier unmasked (%s…)", v[:2])
		}
	}
	revealed, _, _ := runCLI(t, "", "scan", "--json", "--reveal", store)
	found := 0
	for _, v := range ids {
		if strings.Contains(revealed, v) {
			found++
		}
	}
	if found == 0 {
		t.Error("--reveal shows no identifier: the leak check above cannot fail")
	}
}

// TestScanJSON checks the fields of --json records.
func TestScanJSON(t *testing.T) {
	_, store, reg := corpusStore(t, 60)
	stdout, stderr, code := runCLI(t, "", "scan", "--json", "--register", reg, "--fail-on-findings", store)
	if code != 1 {
		t.Fatalf("exit %d with --fail-on-findings and findings: %s", code, stderr)
	}
	types := map[string]int{}
	sc := bufio.NewScanner(strings.NewReader(stdout))
	for sc.Scan() {
		var r map[string]any
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			t.Fatalf("not JSON: %v", err)
		}
		for _, k := range []string{"type", "path", "message_id", "part"} {
			if _, ok := r[k]; !ok {
				t.Errorf("record without %s: %s", k, sc.Text())
			}
		}
		typ, _ := r["type"].(string)
		types[typ]++
		if typ == "nhs_number" {
			if v, _ := r["value"].(string); !strings.HasPrefix(v, "********") {
				t.Errorf("NHS value not masked: %q", v)
			}
			if s, _ := r["subject_id"].(string); s == "" {
				t.Errorf("NHS finding without subject_id")
			}
			if c, _ := r["confidence"].(float64); c <= 0 || c > 1 {
				t.Errorf("confidence %v", c)
			}
		}
	}
	for _, typ := range []string{"nhs_number", "person_name", "date_of_birth", "postcode", "email", "phone", "medication", "icd10"} {
		if types[typ] == 0 {
			t.Errorf("no %s finding (%v)", typ, types)
		}
	}
	if _, stderr, code := runCLI(t, "", "scan", t.TempDir()); code != 2 || !strings.Contains(stderr, "not a mail store") {
		t.Errorf("empty directory: exit %d, %s", code, stderr)
	}
	if _, _, code := runCLI(t, "", "exposure", "--account", "x"); code != 2 {
		t.Errorf("exposure without flags: exit %d", code)
	}
}
