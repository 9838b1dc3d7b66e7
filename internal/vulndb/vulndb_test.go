package vulndb

import (
	"archive/zip"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/vigilhq/vigil/internal/shareddata"
)

// rec writes an OSV record (schema 1.6) as JSON: id, aliases, published,
// one affected package with one ECOSYSTEM range.
func rec(t testing.TB, id, eco, pkg string, events []map[string]string, extra map[string]any) []byte {
	t.Helper()
	r := map[string]any{
		"schema_version": "1.6.0",
		"id":             id,
		"modified":       "2024-01-01T00:00:00Z",
		"published":      "2021-03-25T00:00:00Z",
		"summary":        "test record " + id,
		"affected": []any{map[string]any{
			"package": map[string]any{"ecosystem": eco, "name": pkg},
			"ranges":  []any{map[string]any{"type": "ECOSYSTEM", "events": events}},
		}},
	}
	for k, v := range extra {
		r[k] = v
	}
	b, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// writeZip writes a zip at path holding n entries, as OSV's all.zip holds
// its records; entry gives entry i's name and contents.
func writeZip(t testing.TB, path string, n int, entry func(i int) (string, []byte)) {
	t.Helper()
	zf, err := os.Create(path) //nolint:gosec // G304: the test's temporary file
	if err != nil {
		t.Fatal(err)
	}
	zw := zip.NewWriter(zf)
	for i := range n {
		name, b := entry(i)
		w, err := zw.Create(name)
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
}

func ev(kv ...string) []map[string]string {
	var out []map[string]string
	for i := 0; i+1 < len(kv); i += 2 {
		out = append(out, map[string]string{kv[i]: kv[i+1]})
	}
	return out
}

func testDB(t *testing.T) *DB {
	t.Helper()
	db := New(Options{})
	add := func(b []byte) {
		if err := db.AddJSON(b, "test"); err != nil {
			t.Fatal(err)
		}
	}
	// Debian: source packages, epochs, tildes, last_affected, unsorted events.
	add(rec(t, "DSA-4875-1", "Debian:10", "openssl", ev("introduced", "0", "fixed", "1.1.1d-0+deb10u6"),
		map[string]any{"aliases": []string{"CVE-2021-3449", "CVE-2021-3450"}}))
	add(rec(t, "DSA-4944-1", "Debian:10", "dovecot", ev("introduced", "0", "fixed", "1:2.3.4.1-5+deb10u6"),
		map[string]any{"upstream": []string{"CVE-2021-29157", "CVE-2021-33515"},
			"severity": []any{map[string]any{"type": "CVSS_V3", "score": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"}}}))
	add(rec(t, "DEBIAN-TILDE", "Debian:10", "tildepkg", ev("introduced", "0", "fixed", "2.0~rc2-1"), nil))
	add(rec(t, "DEBIAN-LAST", "Debian:10", "lastpkg", ev("introduced", "1.0-1", "last_affected", "1.0-2"), nil))
	add(rec(t, "DEBIAN-UNSORTED", "Debian:10", "unsorted", ev("fixed", "1.5-1", "introduced", "1.2-1", "fixed", "1.1-1", "introduced", "1.0-1"), nil))
	add(rec(t, "DEBIAN-WITHDRAWN", "Debian:10", "openssl", ev("introduced", "0"), map[string]any{"withdrawn": "2021-04-01T00:00:00Z"}))
	add(rec(t, "DEBIAN-NOFIX", "Debian:10", "nofix", ev("introduced", "0"), nil))
	// Ubuntu: the ecosystem carries ":LTS"; severity as Ubuntu writes it.
	add(rec(t, "USN-6188-1", "Ubuntu:22.04:LTS", "openssl", ev("introduced", "0", "fixed", "3.0.2-0ubuntu1.10"),
		map[string]any{"severity": []any{map[string]any{"type": "Ubuntu", "score": "medium"}}, "upstream": []string{"CVE-2023-2650"}}))
	// Alpine: origin packages, -rN releases.
	add(rec(t, "ALPINE-CVE-2024-5535", "Alpine:v3.20", "openssl", ev("introduced", "0", "fixed", "3.3.2-r0"), nil))
	return db
}

func TestAffecting(t *testing.T) {
	db := testDB(t)
	if db.Records() != 8 || db.Withdrawn() != 1 {
		t.Fatalf("records %d withdrawn %d", db.Records(), db.Withdrawn())
	}
	cases := []struct {
		eco, pkg, ver string
		want          string // IDs, comma-separated
		fixed         string
	}{
		{"Debian:10", "openssl", "1.1.1d-0+deb10u5", "DSA-4875-1", "1.1.1d-0+deb10u6"},
		{"Debian:10", "openssl", "1.1.1d-0+deb10u6", "", ""},   // fix installed
		{"Debian:10", "openssl", "1.1.1n-0+deb10u3", "", ""},   // later version
		{"Debian:10", "libssl1.1", "1.1.1d-0+deb10u5", "", ""}, // records name the source package
		{"Debian:11", "openssl", "1.1.1d-0+deb10u5", "", ""},   // another release
		{"Debian:10", "dovecot", "1:2.3.4.1-5+deb10u1", "DSA-4944-1", "1:2.3.4.1-5+deb10u6"},
		{"Debian:10", "dovecot", "2.3.13+dfsg1-2", "DSA-4944-1", "1:2.3.4.1-5+deb10u6"}, // epoch 0 < epoch 1
		{"Debian:10", "dovecot", "1:2.3.13+dfsg1-2", "", ""},
		{"Debian:10", "tildepkg", "2.0~rc1-1", "DEBIAN-TILDE", "2.0~rc2-1"},
		{"Debian:10", "tildepkg", "2.0~rc2-1", "", ""},
		{"Debian:10", "tildepkg", "2.0-1", "", ""}, // 2.0 sorts after 2.0~rc2
		{"Debian:10", "tildepkg", "2.0~~a-1", "DEBIAN-TILDE", "2.0~rc2-1"},
		{"Debian:10", "lastpkg", "1.0-2", "DEBIAN-LAST", ""},
		{"Debian:10", "lastpkg", "1.0-3", "", ""},
		{"Debian:10", "lastpkg", "0.9-1", "", ""},
		{"Debian:10", "unsorted", "1.0-5", "DEBIAN-UNSORTED", "1.1-1"},
		{"Debian:10", "unsorted", "1.1-1", "", ""},
		{"Debian:10", "unsorted", "1.3-1", "DEBIAN-UNSORTED", "1.5-1"},
		{"Debian:10", "nofix", "1.0-1", "DEBIAN-NOFIX", ""},
		{"Ubuntu:22.04", "openssl", "3.0.2-0ubuntu1.9", "USN-6188-1", "3.0.2-0ubuntu1.10"},
		{"Ubuntu:22.04:LTS", "openssl", "3.0.2-0ubuntu1.10", "", ""},
		{"Alpine:v3.20", "openssl", "3.3.1-r3", "ALPINE-CVE-2024-5535", "3.3.2-r0"},
		{"Alpine:v3.20", "openssl", "3.3.2-r0", "", ""},
		{"Alpine:v3.20", "openssl", "3.3.2-r1", "", ""},
	}
	for _, c := range cases {
		ms, err := db.Affecting(c.eco, c.pkg, c.ver)
		if err != nil {
			t.Errorf("%s %s %s: %v", c.eco, c.pkg, c.ver, err)
			continue
		}
		var ids []string
		fixed := ""
		for _, m := range ms {
			ids = append(ids, m.Vuln.ID)
			fixed = m.Fixed
		}
		if got := strings.Join(ids, ","); got != c.want || fixed != c.fixed {
			t.Errorf("%s %s %s: got %q fixed %q, want %q fixed %q", c.eco, c.pkg, c.ver, got, fixed, c.want, c.fixed)
		}
	}
	ms, _ := db.Affecting("Debian:10", "dovecot", "1:2.3.4.1-5")
	if len(ms) != 1 || ms[0].Severity != SeverityCritical || ms[0].Vuln.CVSS != 9.8 || strings.Join(ms[0].Vuln.Aliases, ",") != "CVE-2021-29157,CVE-2021-33515" {
		t.Errorf("dovecot severity/aliases: %+v", ms)
	}
	ms, _ = db.Affecting("Ubuntu:22.04", "openssl", "3.0.2-0ubuntu1")
	if len(ms) != 1 || ms[0].Severity != SeverityMedium {
		t.Errorf("ubuntu severity: %+v", ms)
	}
}

func TestCVSS3(t *testing.T) {
	for v, want := range map[string]float64{
		"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H": 9.8,
		"CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N": 6.1,
		"CVSS:3.0/AV:N/AC:H/PR:N/UI:N/S:U/C:H/I:H/A:H": 8.1,
		"CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:C/C:H/I:H/A:H": 9.9,
		"CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:N/I:N/A:N": 0,
	} {
		if got, ok := CVSS3Score(v); !ok || got != want {
			t.Errorf("%s = %v %v, want %v", v, got, ok, want)
		}
	}
	if _, ok := CVSS3Score("CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N"); ok {
		t.Error("a CVSS 4 vector scored as 3")
	}
}

// TestLoadDirAndZip loads the same records from a directory (with a bad
// file among them) and from an all.zip as OSV publishes it.
func TestLoadDirAndZip(t *testing.T) {
	dir := t.TempDir()
	recs := map[string][]byte{
		"DSA-4875-1.json":     rec(t, "DSA-4875-1", "Debian:10", "openssl", ev("introduced", "0", "fixed", "1.1.1d-0+deb10u6"), nil),
		"DSA-4944-1.json":     rec(t, "DSA-4944-1", "Debian:10", "dovecot", ev("introduced", "0", "fixed", "1:2.3.4.1-5+deb10u6"), nil),
		"DEBIAN-W.json":       rec(t, "DEBIAN-W", "Debian:10", "x", ev("introduced", "0"), map[string]any{"withdrawn": "2021-01-01T00:00:00Z"}),
		"sub/USN-1-1.json":    rec(t, "USN-1-1", "Ubuntu:20.04:LTS", "postfix", ev("introduced", "0", "fixed", "3.4.13-0ubuntu1.2"), nil),
		"broken.json":         []byte(`{"id": "BROKEN", "affected": [`),
		"README.txt":          []byte("not a record"),
		"sub/no-id.json":      []byte(`{"affected": []}`),
		"sub/not-object.json": []byte(`[1,2]`),
	}
	var names []string
	for name, b := range recs {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o750); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, b, 0o600); err != nil {
			t.Fatal(err)
		}
		names = append(names, name)
	}
	zpath := filepath.Join(t.TempDir(), "all.zip")
	writeZip(t, zpath, len(names), func(i int) (string, []byte) {
		return filepath.Base(names[i]), recs[names[i]]
	})
	for _, path := range []string{dir, zpath} {
		db := New(Options{})
		errs, err := db.Load(path)
		if err != nil {
			t.Fatal(err)
		}
		if db.Records() != 3 || db.Withdrawn() != 1 {
			t.Errorf("%s: %d records, %d withdrawn", path, db.Records(), db.Withdrawn())
		}
		if len(errs) != 3 {
			t.Fatalf("%s: errors %v", path, errs)
		}
		for _, e := range errs {
			if !errors.Is(e, ErrFormat) || !strings.Contains(e.Error(), ".json") {
				t.Errorf("error %v does not name the file or wrap ErrFormat", e)
			}
		}
		if ms, _ := db.Affecting("Ubuntu:20.04", "postfix", "3.4.13-0ubuntu1"); len(ms) != 1 {
			t.Errorf("%s: postfix matches %v", path, ms)
		}
	}
}

// TestKEVCatalogue reads the real CISA catalogue in ../shared/data/kev.
func TestKEVCatalogue(t *testing.T) {
	path := shareddata.Path(t, "kev/known_exploited_vulnerabilities.json")
	k, err := LoadKEV(path)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(path) //nolint:gosec // G304: shared test data
	if err != nil {
		t.Fatal(err)
	}
	var head struct {
		Count int `json:"count"`
	}
	if err := json.Unmarshal(raw, &head); err != nil {
		t.Fatal(err)
	}
	if k.Len() != head.Count || k.Version == "" {
		t.Fatalf("%d entries, catalogue says %d; version %q", k.Len(), head.Count, k.Version)
	}
	day := func(s string) time.Time { d, _ := time.Parse(time.DateOnly, s); return d }
	e := k.Lookup(day("2025-01-01"), "DSA-X", "cve-2021-26855")
	if e == nil || !e.DueDate.Equal(day("2021-04-16")) || !e.Ransomware || e.Product != "Exchange Server" {
		t.Fatalf("ProxyLogon: %+v", e)
	}
	// As of a day before it was added, the catalogue did not list it.
	if e := k.Lookup(e.DateAdded.AddDate(0, 0, -1), "CVE-2021-26855"); e != nil {
		t.Errorf("listed before its dateAdded: %+v", e)
	}
	if e := k.Lookup(time.Time{}, "CVE-2020-12641"); e == nil || e.Ransomware || e.VendorProject != "Roundcube" {
		t.Errorf("Roundcube CVE-2020-12641: %+v", e)
	}
	if _, err := ReadKEV(strings.NewReader(`{"title":"x"}`), "x.json"); !errors.Is(err, ErrFormat) {
		t.Errorf("not a catalogue: %v", err)
	}
}

func TestExchange(t *testing.T) {
	x, err := NewExchange()
	if err != nil {
		t.Fatal(err)
	}
	cases := map[string]string{
		"15.2.792.3":   "KB5000871 15.2.792.10, KB5001779 15.2.792.13, KB5003435 15.2.792.15, KB5019758 a supported CU, then KB5019758",
		"15.2.792.10":  "KB5001779 15.2.792.13, KB5003435 15.2.792.15, KB5019758 a supported CU, then KB5019758",
		"15.2.858.5":   "KB5001779 15.2.858.10, KB5003435 15.2.858.12, KB5019758 a supported CU, then KB5019758",
		"15.2.922.7":   "KB5019758 a supported CU, then KB5019758",
		"15.2.1118.7":  "KB5019758 15.2.1118.20",
		"15.2.1118.20": "",
		"15.0.1497.2":  "KB5000871 15.0.1497.12, KB5001779 15.0.1497.15, KB5003435 15.0.1497.18, KB5019758 15.0.1497.44",
		"15.1.2106.2":  "KB5000871 15.1.2106.13, KB5001779 a supported CU, then KB5001779, KB5003435 a supported CU, then KB5003435, KB5019758 a supported CU, then KB5019758",
		// Older CUs got the March 2021 SU too (build table: 2016 CU17 Mar21SU 15.1.2044.13,
		// 2019 CU6 Mar21SU 15.2.659.12), but none of the later ones.
		"15.1.2044.4":  "KB5000871 15.1.2044.13, KB5001779 a supported CU, then KB5001779, KB5003435 a supported CU, then KB5003435, KB5019758 a supported CU, then KB5019758",
		"15.1.2044.13": "KB5001779 a supported CU, then KB5001779, KB5003435 a supported CU, then KB5003435, KB5019758 a supported CU, then KB5019758",
		"15.2.659.12":  "KB5001779 a supported CU, then KB5001779, KB5003435 a supported CU, then KB5003435, KB5019758 a supported CU, then KB5019758",
		"15.0.1395.4":  "KB5000871 15.0.1395.12, KB5001779 a supported CU, then KB5001779, KB5003435 a supported CU, then KB5003435, KB5019758 a supported CU, then KB5019758",
		"15.1.1261.35": "KB5000871 a supported CU, then KB5000871, KB5001779 a supported CU, then KB5001779, KB5003435 a supported CU, then KB5003435, KB5019758 a supported CU, then KB5019758",
	}
	for build, want := range cases {
		ms, err := x.Affecting(build)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, m := range ms {
			got = append(got, m.Vuln.ID+" "+m.Fixed)
		}
		if strings.Join(got, ", ") != want {
			t.Errorf("%s: got %q\nwant %q", build, strings.Join(got, ", "), want)
		}
	}
	ms, _ := x.Affecting("15.2.792.3")
	if ms[0].Severity != SeverityCritical || strings.Join(ms[0].Vuln.Aliases, " ") != "CVE-2021-26855 CVE-2021-26857 CVE-2021-26858 CVE-2021-27065" {
		t.Errorf("ProxyLogon record: %+v", ms[0].Vuln)
	}
	if _, err := x.Affecting("15.2"); !errors.Is(err, ErrFormat) {
		t.Errorf("bad build: %v", err)
	}
}

// TestLoadZipParallel loads a zip large enough for several workers and
// checks it gives what one worker gives (run with -race too).
func TestLoadZipParallel(t *testing.T) {
	zpath := filepath.Join(t.TempDir(), "all.zip")
	const n = 4000
	writeZip(t, zpath, n, func(i int) (string, []byte) {
		if i%500 == 7 {
			return fmt.Sprintf("R-%d.json", i), []byte(`{"id": "BROKEN`)
		}
		return fmt.Sprintf("R-%d.json", i), rec(t, fmt.Sprintf("R-%d", i), "Debian:12", fmt.Sprintf("p%d", i%97), ev("introduced", "0", "fixed", fmt.Sprintf("1.%d-1", i%13)), nil)
	})
	load := func(procs int, want *PackageSet) (*DB, []error) {
		old := runtime.GOMAXPROCS(procs)
		defer runtime.GOMAXPROCS(old)
		db := New(Options{Want: want})
		errs, err := db.Load(zpath)
		if err != nil {
			t.Fatal(err)
		}
		return db, errs
	}
	one, errs1 := load(1, nil)
	four, errs4 := load(4, nil)
	if one.Records() != n-8 || four.Records() != one.Records() || len(errs1) != 8 || len(errs4) != 8 {
		t.Fatalf("records %d/%d, errors %d/%d", one.Records(), four.Records(), len(errs1), len(errs4))
	}
	for p := range 97 {
		a, _ := one.Affecting("Debian:12", fmt.Sprintf("p%d", p), "1.5-1")
		b, _ := four.Affecting("Debian:12", fmt.Sprintf("p%d", p), "1.5-1")
		if len(a) != len(b) || len(a) == 0 {
			t.Fatalf("p%d: %d vs %d matches", p, len(a), len(b))
		}
	}
	// With a package set, records about other packages are dropped (broken
	// ones too, unparsed, when no package name in them is wanted).
	set := NewPackageSet()
	set.Add("Debian:12", "p3")
	some, errs := load(4, set)
	if some.Records()+some.Dropped()+len(errs) != n || some.Records() != 42 {
		t.Errorf("filtered: %d kept, %d dropped, %d errors", some.Records(), some.Dropped(), len(errs))
	}
}

// TestNameCache: a second load of the same all.zip with a name cache gives
// what the first gave; a damaged cache is rebuilt; a changed zip gets its own.
func TestNameCache(t *testing.T) {
	dir := t.TempDir()
	zpath := filepath.Join(dir, "all.zip")
	writeRecs := func(n int) {
		writeZip(t, zpath, n, func(i int) (string, []byte) {
			extra := map[string]any(nil)
			if i%100 == 5 {
				extra = map[string]any{"credits": []any{map[string]any{"name": "A \"quoted\" finder"}}}
			}
			return fmt.Sprintf("R-%d.json", i), rec(t, fmt.Sprintf("R-%d", i), "Debian:12", fmt.Sprintf("p%d", i%50), ev("introduced", "0", "fixed", "2.0-1"), extra)
		})
	}
	writeRecs(3000)
	cache := filepath.Join(dir, "cache")
	set := NewPackageSet()
	set.Add("Debian:12", "p7")
	set.Add("Debian:12", "p8")
	load := func(procs int) *DB {
		old := runtime.GOMAXPROCS(procs)
		defer runtime.GOMAXPROCS(old)
		db := New(Options{Want: set, CacheDir: cache})
		errs, err := db.Load(zpath)
		if err != nil || len(errs) > 0 {
			t.Fatal(err, errs)
		}
		return db
	}
	check := func(db *DB, what string) {
		t.Helper()
		// p7 and p8: 60 records each; the entries with an escaped credit
		// name are read every time, and dropped after parsing.
		if db.Records() != 120 || db.Records()+db.Dropped() != 3000 {
			t.Errorf("%s: %d kept, %d dropped", what, db.Records(), db.Dropped())
		}
		if ms, _ := db.Affecting("Debian:12", "p7", "1.0-1"); len(ms) != 60 {
			t.Errorf("%s: p7 has %d matches", what, len(ms))
		}
	}
	check(load(1), "cold")
	files, _ := filepath.Glob(filepath.Join(cache, "osv-names-*.gob"))
	if len(files) != 1 {
		t.Fatalf("cache files %v", files)
	}
	check(load(1), "warm")
	check(load(4), "warm, 4 workers")
	if err := os.WriteFile(files[0], []byte("damaged"), 0o600); err != nil {
		t.Fatal(err)
	}
	check(load(4), "damaged cache")
	if _, err := readZipNames(files[0], 3000); err != nil {
		t.Errorf("damaged cache not rebuilt: %v", err)
	}
	// A new zip (other size and time) does not use the old cache.
	writeRecs(2000)
	db := load(1)
	if db.Records()+db.Dropped() != 2000 {
		t.Errorf("new zip: %d+%d", db.Records(), db.Dropped())
	}
	if files, _ := filepath.Glob(filepath.Join(cache, "osv-names-*.gob")); len(files) != 2 {
		t.Errorf("cache files %v", files)
	}
}
