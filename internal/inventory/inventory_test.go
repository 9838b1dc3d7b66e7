package inventory

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

const realStatus = "/var/lib/dpkg/status"

// countInstalled counts, independently of the parser, the stanzas of a
// status file whose Status ends in " installed", and collects the Source
// fields by package.
func countInstalled(t *testing.T, path string) (int, map[string]string, map[string]string) {
	t.Helper()
	f, err := os.Open(path) //nolint:gosec // G304: the test's own fixed path
	if err != nil {
		t.Fatalf("this machine's dpkg status file: %v", err)
	}
	defer func() { _ = f.Close() }() // read-only
	n := 0
	src := map[string]string{}
	ver := map[string]string{}
	var name string
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		l := sc.Text()
		switch {
		case strings.HasPrefix(l, "Package: "):
			name = strings.TrimPrefix(l, "Package: ")
		case strings.HasPrefix(l, "Status: ") && strings.HasSuffix(l, " installed"):
			n++
		case strings.HasPrefix(l, "Source: "):
			src[name] = strings.TrimPrefix(l, "Source: ")
		case strings.HasPrefix(l, "Version: "):
			ver[name] = strings.TrimPrefix(l, "Version: ")
		}
	}
	return n, src, ver
}

// TestDpkgStatusThisMachine reads the real status file of this machine.
func TestDpkgStatusThisMachine(t *testing.T) {
	want, srcs, vers := countInstalled(t, realStatus)
	inv, errs, err := Load(realStatus)
	if err != nil {
		t.Fatal(err)
	}
	if len(errs) > 0 {
		t.Errorf("errors on a real status file: %v", errs[:min(3, len(errs))])
	}
	if len(inv.Packages) != want || want < 100 {
		t.Fatalf("got %d packages, the file has %d installed", len(inv.Packages), want)
	}
	osr := osRelease("/etc/os-release")
	if inv.OS == "" || (osr != "" && inv.OS != osr) {
		t.Errorf("OS from base-files = %q, /etc/os-release says %q", inv.OS, osr)
	}
	withVersion := 0
	for _, p := range inv.Packages {
		if p.Ecosystem != inv.OS {
			t.Fatalf("%s: ecosystem %q", p.Name, p.Ecosystem)
		}
		if vers[p.Name] != p.Version {
			t.Errorf("%s: version %q, file says %q", p.Name, p.Version, vers[p.Name])
		}
		s := srcs[p.Name]
		name, sver, _ := strings.Cut(s, " (")
		if s == "" {
			name = p.Name
		}
		if p.SourceName() != name {
			t.Errorf("%s: source %q, file says %q", p.Name, p.SourceName(), s)
		}
		if sver != "" {
			withVersion++
			if p.SourceVer() != strings.TrimSuffix(sver, ")") {
				t.Errorf("%s: source version %q, file says %q", p.Name, p.SourceVer(), s)
			}
		}
	}
	if withVersion == 0 {
		t.Error("no package with 'Source: name (version)': the test lost its point")
	}
	if inv.Host == "" {
		t.Error("no host name")
	}
}

// dpkgCases: stanzas in the format of dpkg-query(1) and deb822(5), with the
// cases a real status file holds: removed packages kept for their
// configuration, multi-line fields, epochs and tildes, a binNMU whose source
// version differs.
const dpkgCases = `Package: base-files
Essential: yes
Status: install ok installed
Priority: required
Version: 11.1+deb11u5

Package: libssl1.1
Status: install ok installed
Architecture: amd64
Source: openssl
Version: 1.1.1n-0+deb11u3
Description: Secure Sockets Layer toolkit - shared libraries
 This package is part of the OpenSSL project's implementation of the SSL
 and TLS cryptographic protocols.
 .
 It provides the libssl and libcrypto shared libraries.

Package: dovecot-core
Status: install ok installed
Architecture: amd64
Source: dovecot
Version: 1:2.3.13+dfsg1-2+deb11u1
Conffiles:
 /etc/dovecot/dovecot.conf 2bd5d5e6c2e2a4a7b0f00b20a8c0a6b4

Package: old-thing
Status: deinstall ok config-files
Version: 1.0-1

Package: libgcc-s1
Status: install ok installed
Architecture: amd64
Source: gcc-10 (10.2.1-6)
Version: 10.2.1-6+b1

Package: broken
Status: install ok installed

this line is not a field
Package: after-bad
Status: install ok installed
Version: 2.0~rc1-1
`

func TestDpkgStatusCases(t *testing.T) {
	inv, errs := ParseDpkgStatus(strings.NewReader(dpkgCases), "cases")
	if inv.OS != "Debian:11" {
		t.Errorf("OS = %q", inv.OS)
	}
	got := map[string]Package{}
	for _, p := range inv.Packages {
		got[p.Name] = p
	}
	if _, ok := got["old-thing"]; ok {
		t.Error("a config-files-only package counted as installed")
	}
	if p := got["libssl1.1"]; p.SourceName() != "openssl" || p.SourceVer() != "1.1.1n-0+deb11u3" {
		t.Errorf("libssl1.1 = %+v", p)
	}
	if p := got["dovecot-core"]; p.Version != "1:2.3.13+dfsg1-2+deb11u1" || p.SourceName() != "dovecot" {
		t.Errorf("dovecot-core = %+v", p)
	}
	if p := got["libgcc-s1"]; p.SourceName() != "gcc-10" || p.SourceVer() != "10.2.1-6" || p.Version != "10.2.1-6+b1" {
		t.Errorf("libgcc-s1 = %+v", p)
	}
	if p := got["after-bad"]; p.Version != "2.0~rc1-1" {
		t.Errorf("the stanza after a bad line was lost: %+v", p)
	}
	// Two errors: "broken" has no Version, and the stray line.
	if len(errs) != 2 {
		t.Fatalf("errors = %v", errs)
	}
	for _, e := range errs {
		var le *LineError
		if !errors.As(e, &le) || le.File != "cases" || le.Line == 0 || !errors.Is(e, ErrFormat) {
			t.Errorf("error %v does not name file and line", e)
		}
	}
	if !strings.Contains(errs[0].Error(), `"broken" has no Version`) {
		t.Errorf("first error = %v", errs[0])
	}
}

func TestRPM(t *testing.T) {
	// Lines as rpm -qa --queryformat RPMQueryFormat prints them on AlmaLinux 9.
	in := "almalinux-release\t0\t9.4\t1.el9\tx86_64\t1717000000\talmalinux-release-9.4-1.el9.src.rpm\n" +
		"openssl-libs\t1\t3.0.7\t27.el9\tx86_64\t1717000100\topenssl-3.0.7-27.el9.src.rpm\n" +
		"gpg-pubkey\t(none)\td4082792\t5b32db75\t(none)\t1717000000\t(none)\n" +
		"not\tenough\n" +
		"postfix\t2\t3.5.9\t24.el9\tx86_64\t1717000200\tpostfix-3.5.9-24.el9.src.rpm\n"
	inv, errs := ParseRPM(strings.NewReader(in), "rpm.txt")
	if len(errs) != 1 || !strings.Contains(errs[0].Error(), "rpm.txt:4:") {
		t.Errorf("errors = %v", errs)
	}
	if inv.OS != "AlmaLinux:9" || len(inv.Packages) != 4 {
		t.Fatalf("OS %q, %d packages", inv.OS, len(inv.Packages))
	}
	p := inv.Packages[1]
	if p.Version != "1:3.0.7-27.el9" || p.Source != "openssl" || !p.InstalledAt.Equal(time.Unix(1717000100, 0)) {
		t.Errorf("openssl-libs = %+v", p)
	}
	if inv.Packages[3].Version != "2:3.5.9-24.el9" || inv.Packages[3].Source != "" {
		t.Errorf("postfix = %+v", inv.Packages[3])
	}
}

// TestRPMLongLine: a line over maxLine is reported with its number and
// skipped; the lines after it are still read.
func TestRPMLongLine(t *testing.T) {
	in := "openssl-libs\t1\t3.0.7\t27.el9\tx86_64\t1717000100\topenssl-3.0.7-27.el9.src.rpm\n" +
		strings.Repeat("x", maxLine+1) + "\n" +
		"postfix\t2\t3.5.9\t24.el9\tx86_64\t1717000200\tpostfix-3.5.9-24.el9.src.rpm\n"
	inv, errs := ParseRPM(strings.NewReader(in), "rpm.txt")
	if len(errs) != 1 || errs[0].Error() != "rpm.txt:2: line longer than 1 MiB, skipped" {
		t.Errorf("errors = %v", errs)
	}
	if len(inv.Packages) != 2 || inv.Packages[1].Name != "postfix" {
		t.Errorf("packages = %+v", inv.Packages)
	}
}

func TestApk(t *testing.T) {
	// Blocks as apk writes /lib/apk/db/installed (fields per apk-tools'
	// database format: C checksum, P name, V version, A arch, o origin…).
	in := `C:Q1/8Ll8nAWMeB0Qe9bdYy5iS5mj8Y0=
P:alpine-release
V:3.20.3-r0
A:x86_64
S:7540
I:36864
T:Alpine release data
o:alpine-base
t:1725956722

C:Q1Bm1ETdPPh/eKzl1x9F5XWNETI2A=
P:libssl3
V:3.3.2-r0
A:x86_64
o:openssl
t:1725355200
F:usr/lib
R:libssl.so.3

P:busybox
V:1.36.1-r29
o:busybox

V:1.0-r0
`
	inv, errs := ParseApk(strings.NewReader(in), "installed")
	if inv.OS != "Alpine:v3.20" {
		t.Errorf("OS = %q", inv.OS)
	}
	if len(inv.Packages) != 3 || len(errs) != 1 {
		t.Fatalf("packages %+v errors %v", inv.Packages, errs)
	}
	if p := inv.Packages[1]; p.Name != "libssl3" || p.SourceName() != "openssl" || p.Version != "3.3.2-r0" {
		t.Errorf("libssl3 = %+v", p)
	}
	if p := inv.Packages[2]; p.Source != "" {
		t.Errorf("busybox origin is itself: %+v", p)
	}
}

// TestCycloneDXRoundTrip writes this machine's inventory as CycloneDX and
// reads it back.
func TestCycloneDXRoundTrip(t *testing.T) {
	inv, _, err := Local("/")
	if err != nil {
		t.Fatal(err)
	}
	inv.InternetFacing = true
	inv.AutoUpdates = "on"
	inv.Packages[0].InstalledAt = time.Date(2024, 5, 1, 10, 0, 0, 0, time.UTC)
	b, err := CycloneDX(inv, time.Now(), "test")
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(b, []byte(`\u0026`)) {
		t.Error("package URLs HTML-escaped")
	}
	back, err := ParseCycloneDX(b, "x")
	if err != nil {
		t.Fatal(err)
	}
	if back.Host != inv.Host || back.OS != inv.OS || !back.InternetFacing || back.AutoUpdates != "on" {
		t.Errorf("host %q os %q facing %v", back.Host, back.OS, back.InternetFacing)
	}
	if len(back.Packages) != len(inv.Packages) {
		t.Fatalf("%d packages back, %d written", len(back.Packages), len(inv.Packages))
	}
	for i, p := range inv.Packages {
		if q := back.Packages[i]; q != p && !(q.InstalledAt.Equal(p.InstalledAt) && q.Name == p.Name) {
			t.Fatalf("package %d: wrote %+v, read %+v", i, p, q)
		}
	}
}

// TestCycloneDXSyftStyle reads an SBOM of OS packages shaped as syft and
// trivy write them: operating-system component, percent-encoded versions,
// source packages in purl qualifiers or tool properties, and components vigil
// does not match (a Go binary, a file).
func TestCycloneDXSyftStyle(t *testing.T) {
	doc := map[string]any{
		"$schema":      "http://cyclonedx.org/schema/bom-1.6.schema.json",
		"bomFormat":    "CycloneDX",
		"specVersion":  "1.6",
		"serialNumber": "urn:uuid:3f1c8a4e-6f0b-4f7c-9d2e-1f0a7b8c9d0e",
		"version":      1,
		"metadata": map[string]any{
			"timestamp": "2025-01-02T03:04:05Z",
			"tools":     map[string]any{"components": []any{map[string]any{"type": "application", "author": "anchore", "name": "syft", "version": "1.18.1"}}},
			"component": map[string]any{"bom-ref": "abc", "type": "container", "name": "mail1", "version": "sha256:00"},
		},
		"components": []any{
			map[string]any{"bom-ref": "pkg:deb/debian/libc6@2.36-9%2Bdeb12u10?arch=amd64&upstream=glibc&distro=debian-12&package-id=1", "type": "library", "publisher": "GNU Libc Maintainers", "name": "libc6", "version": "2.36-9+deb12u10",
				"licenses": []any{map[string]any{"license": map[string]any{"id": "GPL-2.0-only"}}},
				"cpe":      "cpe:2.3:a:libc6:libc6:2.36-9\\+deb12u10:*:*:*:*:*:*:*",
				"purl":     "pkg:deb/debian/libc6@2.36-9%2Bdeb12u10?arch=amd64&upstream=glibc&distro=debian-12",
				"properties": []any{
					map[string]any{"name": "syft:package:foundBy", "value": "dpkg-db-cataloger"},
					map[string]any{"name": "syft:package:type", "value": "deb"},
				}},
			map[string]any{"type": "library", "name": "openssh-client", "version": "1:9.2p1-2+deb12u6",
				"purl": "pkg:deb/debian/openssh-client@1%3A9.2p1-2%2Bdeb12u6?arch=amd64&distro=debian-12",
				"properties": []any{
					map[string]any{"name": "aquasecurity:trivy:SrcName", "value": "openssh"},
					map[string]any{"name": "aquasecurity:trivy:SrcVersion", "value": "9.2p1"},
					map[string]any{"name": "aquasecurity:trivy:SrcRelease", "value": "2+deb12u6"},
					map[string]any{"name": "aquasecurity:trivy:SrcEpoch", "value": "1"},
				}},
			map[string]any{"type": "library", "name": "github.com/spf13/cobra", "version": "v1.10.2", "purl": "pkg:golang/github.com/spf13/cobra@v1.10.2"},
			map[string]any{"type": "file", "name": "/etc/passwd"},
			map[string]any{"type": "operating-system", "name": "debian", "version": "12", "description": "Debian GNU/Linux 12 (bookworm)"},
		},
	}
	b, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "mail1.cdx.json")
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	inv, _, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if inv.OS != "Debian:12" || inv.Host != "mail1" || len(inv.Packages) != 2 {
		t.Fatalf("%+v", inv)
	}
	if p := inv.Packages[0]; p.Version != "2.36-9+deb12u10" || p.SourceName() != "glibc" || p.Arch != "amd64" {
		t.Errorf("libc6 = %+v", p)
	}
	if p := inv.Packages[1]; p.Version != "1:9.2p1-2+deb12u6" || p.SourceName() != "openssh" || p.SourceVer() != "1:9.2p1-2+deb12u6" {
		t.Errorf("openssh-client = %+v", p)
	}
}

func TestSPDX(t *testing.T) {
	doc := `{"spdxVersion":"SPDX-2.3","dataLicense":"CC0-1.0","SPDXID":"SPDXRef-DOCUMENT","name":"web1",
"packages":[{"name":"musl","SPDXID":"SPDXRef-Package-apk-musl","versionInfo":"1.2.5-r0","downloadLocation":"NOASSERTION",
"externalRefs":[{"referenceCategory":"SECURITY","referenceType":"cpe23Type","referenceLocator":"cpe:2.3:a:musl:musl:1.2.5-r0:*:*:*:*:*:*:*"},
{"referenceCategory":"PACKAGE-MANAGER","referenceType":"purl","referenceLocator":"pkg:apk/alpine/musl@1.2.5-r0?arch=x86_64&upstream=musl&distro=alpine-3.20.3"}]}]}`
	inv, err := ParseSPDX([]byte(doc), "web1.spdx.json")
	if err != nil {
		t.Fatal(err)
	}
	if inv.OS != "Alpine:v3.20" || len(inv.Packages) != 1 || inv.Packages[0].Version != "1.2.5-r0" {
		t.Fatalf("%+v", inv)
	}
}

func TestManifest(t *testing.T) {
	dir := t.TempDir()
	status := "Package: postfix\nStatus: install ok installed\nVersion: 3.5.18-0+deb11u1\n"
	if err := os.WriteFile(filepath.Join(dir, "mail1.status"), []byte(status), 0o600); err != nil {
		t.Fatal(err)
	}
	y := `host: mail1.clinic.example
os: Debian:11
internet_facing: true
auto_updates: false
roles: [mail]
packages: mail1.status
history: [history.log, /abs/history.log.1.gz]
products:
  - name: roundcube
    version: 1.4.11
  - name: exchange
    version: 15.2.792.3
  - ecosystem: PyPI
    package: django
    version: "3.2"
  - name: unknown-thing
    version: "1"
`
	path := filepath.Join(dir, "mail1.yaml")
	if err := os.WriteFile(path, []byte(y), 0o600); err != nil {
		t.Fatal(err)
	}
	inv, errs, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(errs) != 1 || !strings.Contains(errs[0].Error(), "products[3]") {
		t.Errorf("errs = %v", errs)
	}
	if inv.Host != "mail1.clinic.example" || !inv.InternetFacing || inv.OS != "Debian:11" || inv.AutoUpdates != "off" {
		t.Errorf("%+v", inv)
	}
	if len(inv.Packages) != 4 || inv.Packages[0].Ecosystem != "Debian:11" || inv.Packages[1].Name != "roundcube/roundcubemail" || inv.Packages[2].Ecosystem != "Exchange" {
		t.Errorf("packages %+v", inv.Packages)
	}
	if len(inv.History) != 2 || inv.History[0] != filepath.Join(dir, "history.log") || inv.History[1] != "/abs/history.log.1.gz" {
		t.Errorf("history %v", inv.History)
	}
	// Strict: an unknown key is an error naming it.
	if err := os.WriteFile(path, []byte("host: a\nintrenet_facing: true\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, _, err := Load(path); err == nil || !strings.Contains(err.Error(), "intrenet_facing") {
		t.Errorf("unknown key: %v", err)
	}
}

func TestDetect(t *testing.T) {
	for in, want := range map[string]Format{
		"Package: a\n":                           FormatDpkg,
		"C:Q1abc=\nP:musl\n":                     FormatApk,
		`{"bomFormat":"CycloneDX"}`:              FormatCycloneDX,
		`{"spdxVersion":"SPDX-2.3"}`:             FormatSPDX,
		"host: a\n":                              FormatManifest,
		"a\t0\t1\t2\tx86_64\t1\ta-1-2.src.rpm\n": FormatRPM,
	} {
		if got, err := Detect([]byte(in)); got != want || err != nil {
			t.Errorf("Detect(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	if _, err := Detect([]byte("hello world\n")); !errors.Is(err, ErrFormat) {
		t.Errorf("plain text: %v", err)
	}
}
