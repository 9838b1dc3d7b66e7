package main

import (
	"encoding/csv"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"filippo.io/age"

	"github.com/vigilhq/vigil/internal/demo"
)

// field returns the first submatch of re in out, failing the test without one.
func field(t *testing.T, out, re string) string {
	t.Helper()
	m := regexp.MustCompile(re).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("no %q in the story:\n%s", re, out)
	}
	return m[1]
}

// TestDemo runs 'vigil demo' as the README's first command does and checks
// the story's figures against the generator's ground truth: the account and
// source, when the attack began, an alert during the attacker's first
// reading session, every message of the INBOX read (the bulk download), the
// true number of patients in them — and the encrypted notification list
// decrypts, with the key the demo wrote, to exactly those patients. A second
// run with the same seed tells the same story. The first run uses the
// defaults (seed 1), as the README's first command does.
func TestDemo(t *testing.T) {
	const seed = "1"
	dir := filepath.Join(t.TempDir(), "clinic")
	out, errOut, code := runCLI(t, "", "demo", "--dir", dir)
	if code != 0 {
		t.Fatalf("exit %d: %s\n%s", code, errOut, out)
	}
	truth, err := demo.Build(demo.Options{Dir: t.TempDir(), Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	tr := truth.Truth
	if got := field(t, out, `Account: +(\S+), from`); got != tr.Account {
		t.Errorf("account %s, truth %s", got, tr.Account)
	}
	if got := field(t, out, `Account: +\S+, from (\S+);`); got != tr.Source.String() {
		t.Errorf("source %s, truth %s", got, tr.Source)
	}
	if got := field(t, out, `Attack began: +([0-9-]+ [0-9:]+) UTC`); got != tr.Start.Format("2006-01-02 15:04") {
		t.Errorf("attack began %s, truth %s", got, tr.Start)
	}
	alerted, err := time.Parse("2006-01-02 15:04", field(t, out, `vigil alerted: ([0-9-]+ [0-9:]+) UTC`))
	if err != nil {
		t.Fatal(err)
	}
	if alerted.Before(tr.ReadStart.Truncate(time.Minute)) || alerted.After(tr.ReadEnd) {
		t.Errorf("alerted at %s, not during the first reading session %s – %s", alerted, tr.ReadStart, tr.ReadEnd)
	}
	if got := field(t, out, `Messages read: +(\d+) in`); got != strconv.Itoa(tr.Mailbox) {
		t.Errorf("%s messages read, the attacker downloaded all %d", got, tr.Mailbox)
	}
	patients := field(t, out, `Patients exposed: +(\d+) distinct`)
	if patients != strconv.Itoa(len(truth.TruePatients)) {
		t.Errorf("%s patients exposed, truth %d", patients, len(truth.TruePatients))
	}
	if !strings.Contains(out, "The counts are exact") || !strings.Contains(out, "Grade F") || !strings.Contains(out, "Last update: 2020-07-14") {
		t.Errorf("story lacks exactness or the server's posture:\n%s", out)
	}
	if !strings.Contains(out, "Detection ran on the batch detection path") || !strings.Contains(out, "not through 'vigil serve'") {
		t.Errorf("the story does not say which pipeline ran:\n%s", out)
	}

	// The exact alert time, from the JSON report.
	var rep struct{ Attack demo.Attack }
	raw, err := os.ReadFile(filepath.Join(dir, "report.json")) //nolint:gosec // G304: the test's own directory
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(raw, &rep); err != nil {
		t.Fatal(err)
	}
	if a := rep.Attack; a.Alerted.Before(tr.ReadStart) || a.Alerted.After(tr.ReadEnd) {
		t.Errorf("alert at %s, first reading session %s – %s", a.Alerted, tr.ReadStart, tr.ReadEnd)
	}
	for _, f := range []string{"report.md", "notification-key.txt", "patients.csv", "logs/dovecot.log", "logs/mail.log", "logs/roundcube/userlogins"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Error(err)
		}
	}

	// The notification list decrypts with the key file to the true patients.
	kf, err := os.Open(field(t, out, `Its key: +(\S+)`))
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = kf.Close() }()
	ids, err := age.ParseIdentities(kf)
	if err != nil {
		t.Fatal(err)
	}
	lf, err := os.Open(field(t, out, `Notification list: +(\S+)`))
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = lf.Close() }()
	plain, err := age.Decrypt(lf, ids...)
	if err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(plain).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows)-1 != len(truth.TruePatients) {
		t.Errorf("notification list names %d patients, truth %d", len(rows)-1, len(truth.TruePatients))
	}

	// Same seed, same story (apart from the directory and the timing).
	dir2 := filepath.Join(t.TempDir(), "clinic")
	out2, _, code := runCLI(t, "", "demo", "--dir", dir2, "--seed", seed)
	if code != 0 {
		t.Fatalf("second run: exit %d", code)
	}
	norm := func(s, d string) string {
		s = strings.ReplaceAll(s, d, "DIR")
		return regexp.MustCompile(`Done in [0-9.]+ s`).ReplaceAllString(s, "Done")
	}
	if a, b := norm(out, dir), norm(out2, dir2); a != b {
		t.Errorf("same seed, different stories:\n%s\n----\n%s", a, b)
	}
}

func TestDemoUsage(t *testing.T) {
	out, _, code := runCLI(t, "", "demo", "--help")
	if code != 0 {
		t.Fatalf("--help: exit %d", code)
	}
	for _, f := range []string{"--dir", "--seed", "--staff", "--days", "--kev", "--serve"} {
		if !strings.Contains(out, f) {
			t.Errorf("--help does not explain %s", f)
		}
	}
	if _, errOut, code := runCLI(t, "", "demo", "--serve"); code != exitUsage || !strings.Contains(errOut, "vigil serve") {
		t.Errorf("--serve: exit %d, %s", code, errOut)
	}
	if _, errOut, code := runCLI(t, "", "demo", "--dir", t.TempDir(), "--days", "10"); code != exitUsage || !strings.Contains(errOut, "--days") {
		t.Errorf("--days 10: exit %d, %s", code, errOut)
	}
	full := t.TempDir()
	if err := os.WriteFile(filepath.Join(full, "x"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, _, code := runCLI(t, "", "demo", "--dir", full); code != exitUsage {
		t.Errorf("a directory with files in it: exit %d", code)
	}
}

// TestDemoExactAcrossSeeds: the patient count is the generator's truth for
// seeds whose clinics hold the hard cases: seed 3 an unregistered patient
// with a registered namesake, written to at her own address (she was once
// linked to the namesake's register entry); seed 6 two registered James
// Joneses sharing an address (they were once merged into one).
func TestDemoExactAcrossSeeds(t *testing.T) {
	if testing.Short() {
		t.Skip("two more demo runs; TestDemo runs the default seed")
	}
	for _, seed := range []uint64{3, 6} {
		out, errOut, code := runCLI(t, "", "demo", "--dir", filepath.Join(t.TempDir(), "clinic"), "--seed", strconv.FormatUint(seed, 10))
		if code != 0 {
			t.Fatalf("seed %d: exit %d: %s", seed, code, errOut)
		}
		truth, err := demo.Build(demo.Options{Dir: t.TempDir(), Seed: seed})
		if err != nil {
			t.Fatal(err)
		}
		got := field(t, out, `Patients exposed: +(\d+) distinct`)
		if got != strconv.Itoa(len(truth.TruePatients)) || !strings.Contains(out, "The counts are exact") {
			t.Errorf("seed %d: %s patients, truth %d", seed, got, len(truth.TruePatients))
		}
	}
}
