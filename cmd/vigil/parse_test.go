package main

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vigilhq/vigil/internal/shareddata"
)

// runCLI runs the command line in-process and returns stdout, stderr and the exit code.
func runCLI(t *testing.T, stdin string, args ...string) (string, string, int) {
	t.Helper()
	var out, errb bytes.Buffer
	root := newRoot()
	root.SetArgs(args)
	root.SetOut(&out)
	root.SetErr(&errb)
	root.SetIn(strings.NewReader(stdin))
	code := exitCode(root.Execute(), &errb)
	return out.String(), errb.String(), code
}

// TestParseLabLog is the acceptance check of 'vigil parse' on the real
// Dovecot 2.3 lab log: an event for every login, failure, logout and exporter
// line, and the startup line ignored with its reason.
func TestParseLabLog(t *testing.T) {
	path := shareddata.Path(t, "dovecot-2.3-lab/dovecot-info.log")
	raw, err := os.ReadFile(path) //nolint:gosec // G304: test data beside the repository
	if err != nil {
		t.Fatal(err)
	}
	// What the log holds, counted from its text.
	var logins, failures, logouts, exporter, startup int
	for _, l := range strings.Split(strings.TrimSpace(string(raw)), "\n") {
		switch {
		case strings.Contains(l, "-login: Info: Login: "):
			logins++
		case strings.Contains(l, "): Password mismatch"), strings.Contains(l, "(auth failed, "):
			failures++
		case strings.Contains(l, ": Info: Disconnected: Logged out "):
			logouts++
		case strings.Contains(l, " stats: Info: {"):
			exporter++
		case strings.Contains(l, " starting up for "):
			startup++
		}
	}
	if logins == 0 || failures == 0 || logouts == 0 || exporter == 0 || startup != 1 {
		t.Fatalf("unexpected lab log: %d logins, %d failures, %d logouts, %d exporter, %d startup", logins, failures, logouts, exporter, startup)
	}

	stdout, stderr, code := runCLI(t, "", "parse", "--show-ignored", path)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var gotLogin, gotFail, gotLogout, gotExporter, gotIgnored int
	sc := bufio.NewScanner(strings.NewReader(stdout))
	for sc.Scan() {
		var rec struct {
			Unparsed     bool   `json:"unparsed"`
			Ignored      bool   `json:"ignored"`
			Reason       string `json:"reason"`
			ClassUID     int    `json:"class_uid"`
			ActivityName string `json:"activity_name"`
			Status       string `json:"status"`
			Time         string `json:"time"`
			Metadata     struct {
				LogLine int `json:"log_line"`
			} `json:"metadata"`
		}
		if err := json.Unmarshal(sc.Bytes(), &rec); err != nil {
			t.Fatalf("stdout is not JSON lines: %v: %s", err, sc.Text())
		}
		switch {
		case rec.Unparsed:
			t.Errorf("unparsed line: %s", sc.Text())
		case rec.Ignored:
			gotIgnored++
			if !strings.Contains(rec.Reason, "startup") {
				t.Errorf("ignored for an unexpected reason: %s", sc.Text())
			}
		case isExporterLine(raw, rec.Metadata.LogLine):
			gotExporter++
		case rec.ClassUID == 3002 && rec.ActivityName == "Logon" && rec.Status == "Success":
			gotLogin++
		case rec.ClassUID == 3002 && rec.ActivityName == "Logon" && rec.Status == "Failure":
			gotFail++
		case rec.ClassUID == 3002 && rec.ActivityName == "Logoff":
			gotLogout++
		default:
			t.Errorf("unexpected event: %s", sc.Text())
		}
	}
	if gotLogin != logins || gotFail != failures || gotLogout != logouts || gotExporter != exporter || gotIgnored != startup {
		t.Fatalf("events: %d logins (want %d), %d failures (want %d), %d logouts (want %d), %d exporter (want %d), %d ignored (want %d)",
			gotLogin, logins, gotFail, failures, gotLogout, logouts, gotExporter, exporter, gotIgnored, startup)
	}
	for _, want := range []string{"dovecot", "dovecot-exporter", "dovecot master process notice (startup, shutdown, reload): 1"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("summary lacks %q:\n%s", want, stderr)
		}
	}
}

func isExporterLine(raw []byte, n int) bool {
	lines := strings.Split(string(raw), "\n")
	return n-1 < len(lines) && strings.Contains(lines[n-1], " stats: Info: {")
}

func TestParseUnparsedAndStdin(t *testing.T) {
	in := "Nov 29 06:33:22 mx postfix/submission/smtpd[15093]: warning: unknown[127.0.0.41]: SASL PLAIN authentication failed: (reason unavailable), sasl_username=alice\n" +
		"this is not a mail log line\n"
	stdout, stderr, code := runCLI(t, in, "parse", "-")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	lines := strings.Split(strings.TrimSpace(stdout), "\n")
	if len(lines) != 2 || !strings.Contains(lines[0], `"ip":"127.0.0.41"`) ||
		!strings.Contains(lines[1], `"unparsed":true`) || !strings.Contains(lines[1], `"log_line":2`) || !strings.Contains(lines[1], `"log_name":"stdin"`) {
		t.Fatalf("stdout:\n%s", stdout)
	}
	stdout, _, _ = runCLI(t, in, "parse", "--quiet")
	if strings.Contains(stdout, "unparsed") {
		t.Fatalf("--quiet still wrote unparsed records:\n%s", stdout)
	}
}

func TestParseGzip(t *testing.T) {
	src, err := os.ReadFile(shareddata.Path(t, "dovecot-2.3-lab/dovecot-info.log"))
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "dovecot-info.log.1.gz")
	writeGzip(t, path, src)
	plain, _, _ := runCLI(t, "", "parse", "--no-summary", shareddata.Path(t, "dovecot-2.3-lab/dovecot-info.log"))
	gz, stderr, code := runCLI(t, "", "parse", "--no-summary", path)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if strings.Count(gz, "\n") != strings.Count(plain, "\n") || strings.Count(gz, "\n") < 60 {
		t.Fatalf("gzip gave %d records, plain %d", strings.Count(gz, "\n"), strings.Count(plain, "\n"))
	}
}

func TestExitCodes(t *testing.T) {
	for _, tc := range []struct {
		args []string
		code int
		says string
	}{
		{[]string{"parse", "--format", "exchange"}, exitUsage, "unknown format"},
		{[]string{"parse", "/nonexistent/mail.log"}, exitUsage, "/nonexistent/mail.log"},
		{[]string{"parse", "--tz", "Mars/Olympus"}, exitUsage, "--tz"},
		{[]string{"parse", "--no-such-flag"}, exitUsage, "unknown flag"},
		{[]string{"serve"}, exitUsage, "serve needs --config FILE"},
		{[]string{"serve", "--config", "/nonexistent/vigil.yml"}, exitUsage, "/nonexistent/vigil.yml"},
		{[]string{"config", "check", "../../internal/serve/testdata/bad/unknown-key.yml"}, exitUsage, `line 5: unknown key "max_agee"`},
		{[]string{"config", "check", "../../internal/serve/testdata/good.yml"}, exitOK, ""},
		{[]string{"demo", "--serve", "--dir", t.TempDir(), "--staff", "5"}, exitUsage, "--staff 5"},
		{[]string{"alert"}, exitUsage, `unknown command "alert"`},
		{[]string{"alerts"}, exitUsage, "--config"},
		{[]string{"alerts", "--config", "../../internal/serve/testdata/good.yml", "--since", "yesterday"}, exitUsage, `--since "yesterday"`},
		{[]string{"alerts", "--config", "../../internal/serve/testdata/bad/unknown-key.yml"}, exitUsage, `unknown key "max_agee"`},
	} {
		_, stderr, code := runCLI(t, "", tc.args...)
		if code != tc.code || !strings.Contains(stderr, tc.says) {
			t.Errorf("vigil %v: exit %d, stderr %q; want exit %d mentioning %q", tc.args, code, stderr, tc.code, tc.says)
		}
	}
}

func writeGzip(t *testing.T, path string, data []byte) {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	if _, err := zw.Write(data); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
}
