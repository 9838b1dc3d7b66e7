package main

import (
	"bufio"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/vigilhq/vigil/internal/alert"
	"github.com/vigilhq/vigil/internal/shareddata"
	"github.com/vigilhq/vigil/internal/sim"
)

func alertsOf(t *testing.T, out string) []alert.Alert {
	t.Helper()
	var as []alert.Alert
	sc := bufio.NewScanner(strings.NewReader(out))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var a alert.Alert
		if err := json.Unmarshal(sc.Bytes(), &a); err != nil {
			t.Fatalf("not a JSON alert: %v: %s", err, sc.Text())
		}
		as = append(as, a)
	}
	return as
}

// TestAnalyzeLabLog is the acceptance check on the real Dovecot 2.3 lab log:
// the password guessing from 127.0.0.3, and the session from 127.0.0.2 that
// downloaded dr.smith's mailbox (then reception's over POP3), with what it read.
func TestAnalyzeLabLog(t *testing.T) {
	path := shareddata.Path(t, "dovecot-2.3-lab/dovecot-info.log")
	out, errOut, code := runCLI(t, "", "analyze", "--json", path)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	as := alertsOf(t, out)
	var brute, drSmithRead, receptionRead, high bool
	for _, a := range as {
		if a.ID == "" || a.Time.IsZero() || a.Summary == "" || len(a.Attack) == 0 || a.FirstSeen.IsZero() {
			t.Errorf("alert missing fields: %+v", a)
		}
		if a.SrcIP == "127.0.0.4" || a.SrcIP == "127.0.0.1" || a.SrcIP == "127.0.0.5" {
			t.Errorf("alert about an address that did nothing wrong enough: %+v", a)
		}
		if a.SrcIP == "127.0.0.3" && a.User == "reception" && strings.Contains(a.Rule, "failures") {
			brute = true
			if a.Evidence.Count != 5 {
				t.Errorf("127.0.0.3 failed 5 times (each logged 3 ways); counted %d", a.Evidence.Count)
			}
		}
		if a.SrcIP != "127.0.0.2" {
			continue
		}
		high = high || a.Severity >= alert.High
		for _, r := range a.Evidence.Reads {
			switch {
			case r.User == "dr.smith" && r.Session == "Z5k8Q2Rhtc1/AAAC":
				// No mail_opened in this log for that session: the FETCH sets and
				// the logout count (12 bodies: 6 messages fetched twice) bound it.
				if r.Exact || !strings.Contains(r.UIDs, "1:*") || !strings.Contains(r.Bound, "12 bodies") {
					t.Errorf("dr.smith read evidence: %+v", r)
				}
				drSmithRead = true
			case r.User == "reception" && r.UIDs == "1:3" && r.Exact:
				receptionRead = true
			}
		}
	}
	if !brute || !drSmithRead || !receptionRead || !high {
		t.Fatalf("brute=%v drSmithRead=%v receptionRead=%v high=%v\n%s", brute, drSmithRead, receptionRead, high, out)
	}
}

func TestAnalyzeTableAndUsage(t *testing.T) {
	path := shareddata.Path(t, "dovecot-2.3-lab/dovecot-info.log")
	out, _, code := runCLI(t, "", "analyze", "--exit-code", path)
	if code != exitFindings || !strings.Contains(out, "INCIDENT") || !strings.Contains(out, "UIDs 1:3 (exact)") {
		t.Fatalf("exit %d:\n%s", code, out)
	}
	if _, _, code := runCLI(t, "", "analyze"); code != exitUsage {
		t.Fatalf("no files: exit %d", code)
	}
	if _, _, code := runCLI(t, "", "analyze", "--min-severity", "severe", path); code != exitUsage {
		t.Fatalf("bad severity: exit %d", code)
	}
	_, errOut, code := runCLI(t, "", "analyze", "/nonexistent/log", path)
	if code != exitUsage || !strings.Contains(errOut, "/nonexistent/log") {
		t.Fatalf("missing file: exit %d, %s", code, errOut)
	}
}

// learn builds baselines that a later analyze uses: with the lab's own
// history learned, the same log raises no new-network alerts and keeps the
// baselines it loaded.
func TestLearnThenAnalyze(t *testing.T) {
	path := shareddata.Path(t, "dovecot-2.3-lab/dovecot-info.log")
	state := t.TempDir()
	out, errOut, code := runCLI(t, "", "learn", "--state", state, path)
	if code != 0 || !strings.Contains(out, "accounts have baselines") {
		t.Fatalf("learn: exit %d %s %s", code, out, errOut)
	}
	if !strings.Contains(out, "; 2 accounts") {
		t.Fatalf("learn should know dr.smith and reception: %s", out)
	}
	if _, _, code := runCLI(t, "", "learn", path); code != exitUsage {
		t.Fatalf("learn without --state: exit %d", code)
	}
	out, _, code = runCLI(t, "", "analyze", "--json", "--state", state, path)
	if code != 0 || len(alertsOf(t, out)) == 0 {
		t.Fatalf("analyze with state: exit %d\n%s", code, out)
	}
}

func TestTestRules(t *testing.T) {
	out, errOut, code := runCLI(t, "", "test", "rules", "../../rules")
	if code != 0 || !strings.Contains(out, "PASS  tests/lab.test.yml") || strings.Contains(out, "FAIL") {
		t.Fatalf("exit %d:\n%s%s", code, out, errOut)
	}
	dir := t.TempDir()
	if err := os.WriteFile(dir+"/x.test.yml", []byte("tests:\n  - name: expects what never happens\n    input: |\n      2026-11-29T06:18:33 auth: Info: passwd-file(reception,127.0.0.3,<3ypMQ2RhV6V/AAAD>): Password mismatch\n    expect:\n      - rule: password-spray\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	out, _, code = runCLI(t, "", "test", "rules", dir)
	if code != exitFindings || !strings.Contains(out, "FAIL") || !strings.Contains(out, "0 of 1 cases passed") {
		t.Fatalf("failing case: exit %d\n%s", code, out)
	}
	if _, _, code := runCLI(t, "", "test", "rules", "/nonexistent"); code != exitUsage {
		t.Fatalf("missing dir: exit %d", code)
	}
}

// --webhook sends the high alerts to a real HTTP server as chat text.
func TestAnalyzeWebhook(t *testing.T) {
	path := shareddata.Path(t, "dovecot-2.3-lab/dovecot-info.log")
	var mu sync.Mutex
	var texts []string
	srv := httptest.NewServer(http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
		var m map[string]string
		_ = json.NewDecoder(r.Body).Decode(&m)
		mu.Lock()
		texts = append(texts, m["text"])
		mu.Unlock()
	}))
	defer srv.Close()
	_, errOut, code := runCLI(t, "", "analyze", "--json", "--webhook", srv.URL, "--webhook-format", "slack", path)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	mu.Lock()
	defer mu.Unlock()
	// High alerts on the lab log: 127.0.0.2 reading two accounts, its POP3
	// download of reception's whole mailbox, and that session's read report.
	if len(texts) != 3 || !strings.Contains(texts[0], "[HIGH]") || !strings.Contains(strings.Join(texts, "\n"), "rule mailbox-download") {
		t.Fatalf("webhook got %d messages: %q", len(texts), texts)
	}
	for _, bad := range [][]string{{"--webhook", "ftp://x"}, {"--syslog", "x:514"}, {"--smtp", "127.0.0.1:25"}, {"--notify-min-severity", "x", "--webhook", srv.URL}} {
		if _, _, code := runCLI(t, "", append(append([]string{"analyze"}, bad...), path)...); code != exitUsage {
			t.Errorf("%v: exit %d", bad, code)
		}
	}
}

func TestAnalyzeDetectConfig(t *testing.T) {
	path := shareddata.Path(t, "dovecot-2.3-lab/dovecot-info.log")
	dir := t.TempDir()
	good, bad := dir+"/good.yml", dir+"/bad.yml"
	// With fail2ban's 5 replaced by 6, 127.0.0.3's five failures raise nothing.
	if err := os.WriteFile(good, []byte("repeat_count: 6\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(bad, []byte("repeat_cnt: 6\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	out, _, code := runCLI(t, "", "analyze", "--json", "--detect-config", good, path)
	if code != 0 || strings.Contains(out, "127.0.0.3") {
		t.Fatalf("exit %d:\n%s", code, out)
	}
	_, errOut, code := runCLI(t, "", "analyze", "--detect-config", bad, path)
	if code != exitUsage || !strings.Contains(errOut, "repeat_cnt") {
		t.Fatalf("bad config: exit %d %s", code, errOut)
	}
}

// A line vigil cannot read is reported by file, line and reason, and the
// rest of the input is still analysed.
func TestAnalyzeReportsBadLines(t *testing.T) {
	lab := shareddata.Path(t, "dovecot-2.3-lab/dovecot-info.log")
	raw, err := os.ReadFile(lab) //nolint:gosec // G304: test data beside the repository
	if err != nil {
		t.Fatal(err)
	}
	p := t.TempDir() + "/mixed.log"
	if err := os.WriteFile(p, append([]byte("this is not a log line\n"), raw...), 0o600); err != nil { //nolint:gosec // G703: the test's own temporary file
		t.Fatal(err)
	}
	out, errOut, code := runCLI(t, "", "analyze", "--json", p)
	if code != 0 || !strings.Contains(errOut, "mixed.log:1: ") || strings.Contains(errOut, "this is not") {
		t.Fatalf("exit %d, stderr: %s", code, errOut)
	}
	if !strings.Contains(out, "source-reads-many-mailboxes") {
		t.Fatal("the rest of the file was not analysed")
	}
}

// Baselines survive a restart: learned by one process run from history, they
// let a later 'vigil analyze --state' see that a login from abroad is new.
func TestLearnedBaselinesAcrossRuns(t *testing.T) {
	out := sim.Generate(sim.Options{Seed: 11, Staff: 20, Days: 30, AttackDay: 25, Scenarios: []sim.Scenario{sim.StolenAbroad}})
	dir := t.TempDir()
	cp, ap, err := sim.WriteGeoDBs(dir)
	if err != nil {
		t.Fatal(err)
	}
	cut := out.Start.AddDate(0, 0, 20).Format("2006-01-02T")
	split := len(out.Lines)
	for i, l := range out.Lines {
		if l >= cut && !strings.HasPrefix(l, "[") {
			split = i
			break
		}
	}
	history, recent := dir+"/mail.log.1", dir+"/mail.log"
	if err := os.WriteFile(history, []byte(strings.Join(out.Lines[:split], "\n")+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(recent, []byte(strings.Join(out.Lines[split:], "\n")+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	state := dir + "/baselines"
	geo := []string{"--geoip-country", cp, "--geoip-asn", ap}
	if _, errOut, code := runCLI(t, "", append([]string{"learn", "--state", state, history}, geo...)...); code != 0 {
		t.Fatalf("learn: %s", errOut)
	}
	stdout, errOut, code := runCLI(t, "", append([]string{"analyze", "--json", "--state", state, "--min-severity", "high", recent}, geo...)...)
	if code != 0 {
		t.Fatalf("analyze: %s", errOut)
	}
	victim := out.Truth[0].Account
	found := false
	for _, a := range alertsOf(t, stdout) {
		found = found || (a.Rule == "new-country" && a.User == victim && a.SrcIP == "127.66.12.34")
	}
	if !found {
		t.Fatalf("no new-country alert for %s from the learned baselines:\n%s", victim, stdout)
	}
	// Without the learned state the first days of the recent log are the
	// learning period: nothing is "new" yet.
	stdout, _, _ = runCLI(t, "", append([]string{"analyze", "--json", "--min-severity", "high", recent}, geo...)...)
	if strings.Contains(stdout, `"rule":"new-country"`) {
		t.Fatalf("new-country without learned baselines:\n%s", stdout)
	}
}

// TestAnalyzeLateMailOpened: Dovecot's stats process can write a session's
// mail_opened lines after the logout line. The lab log's real POP3 download
// (lines 34–39) is replayed with two of its three mail_opened lines moved
// after the logout: vigil analyze must still list one session with UIDs 1:3.
func TestAnalyzeLateMailOpened(t *testing.T) {
	raw, err := os.ReadFile(shareddata.Path(t, "dovecot-2.3-lab/dovecot-info.log")) //nolint:gosec // G304: test data beside the repository
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(string(raw), "\n")
	// 1-based lines 34–39: auth, login, 3× mail_opened, logout.
	session := []string{lines[33], lines[34], lines[35], lines[38], lines[36], lines[37]}
	if !strings.Contains(session[3], "Logged out") || !strings.Contains(session[5], "mail_opened") {
		t.Fatalf("the lab log changed:\n%s", strings.Join(session, "\n"))
	}
	path := filepath.Join(t.TempDir(), "late.log")
	if err := os.WriteFile(path, []byte(strings.Join(session, "\n")+"\n"), 0o600); err != nil { //nolint:gosec // G703: the test's own temp dir
		t.Fatal(err)
	}
	out, errOut, code := runCLI(t, "", "analyze", path)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	if !strings.Contains(out, "UIDs 1:3 (exact)") || strings.Contains(out, "UIDs 2:3") || strings.Contains(out, "UIDs 1 (exact)") {
		t.Fatalf("the session's reads were split or lost:\n%s", out)
	}
}
