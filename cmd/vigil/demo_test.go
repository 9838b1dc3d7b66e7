package main

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"filippo.io/age"

	"github.com/vigilhq/vigil/internal/demo"
	"github.com/vigilhq/vigil/internal/serve"
	"github.com/vigilhq/vigil/internal/store"
	"github.com/vigilhq/vigil/internal/store/sqlite"
)

// storedAlerts reads the alerts in the SQLite store at path.
func storedAlerts(t *testing.T, path string) []store.Alert {
	t.Helper()
	st, err := sqlite.Open(t.Context(), sqlite.Options{Path: path})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = st.Close() }()
	as, err := st.QueryAlerts(t.Context(), store.AlertQuery{})
	if err != nil {
		t.Fatal(err)
	}
	return as
}

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
	if !strings.Contains(out, "Detection ran on the machinery of 'vigil serve'") || !strings.Contains(out, "embedded NATS JetStream") || !strings.Contains(out, "SQLite store") {
		t.Errorf("the story does not say which pipeline ran:\n%s", out)
	}
	// Every line went through serve, and the alerts the story counts are
	// the ones in its SQLite store.
	lines, err := os.ReadFile(filepath.Join(dir, "logs", "merged.log")) //nolint:gosec // G304: the test's own directory
	if err != nil {
		t.Fatal(err)
	}
	n := strconv.Itoa(strings.Count(string(lines), "\n"))
	if got := field(t, out, `vigil serve read all (\d+) lines`); got != n {
		t.Errorf("serve read %s lines, the log has %s", got, n)
	}
	if got := field(t, out, `stored (\d+) events in SQLite and ran`); got != n {
		t.Errorf("serve stored %s events, the log has %s lines (each one an event)", got, n)
	}
	stored := storedAlerts(t, filepath.Join(dir, "data", "vigil.db"))
	if got := field(t, out, `which stored (\d+) alerts`); got != strconv.Itoa(len(stored)) {
		t.Errorf("the story says %s alerts, the store holds %d", got, len(stored))
	}
	if _, err := serve.LoadConfig(filepath.Join(dir, "vigil.yaml")); err != nil {
		t.Errorf("the serve configuration the demo wrote: %v", err)
	}
	checkAlertsCmd(t, filepath.Join(dir, "vigil.yaml"), len(stored), field(t, out, `and (\d+) incidents there`), tr.Account)

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
		return regexp.MustCompile(`Done in [0-9.]+ s`).ReplaceAllString(s, "Done in T s")
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

// TestMain lets the test binary stand in for the vigil binary: a test that
// needs a real process (signals, exit status) runs os.Args[0] with
// VIGIL_TEST_MAIN=1 and vigil's arguments.
func TestMain(m *testing.M) {
	if os.Getenv("VIGIL_TEST_MAIN") == "1" {
		os.Exit(run(os.Args[1:]))
	}
	os.Exit(m.Run())
}

// TestDemoServe runs 'vigil demo --serve' as a process: after the story it
// serves the demo's data (ready, metrics, the stored alerts, a line appended
// to the log stored at once), and SIGTERM ends it with exit status 0.
func TestDemoServe(t *testing.T) {
	if testing.Short() {
		t.Skip("a demo run in a process of its own")
	}
	dir := filepath.Join(t.TempDir(), "clinic")
	cmd := exec.Command(os.Args[0], "demo", "--dir", dir, "--serve") //nolint:gosec // G204: the test binary itself
	cmd.Env = append(os.Environ(), "VIGIL_TEST_MAIN=1")
	var errOut bytes.Buffer
	cmd.Stderr = &errOut
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = cmd.Process.Kill() }() // on a failure before SIGTERM

	// Read the story and what serve prints, up to its address and store.
	var out strings.Builder
	var addr string
	sc := bufio.NewScanner(stdout)
	for sc.Scan() && sc.Text() != "Explore:" {
		out.WriteString(sc.Text() + "\n")
		if m := regexp.MustCompile(`^  http://(127\.0\.0\.1:\d+) `).FindStringSubmatch(sc.Text()); m != nil {
			addr = m[1]
		}
	}
	if addr == "" {
		t.Fatalf("no address printed:\n%s\n%s", out.String(), errOut.String())
	}
	go func() { _, _ = io.Copy(io.Discard, stdout) }()
	get := func(path string) string {
		t.Helper()
		resp, err := http.Get("http://" + addr + path) //nolint:noctx // a test against loopback
		if err != nil {
			t.Fatal(err)
		}
		defer func() { _ = resp.Body.Close() }()
		b, err := io.ReadAll(resp.Body)
		if err != nil || resp.StatusCode != http.StatusOK {
			t.Fatalf("GET %s: %d %v", path, resp.StatusCode, err)
		}
		return string(b)
	}
	if got := get("/readyz"); got != "ready\n" {
		t.Errorf("/readyz: %q", got)
	}
	if m := get("/metrics"); !strings.Contains(m, "vigil_bus_lag_messages 0") || !strings.Contains(m, "vigil_detect_events_total") {
		t.Errorf("/metrics lacks serve's figures:\n%s", m)
	}

	// The alerts the story counted are in the store serve runs on, the
	// attack's among them.
	stored := storedAlerts(t, filepath.Join(dir, "data", "vigil.db"))
	if got := field(t, out.String(), `store \S+ \((\d+) alerts,`); got != strconv.Itoa(len(stored)) {
		t.Errorf("serve says %s alerts, the store holds %d", got, len(stored))
	}
	account := field(t, out.String(), `Account: +(\S+), from`)
	found := false
	for _, a := range stored {
		found = found || (a.Account == account && a.Rule == "login-after-failures")
	}
	if !found {
		t.Errorf("no login-after-failures alert on %s in the store", account)
	}

	// It is live: a line appended to the log reaches the store.
	st, err := sqlite.Open(t.Context(), sqlite.Options{Path: filepath.Join(dir, "data", "vigil.db")})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = st.Close() }()
	before, err := st.CountEvents(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.OpenFile(filepath.Join(dir, "logs", "merged.log"), os.O_APPEND|os.O_WRONLY, 0) //nolint:gosec // G304: the test's own directory
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteString("2021-08-31T00:00:01 imap-login: Info: Disconnected (auth failed, 1 attempts in 2 secs): user=<dr.wood1>, method=PLAIN, rip=127.12.9.9, lip=127.0.0.1, session=<testdemoserve1>\n"); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		n, err := st.CountEvents(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		if n == before+1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the appended line did not reach the store: %d events, %d before", n, before)
		}
		time.Sleep(100 * time.Millisecond)
	}

	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("after SIGTERM: %v\n%s", err, errOut.String())
		}
	case <-time.After(60 * time.Second): // a bound for a hung shutdown only
		t.Fatal("vigil demo --serve did not stop within 60s of SIGTERM")
	}
}

// checkAlertsCmd lists what the demo's serve stored with 'vigil alerts':
// every stored alert, the story's incidents, one account's alerts only,
// and the same alerts as JSON lines.
func checkAlertsCmd(t *testing.T, cfg string, alerts int, incidents, account string) {
	t.Helper()
	out, errOut, code := runCLI(t, "", "alerts", "--config", cfg)
	if code != 0 || !strings.HasSuffix(out, fmt.Sprintf("\n%d alert(s)\n", alerts)) || strings.Count(out, "\n") != alerts+2 {
		t.Errorf("vigil alerts: exit %d, %s; want %d alerts listed:\n%s", code, errOut, alerts, out)
	}
	out, _, code = runCLI(t, "", "alerts", "--config", cfg, "--incidents")
	if code != 0 || !strings.HasSuffix(out, "\n"+incidents+" incident(s)\n") {
		t.Errorf("vigil alerts --incidents: exit %d; want the story's %s incidents:\n%s", code, incidents, out)
	}
	out, _, code = runCLI(t, "", "alerts", "--config", cfg, "--account", account, "--json")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if code != 0 || len(lines) == 0 || len(lines) >= alerts {
		t.Fatalf("vigil alerts --account %s --json: exit %d, %d lines of %d alerts", account, code, len(lines), alerts)
	}
	rules := map[string]bool{}
	for _, l := range lines {
		var a struct{ User, Rule string }
		if err := json.Unmarshal([]byte(l), &a); err != nil || a.User != account {
			t.Errorf("vigil alerts --account %s --json: %v: %s", account, err, l)
		}
		rules[a.Rule] = true
	}
	if !rules["login-after-failures"] {
		t.Errorf("the attacked account's alerts lack login-after-failures: %v", rules)
	}
}
