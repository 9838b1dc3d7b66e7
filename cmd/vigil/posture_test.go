package main

import (
	"archive/zip"
	"encoding/json"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vigilhq/vigil/internal/alert"
	"github.com/vigilhq/vigil/internal/shareddata"
)

const founding = "../../internal/founding/"

// TestPostureFoundingCase runs 'vigil posture' on the founding case (see
// founding/README.md) as a clinic's IT person would.
func TestPostureFoundingCase(t *testing.T) {
	kev := shareddata.Path(t, "kev/known_exploited_vulnerabilities.json")
	out, errOut, code := runCLI(t, "", "posture", "--osv", founding+"osv", "--kev", kev, "--now", "2021-08-20", founding+"mail1.yaml")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	for _, s := range []string{
		"mail1.clinic.example (Debian:10): grade F, failing",
		"last update: 2020-07-14 (402 days ago); last security update: 2020-07-14 (402 days ago)",
		"This server has not been updated for 13 months",
		"What to do: Install the waiting updates now",
		"roundcube  1.3.10+dfsg.1-1~deb10u1  1.3.13+dfsg.1-0+deb10u1  critical",
		"ALERT [high] posture.no-security-update",
	} {
		if !strings.Contains(out, s) {
			t.Errorf("output lacks %q:\n%s", s, out)
		}
	}
	if !strings.Contains(errOut, "9 OSV records read, 7 about these hosts' packages (1 withdrawn skipped)") {
		t.Errorf("stderr: %s", errOut)
	}

	// --json: one clean document per host; --fail-on D exits 1.
	out, _, code = runCLI(t, "", "posture", "--osv", founding+"osv", "--kev", kev, "--now", "2023-08-01", "--json", "--fail-on", "D", founding+"mail1.yaml")
	if code != 1 {
		t.Errorf("--fail-on D with grade F: exit %d", code)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 1 {
		t.Fatalf("%d lines of JSON", len(lines))
	}
	var doc struct {
		Host                        string `json:"host"`
		Grade                       string `json:"grade"`
		DaysSinceLastUpdate         int    `json:"days_since_last_update"`
		DaysSinceLastSecurityUpdate int    `json:"days_since_last_security_update"`
		Findings                    []struct {
			ID               string   `json:"id"`
			Aliases          []string `json:"aliases"`
			Package          string   `json:"package"`
			SourcePackage    string   `json:"source_package"`
			InstalledVersion string   `json:"installed_version"`
			FixedVersion     string   `json:"fixed_version"`
			Severity         string   `json:"severity"`
			KEV              bool     `json:"kev"`
			KEVDueDate       *string  `json:"kev_due_date"`
			PatchLagDays     *int     `json:"patch_lag_days"`
			Overdue          bool     `json:"overdue"`
		} `json:"findings"`
	}
	if err := json.Unmarshal([]byte(lines[0]), &doc); err != nil {
		t.Fatal(err)
	}
	if doc.Host != "mail1.clinic.example" || doc.Grade != "F" || doc.DaysSinceLastUpdate != 1113 || doc.DaysSinceLastSecurityUpdate != 1113 || len(doc.Findings) != 6 {
		t.Errorf("%+v", doc)
	}
	f := doc.Findings[0]
	if f.ID != "DSA-4674-1" || !f.KEV || f.KEVDueDate == nil || *f.KEVDueDate != "2023-07-13" || !f.Overdue || f.PatchLagDays == nil || *f.PatchLagDays != 1178 ||
		f.Package != "roundcube-core" || f.SourcePackage != "roundcube" || f.Severity != "critical" || len(f.Aliases) != 4 {
		t.Errorf("first finding %+v", f)
	}
}

// TestPostureStatusAndHistoryFlags: a bare dpkg status file with --history.
func TestPostureStatusAndHistoryFlags(t *testing.T) {
	out, errOut, code := runCLI(t, "", "posture", "--osv", founding+"osv", "--now", "2021-08-20",
		"--history", founding+"history.log.1.gz", "--history", founding+"history.log", "--json", founding+"mail1.status")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var doc map[string]any
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatal(err)
	}
	if doc["host"] != "mail1" || doc["days_since_last_update"] != float64(402) || doc["internet_facing"] != false {
		t.Errorf("%v", doc)
	}
}

func TestPostureUsage(t *testing.T) {
	for _, args := range [][]string{
		{"posture"},
		{"posture", "--now", "yesterday", founding + "mail1.yaml"},
		{"posture", "--fail-on", "Z", founding + "mail1.yaml"},
		{"posture", "--now", "2021-08-20", founding + "no-such-file"},
		{"posture", "--osv", founding + "no-such-dir", founding + "mail1.yaml"},
	} {
		if _, errOut, code := runCLI(t, "", args...); code != 2 || errOut == "" {
			t.Errorf("%v: exit %d, stderr %q", args, code, errOut)
		}
	}
}

// TestInventoryThenPosture: this host's inventory as CycloneDX, read back by
// posture.
func TestInventoryThenPosture(t *testing.T) {
	out, errOut, code := runCLI(t, "", "inventory", "--host", "this-host", "--internet-facing")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var bom struct {
		BOMFormat  string `json:"bomFormat"`
		Components []struct {
			Type string `json:"type"`
			PURL string `json:"purl"`
		} `json:"components"`
	}
	if err := json.Unmarshal([]byte(out), &bom); err != nil {
		t.Fatal(err)
	}
	if bom.BOMFormat != "CycloneDX" || len(bom.Components) < 100 || !strings.HasPrefix(bom.Components[1].PURL, "pkg:deb/") {
		t.Fatalf("%s, %d components", bom.BOMFormat, len(bom.Components))
	}
	path := filepath.Join(t.TempDir(), "this-host.cdx.json")
	if err := os.WriteFile(path, []byte(out), 0o600); err != nil {
		t.Fatal(err)
	}
	pout, errOut, code := runCLI(t, "", "posture", "--json", path)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var doc map[string]any
	if err := json.Unmarshal([]byte(pout), &doc); err != nil {
		t.Fatal(err)
	}
	if doc["host"] != "this-host" || doc["internet_facing"] != true || doc["packages"] != float64(len(bom.Components)-1) {
		t.Errorf("%v", doc)
	}
	if rout, _, code := runCLI(t, "", "inventory", "--rpm-queryformat"); code != 0 || !strings.Contains(rout, "%{SOURCERPM}") {
		t.Errorf("rpm format: %q", rout)
	}
}

// TestPostureZipAndCache: the founding case's records as an all.zip, read
// twice: the second run uses the name cache and says the same.
func TestPostureZipAndCache(t *testing.T) {
	cache := t.TempDir()
	t.Setenv("XDG_CACHE_HOME", cache)
	zpath := filepath.Join(t.TempDir(), "all.zip")
	zf, err := os.Create(zpath) //nolint:gosec // G304: the test's temporary file
	if err != nil {
		t.Fatal(err)
	}
	zw := zip.NewWriter(zf)
	recs, err := filepath.Glob(founding + "osv/*.json")
	if err != nil || len(recs) < 5 {
		t.Fatal(err, recs)
	}
	for _, r := range recs {
		b, err := os.ReadFile(r) //nolint:gosec // G304: test data
		if err != nil {
			t.Fatal(err)
		}
		w, err := zw.Create(filepath.Base(r))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write(b); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := zf.Close(); err != nil {
		t.Fatal(err)
	}
	args := []string{"posture", "--osv", zpath, "--now", "2021-08-20", "--json", founding + "mail1.yaml"}
	first, errOut, code := runCLI(t, "", args...)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	if files, _ := filepath.Glob(filepath.Join(cache, "vigil", "osv-names-*.gob")); len(files) != 1 {
		t.Fatalf("cache files: %v", files)
	}
	second, _, _ := runCLI(t, "", args...)
	if first != second || !strings.Contains(first, `"grade":"F"`) {
		t.Errorf("first run:\n%s\nsecond run:\n%s", first, second)
	}
	if third, _, _ := runCLI(t, "", append([]string{"posture", "--no-cache"}, args[1:]...)...); third != first {
		t.Errorf("--no-cache:\n%s", third)
	}
}

// TestPostureAlertsToOutputs sends the founding case's posture alerts through
// the outputs detection uses: a real HTTP webhook server and a real syslog
// (UDP) listener receive what the report lists as its alerts.
func TestPostureAlertsToOutputs(t *testing.T) {
	kev := shareddata.Path(t, "kev/known_exploited_vulnerabilities.json")
	var mu sync.Mutex
	var hooked []alert.Alert
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var a alert.Alert
		if err := json.NewDecoder(r.Body).Decode(&a); err != nil {
			t.Errorf("webhook body: %v", err)
		}
		mu.Lock()
		hooked = append(hooked, a)
		mu.Unlock()
		w.WriteHeader(http.StatusNoContent)
	}))
	defer srv.Close()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = pc.Close() }()

	out, errOut, code := runCLI(t, "", "posture", "--osv", founding+"osv", "--kev", kev, "--now", "2021-08-20", "--json",
		"--webhook", srv.URL, "--syslog", "udp://"+pc.LocalAddr().String(), founding+"mail1.yaml")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var doc struct {
		Alerts []struct {
			Host, Rule, Severity, Title string
			Evidence                    []string
		} `json:"alerts"`
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	if len(doc.Alerts) == 0 {
		t.Fatal("the founding case raised no posture alert")
	}
	var syslogs []string
	buf := make([]byte, 64<<10)
	for range doc.Alerts {
		_ = pc.SetReadDeadline(time.Now().Add(5 * time.Second))
		n, _, err := pc.ReadFrom(buf)
		if err != nil {
			t.Fatalf("syslog: %d of %d alerts arrived: %v", len(syslogs), len(doc.Alerts), err)
		}
		syslogs = append(syslogs, string(buf[:n]))
	}
	mu.Lock()
	defer mu.Unlock()
	if len(hooked) != len(doc.Alerts) {
		t.Fatalf("webhook got %d alerts, the report lists %d", len(hooked), len(doc.Alerts))
	}
	for i, want := range doc.Alerts {
		got := hooked[i]
		if got.Host != want.Host || got.Rule != want.Rule || got.Severity.String() != want.Severity || got.Summary != want.Title ||
			strings.Join(got.Evidence.Findings, "|") != strings.Join(want.Evidence, "|") || got.ID == "" {
			t.Errorf("webhook alert %d = %+v, report says %+v", i, got, want)
		}
		s := syslogs[i]
		for _, part := range []string{"|vigil|vigil|", "|" + want.Rule + "|" + want.Title + "|", "dhost=" + want.Host, "externalId=" + got.ID} {
			if !strings.Contains(s, part) {
				t.Errorf("syslog message %d lacks %q: %s", i, part, s)
			}
		}
	}
	// The founding case's defining alert: 13 months without a security update.
	first := hooked[0]
	if first.Rule != "posture.no-security-update" || first.Host != "mail1.clinic.example" || first.Severity != alert.High ||
		!strings.Contains(first.Summary, "No security update for 402 days on internet-facing mail1.clinic.example") ||
		len(first.Evidence.Findings) != 1 || first.Evidence.Findings[0] != "last security update: 2020-07-14" {
		t.Errorf("first alert: %+v", first)
	}
	if !strings.HasPrefix(syslogs[0], "<35>1 ") {
		t.Errorf("syslog priority of a high alert: %s", syslogs[0][:10])
	}

	// An output that refuses: the report is still written, the exit is 1.
	bad := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusBadGateway) }))
	defer bad.Close()
	out, errOut, code = runCLI(t, "", "posture", "--osv", founding+"osv", "--now", "2021-08-20", "--webhook", bad.URL, founding+"mail1.yaml")
	if code != 1 || !strings.Contains(out, "grade F") || !strings.Contains(errOut, "could not be delivered") {
		t.Errorf("refusing webhook: exit %d, stderr %s", code, errOut)
	}
}
