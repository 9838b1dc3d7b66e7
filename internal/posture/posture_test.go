package posture

import (
	"encoding/json"
	"github.com/vigilhq/vigil/internal/shareddata"
	"strings"
	"testing"
	"time"

	"github.com/vigilhq/vigil/internal/history"
	"github.com/vigilhq/vigil/internal/inventory"
	"github.com/vigilhq/vigil/internal/vulndb"
)

func day(s string) time.Time {
	d, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return d.Add(12 * time.Hour)
}

// founding assesses ../founding (README.md there) as of now.
func founding(t *testing.T, now time.Time) *Report {
	t.Helper()
	db := vulndb.New(vulndb.Options{})
	if errs, err := db.Load("../founding/osv"); err != nil || len(errs) > 0 {
		t.Fatal(err, errs)
	}
	kev, err := vulndb.LoadKEV(shareddata.Path(t, "kev/known_exploited_vulnerabilities.json"))
	if err != nil {
		t.Fatal(err)
	}
	inv, errs, err := inventory.Load("../founding/mail1.yaml")
	if err != nil || len(errs) > 0 {
		t.Fatal(err, errs)
	}
	hist, errs, err := history.ReadFiles(inv.History, time.UTC)
	if err != nil || len(errs) > 0 {
		t.Fatal(err, errs)
	}
	a, err := New(Options{Now: now, OSV: db, KEV: kev})
	if err != nil {
		t.Fatal(err)
	}
	un := &history.Unattended{Known: inv.AutoUpdates != "", Enabled: inv.AutoUpdates == "on", File: "mail1.yaml"}
	r, errs := a.Assess(Host{Inventory: inv, History: hist, Unattended: un})
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	r.Alerts = Alerts(r, DefaultThresholds())
	return r
}

type want struct {
	pkg, src, installed, fixed, severity string
	lag                                  int
	overdue, kev                         bool
	bins                                 string
}

// TestFoundingCase: the mail server of the breach, 13 months without
// updates, judged in August 2021.
func TestFoundingCase(t *testing.T) {
	now := day("2021-08-20")
	r := founding(t, now)
	if r.Grade != "F" || r.Verdict != "failing" {
		t.Errorf("grade %s (%s), want F (failing)", r.Grade, r.Verdict)
	}
	lastUpdate := time.Date(2020, 7, 14, 6, 40, 51, 0, time.UTC)
	wantDays := int(now.Sub(lastUpdate).Hours() / 24)
	if wantDays != 402 {
		t.Fatalf("test arithmetic: %d", wantDays)
	}
	if r.DaysSinceLastUpdate == nil || *r.DaysSinceLastUpdate != wantDays || !r.LastUpdate.Equal(lastUpdate) {
		t.Errorf("days since last update %v (%v), want %d", deref(r.DaysSinceLastUpdate), r.LastUpdate, wantDays)
	}
	// The last update was also the last security update: openssl
	// 1.1.1d-0+deb10u2 → u3 fixed DSA-4661-1. Postfix's update in May fixed
	// nothing known.
	if r.DaysSinceLastSecurityUpdate == nil || *r.DaysSinceLastSecurityUpdate != wantDays {
		t.Errorf("days since last security update %v, want %d", deref(r.DaysSinceLastSecurityUpdate), wantDays)
	}
	text := strings.Join(r.Reasons, "\n")
	for _, s := range []string{
		"This server has not been updated for 13 months (last update on 14 July 2020).",
		"No security update has been installed for 13 months (the last one was on 14 July 2020), while 6 security fixes are waiting.",
		"1 security fix for critical problems is overdue (the deadline is 14 days after a fix comes out): roundcube (CVE-2020-12625, fix available for 467 days).",
		"3 security fixes for high problems are overdue (the deadline is 30 days after a fix comes out): ",
		"dovecot (CVE-2020-12100, fix available for 373 days)",
		"Automatic updates are configured (mail1.yaml), yet nothing was installed for 402 days: check that they run.",
	} {
		if !strings.Contains(text, s) {
			t.Errorf("reasons lack %q:\n%s", s, text)
		}
	}
	// KEV did not exist before November 2021: nothing is marked exploited
	// as of August 2021.
	got := map[string]Finding{}
	for _, f := range r.Findings {
		got[f.ID] = f
		if f.KEV {
			t.Errorf("%s marked KEV before the catalogue listed it", f.ID)
		}
	}
	wants := map[string]want{
		"DSA-4674-1": {"roundcube-core", "roundcube", "1.3.10+dfsg.1-1~deb10u1", "1.3.13+dfsg.1-0+deb10u1", "critical", 467, true, false, "roundcube-core"},
		"DSA-4745-1": {"dovecot-core", "dovecot", "1:2.3.4.1-5+deb10u1", "1:2.3.4.1-5+deb10u3", "high", 373, true, false, "dovecot-core,dovecot-imapd"},
		"DSA-4855-1": {"openssl", "openssl", "1.1.1d-0+deb10u3", "1.1.1d-0+deb10u5", "high", 184, true, false, "openssl,libssl1.1"},
		"DSA-4875-1": {"openssl", "openssl", "1.1.1d-0+deb10u3", "1.1.1d-0+deb10u6", "high", 148, true, false, "openssl,libssl1.1"},
		"DSA-4807-1": {"openssl", "openssl", "1.1.1d-0+deb10u3", "1.1.1d-0+deb10u4", "medium", 254, false, false, "openssl,libssl1.1"},
		"DSA-4821-1": {"roundcube-core", "roundcube", "1.3.10+dfsg.1-1~deb10u1", "1.3.16+dfsg.1-1~deb10u1", "medium", 228, false, false, "roundcube-core"},
	}
	if len(r.Findings) != len(wants) || r.Overdue != 4 {
		t.Errorf("%d findings, %d overdue; want %d, 4", len(r.Findings), r.Overdue, len(wants))
	}
	for id, w := range wants {
		f, ok := got[id]
		if !ok {
			t.Errorf("no finding %s", id)
			continue
		}
		if f.Package != w.pkg || f.SourcePackage != w.src || f.InstalledVersion != w.installed || f.FixedVersion != w.fixed ||
			f.Severity.String() != w.severity || deref(f.PatchLagDays) != w.lag || f.Overdue != w.overdue || f.KEV != w.kev ||
			strings.Join(f.Binaries, ",") != w.bins {
			t.Errorf("%s = %+v (lag %d)\nwant %+v", id, f, deref(f.PatchLagDays), w)
		}
	}
	// Fixes already installed (DSA-4661-1), withdrawn records and other
	// distributions' records give no finding; postfix has none.
	for _, id := range []string{"DSA-4661-1", "DEBIAN-WITHDRAWN-1", "USN-4738-1", "ALPINE-CVE-2021-3449"} {
		if _, ok := got[id]; ok {
			t.Errorf("finding %s should not be there", id)
		}
	}
	// When the installed version arrived, from the rotated history.
	if f := got["DSA-4674-1"]; f.InstalledSince == nil || f.InstalledSince.Format(time.DateOnly) != "2020-02-11" {
		t.Errorf("roundcube installed since %v", f.InstalledSince)
	}
	// Overdue first, worst first.
	if r.Findings[0].ID != "DSA-4674-1" {
		t.Errorf("first finding %s", r.Findings[0].ID)
	}
	// The alerts a clinic's IT person would get.
	rules := map[string]Alert{}
	for _, a := range r.Alerts {
		rules[a.Rule] = a
	}
	if a, ok := rules["posture.no-security-update"]; !ok || !strings.Contains(a.Title, "No security update for 402 days on internet-facing mail1.clinic.example (limit 90 days)") {
		t.Errorf("alerts %+v", r.Alerts)
	}
	if a, ok := rules["posture.critical-overdue"]; !ok || len(a.Evidence) != 1 || !strings.HasPrefix(a.Evidence[0], "DSA-4674-1 roundcube") {
		t.Errorf("alerts %+v", r.Alerts)
	}
	if _, ok := rules["posture.kev-past-due"]; ok {
		t.Error("KEV alert before KEV existed")
	}
}

// TestFoundingCaseKEV: the same server left alone until August 2023, when
// CISA lists two of its Roundcube bugs as exploited, due 13 July 2023.
func TestFoundingCaseKEV(t *testing.T) {
	r := founding(t, day("2023-08-01"))
	if r.Grade != "F" {
		t.Errorf("grade %s", r.Grade)
	}
	kev := map[string]Finding{}
	for _, f := range r.Findings {
		if f.KEV {
			kev[f.ID] = f
		}
	}
	for id, cve := range map[string]string{"DSA-4674-1": "CVE-2020-12641", "DSA-4821-1": "CVE-2020-35730"} {
		f, ok := kev[id]
		if !ok || f.KEVDueDate == nil || f.KEVDueDate.Format(time.DateOnly) != "2023-07-13" || !f.Overdue ||
			!strings.Contains(f.OverdueReason, cve+" on CISA's KEV list") {
			t.Errorf("%s: %+v", id, f)
		}
	}
	if len(kev) != 2 {
		t.Errorf("KEV findings %v", kev)
	}
	text := strings.Join(r.Reasons, "\n")
	if !strings.Contains(text, "Criminals are known to be exploiting 2 weaknesses on this server (CISA's Known Exploited Vulnerabilities list), and the deadline to fix them has passed: roundcube (CVE-2020-12641, due 13 July 2023") {
		t.Errorf("reasons:\n%s", text)
	}
	if !strings.Contains(text, "3 years (last update on 14 July 2020)") {
		t.Errorf("age in words:\n%s", text)
	}
	// The JSON document has the fields the issue lists.
	b, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"host", "grade", "days_since_last_update", "days_since_last_security_update", "findings"} {
		if _, ok := doc[k]; !ok {
			t.Errorf("no %q in %s", k, b)
		}
	}
	f0 := doc["findings"].([]any)[0].(map[string]any)
	for _, k := range []string{"id", "aliases", "package", "source_package", "installed_version", "fixed_version", "severity", "kev", "kev_due_date", "patch_lag_days", "overdue"} {
		if _, ok := f0[k]; !ok {
			t.Errorf("finding lacks %q: %v", k, f0)
		}
	}
	if f0["kev"] != true || f0["kev_due_date"] != "2023-07-13" {
		t.Errorf("first finding %v", f0)
	}
}

// TestUpToDateHost: the same server with every fix installed and a
// security update last week grades A.
func TestUpToDateHost(t *testing.T) {
	db := vulndb.New(vulndb.Options{})
	if _, err := db.Load("../founding/osv"); err != nil {
		t.Fatal(err)
	}
	now := day("2021-08-20")
	inv := &inventory.Inventory{Host: "mail2", OS: "Debian:10", Packages: []inventory.Package{
		{Name: "openssl", Version: "1.1.1d-0+deb10u6", Ecosystem: "Debian:10"},
		{Name: "roundcube-core", Source: "roundcube", Version: "1.3.16+dfsg.1-1~deb10u1", Ecosystem: "Debian:10"},
	}}
	h := &history.History{}
	h.Add(history.Change{Time: now.AddDate(0, 0, -7), Package: "openssl", From: "1.1.1d-0+deb10u5", To: "1.1.1d-0+deb10u6", Action: history.Upgrade})
	a, err := New(Options{Now: now, OSV: db})
	if err != nil {
		t.Fatal(err)
	}
	r, errs := a.Assess(Host{Inventory: inv, History: h, Unattended: &history.Unattended{Known: true, Enabled: true}})
	if len(errs) > 0 || r.Grade != "A" || len(r.Findings) != 0 || deref(r.DaysSinceLastSecurityUpdate) != 7 {
		t.Errorf("grade %s findings %v reasons %v errs %v", r.Grade, r.Findings, r.Reasons, errs)
	}
	if len(Alerts(r, DefaultThresholds())) != 0 {
		t.Error("alerts for a patched host")
	}
}

func TestNoHistory(t *testing.T) {
	a, err := New(Options{Now: day("2021-08-20")})
	if err != nil {
		t.Fatal(err)
	}
	r, _ := a.Assess(Host{Inventory: &inventory.Inventory{Host: "x"}})
	if r.DaysSinceLastUpdate != nil || !strings.Contains(strings.Join(r.Reasons, " "), "cannot say when the server was last updated") {
		t.Errorf("%+v", r)
	}
	if _, err := New(Options{}); err == nil {
		t.Error("New without Now")
	}
}

func TestAge(t *testing.T) {
	for _, c := range []struct{ a, b, want string }{
		{"2020-07-14", "2021-08-20", "13 months"},
		{"2020-07-14", "2021-08-13", "12 months"},
		{"2021-08-01", "2021-08-20", "2 weeks"},
		{"2021-08-19", "2021-08-20", "1 day"},
		{"2018-01-01", "2021-03-01", "3 years and 2 months"},
		{"2018-01-01", "2021-01-01", "3 years"},
		{"2019-01-01", "2021-02-01", "2 years and 1 month"},
	} {
		if got := age(day(c.a), day(c.b)); got != c.want {
			t.Errorf("age(%s, %s) = %q, want %q", c.a, c.b, got, c.want)
		}
	}
}

func deref(p *int) int {
	if p == nil {
		return -1
	}
	return *p
}

// TestExchangeProxyLogon: an Exchange 2019 CU8 server never patched after
// December 2020, judged in December 2021 with the real KEV catalogue:
// ProxyLogon and ProxyShell are exploited, used by ransomware, and past
// their due dates.
func TestExchangeProxyLogon(t *testing.T) {
	kev, err := vulndb.LoadKEV(shareddata.Path(t, "kev/known_exploited_vulnerabilities.json"))
	if err != nil {
		t.Fatal(err)
	}
	x, err := vulndb.NewExchange()
	if err != nil {
		t.Fatal(err)
	}
	a, err := New(Options{Now: day("2021-12-01"), KEV: kev, Exchange: x})
	if err != nil {
		t.Fatal(err)
	}
	inv := &inventory.Inventory{Host: "exch1", InternetFacing: true, Packages: []inventory.Package{
		{Name: "exchange-server", Version: "15.2.792.3", Ecosystem: vulndb.ExchangeEcosystem},
	}}
	r, errs := a.Assess(Host{Inventory: inv})
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	// November 2022's ProxyNotShell update is in the table but came out
	// after "now": not a finding as of December 2021.
	if len(r.Findings) != 3 {
		t.Errorf("findings: %+v", r.Findings)
	}
	got := map[string]Finding{}
	for _, f := range r.Findings {
		got[f.ID] = f
	}
	pl := got["KB5000871"]
	if !pl.KEV || !pl.KEVRansomware || pl.KEVDueDate == nil || pl.KEVDueDate.Format(time.DateOnly) != "2021-04-16" || !pl.Overdue || pl.FixedVersion != "15.2.792.10" {
		t.Errorf("ProxyLogon: %+v", pl)
	}
	ps := got["KB5001779"]
	if !ps.KEV || ps.KEVCVE != "CVE-2021-34473" || ps.KEVDueDate.Format(time.DateOnly) != "2021-11-17" || !ps.Overdue {
		t.Errorf("ProxyShell: %+v", ps)
	}
	text := strings.Join(r.Reasons, "\n")
	if r.Grade != "F" || !strings.Contains(text, "is used by ransomware gangs; install the exchange-server update now.") ||
		!strings.Contains(text, "Criminals are known to be exploiting 3 weaknesses") {
		t.Errorf("grade %s, reasons:\n%s", r.Grade, text)
	}
	if !strings.Contains(r.Advice, "For Exchange") {
		t.Errorf("advice %q", r.Advice)
	}
}

// TestOtherDistributions: Ubuntu and Alpine hosts match their own records
// through source (origin) packages; an RPM host's last update comes from the
// install times rpm records.
func TestOtherDistributions(t *testing.T) {
	db := vulndb.New(vulndb.Options{})
	if _, err := db.Load("../founding/osv"); err != nil {
		t.Fatal(err)
	}
	now := day("2021-08-20")
	a, err := New(Options{Now: now, OSV: db})
	if err != nil {
		t.Fatal(err)
	}
	ubuntu := &inventory.Inventory{Host: "u", OS: "Ubuntu:20.04", Packages: []inventory.Package{
		{Name: "libssl1.1", Source: "openssl", Version: "1.1.1f-1ubuntu2.1", Ecosystem: "Ubuntu:20.04"},
	}}
	r, _ := a.Assess(Host{Inventory: ubuntu})
	if len(r.Findings) != 1 || r.Findings[0].ID != "USN-4738-1" || r.Findings[0].Severity != vulndb.SeverityMedium || r.Findings[0].FixedVersion != "1.1.1f-1ubuntu2.2" {
		t.Errorf("ubuntu: %+v", r.Findings)
	}
	alpine, errs := inventory.ParseApk(strings.NewReader("P:alpine-release\nV:3.13.5-r0\no:alpine-base\n\nP:libssl1.1\nV:1.1.1j-r0\no:openssl\n"), "installed")
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	r, _ = a.Assess(Host{Inventory: alpine})
	if len(r.Findings) != 1 || r.Findings[0].ID != "ALPINE-CVE-2021-3449" || r.Findings[0].SourcePackage != "openssl" || r.Findings[0].Package != "libssl1.1" {
		t.Errorf("alpine (%s): %+v", alpine.OS, r.Findings)
	}
	rpm, errs := inventory.ParseRPM(strings.NewReader(
		"almalinux-release\t0\t8.4\t1.el8\tx86_64\t1622505600\talmalinux-release-8.4-1.el8.src.rpm\n"+
			"postfix\t2\t3.5.8\t1.el8\tx86_64\t1625097600\tpostfix-3.5.8-1.el8.src.rpm\n"), "rpm.txt")
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	r, _ = a.Assess(Host{Inventory: rpm})
	want := int(now.Sub(time.Unix(1625097600, 0)).Hours() / 24) // 2021-07-01
	if r.DaysSinceLastUpdate == nil || *r.DaysSinceLastUpdate != want || r.LastUpdate.Format(time.DateOnly) != "2021-07-01" {
		t.Errorf("rpm: last update %v, %v days; want %d", r.LastUpdate, deref(r.DaysSinceLastUpdate), want)
	}
}
