package inventory

import (
	"bufio"
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// debianStatusDir is where scripts/debian-status.sh keeps a real Debian 12
// system's dpkg status file.
func debianStatusDir() string {
	if d := os.Getenv("VIGIL_DEBIAN_STATUS_DIR"); d != "" {
		return d
	}
	return "/var/cache/vigil-testdata/debian12-minbase"
}

// stanza is one paragraph of a status file as read by the test itself.
type stanza struct {
	fields map[string]string
	// cont counts continuation lines per field.
	cont map[string]int
}

// readStanzas splits a deb822 file into paragraphs by blank lines,
// independently of the parser under test.
func readStanzas(t *testing.T, data []byte) []stanza {
	t.Helper()
	var out []stanza
	cur := stanza{fields: map[string]string{}, cont: map[string]int{}}
	last := ""
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		l := sc.Text()
		switch {
		case strings.TrimSpace(l) == "":
			if len(cur.fields) > 0 {
				out = append(out, cur)
			}
			cur, last = stanza{fields: map[string]string{}, cont: map[string]int{}}, ""
		case l[0] == ' ' || l[0] == '\t':
			cur.cont[last]++
		default:
			k, v, ok := strings.Cut(l, ":")
			if !ok {
				t.Fatalf("not a field: %q", l)
			}
			cur.fields[k], last = strings.TrimSpace(v), k
		}
	}
	if len(cur.fields) > 0 {
		out = append(out, cur)
	}
	return out
}

// TestDpkgStatusDebian reads the dpkg status file of a real Debian 12
// minbase system, made by Debian's own tools (mmdebstrap, dpkg) through
// scripts/debian-status.sh, and checks the inventory against the test's own
// reading of the file: the installed packages and only those (the package
// dpkg removed keeps a "deinstall ok config-files" entry), versions, source
// packages with and without "(version)", multi-line fields, and the release.
func TestDpkgStatusDebian(t *testing.T) {
	dir := debianStatusDir()
	path := filepath.Join(dir, "status")
	data, err := os.ReadFile(path) //nolint:gosec // G304: the test's own cache path
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%v: CI must have it; run ./scripts/debian-status.sh (.ci/run does)", err)
		}
		t.Skipf("%v: run ./scripts/debian-status.sh (as root) to make it", err)
	}
	inv, c := checkStatus(t, path, data)
	installed, removed, srcVer, srcPlain, multiLine := c.installed, c.removed, c.srcVer, c.srcPlain, c.multiLine
	byName := c.byName
	if len(inv.Packages) != installed || installed < 80 {
		t.Errorf("%d packages read, the file has %d installed", len(inv.Packages), installed)
	}
	// What the file must hold for the test to mean something.
	if removed == 0 || srcVer == 0 || srcPlain == 0 || multiLine == 0 {
		t.Errorf("the file lacks a case: %d removed, %d 'Source: x (ver)', %d 'Source: x', %d with multi-line Description and Conffiles",
			removed, srcVer, srcPlain, multiLine)
	}
	if inv.OS != "Debian:12" {
		t.Errorf("OS %q, want Debian:12 (from base-files)", inv.OS)
	}
	if osr := osRelease(filepath.Join(dir, "os-release")); osr != inv.OS {
		t.Errorf("os-release says %q, base-files %q", osr, inv.OS)
	}
	for _, want := range []string{"libc6", "dpkg", "apt", "base-files"} {
		if _, ok := byName[want+":amd64"]; !ok {
			if _, ok := byName[want+":all"]; !ok {
				t.Errorf("%s missing from a Debian system's inventory", want)
			}
		}
	}
	t.Logf("%s: %d installed, %d not installed, %d with 'Source: x (ver)', %d with 'Source: x'", path, installed, removed, srcVer, srcPlain)
}

// statusCounts is what checkStatus found in a status file.
type statusCounts struct {
	installed, removed, srcVer, srcPlain, multiLine int
	byName                                          map[string]Package
}

// checkStatus loads a dpkg status file with Load and checks the inventory
// against the test's own reading of the file: the installed packages and
// only those, versions, and source packages with and without "(version)".
func checkStatus(t *testing.T, path string, data []byte) (*Inventory, statusCounts) {
	t.Helper()
	stanzas := readStanzas(t, data)
	inv, errs, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(errs) > 0 {
		t.Errorf("errors on a real status file: %v", errs[:min(3, len(errs))])
	}
	byName := map[string]Package{}
	for _, p := range inv.Packages {
		if _, dup := byName[p.Name+":"+p.Arch]; dup {
			t.Errorf("%s:%s twice", p.Name, p.Arch)
		}
		byName[p.Name+":"+p.Arch] = p
	}
	var installed, removed, srcVer, srcPlain, multiLine int
	for _, s := range stanzas {
		name, arch := s.fields["Package"], s.fields["Architecture"]
		p, in := byName[name+":"+arch]
		if s.fields["Status"] != "install ok installed" {
			removed++
			if in {
				t.Errorf("%s (Status %q) is in the inventory", name, s.fields["Status"])
			}
			continue
		}
		installed++
		if !in {
			t.Errorf("installed %s:%s missing", name, arch)
			continue
		}
		if p.Version != s.fields["Version"] {
			t.Errorf("%s: version %q, file says %q", name, p.Version, s.fields["Version"])
		}
		if s.cont["Description"] > 0 && s.cont["Conffiles"] > 0 {
			multiLine++
		}
		src, ver, hasVer := strings.Cut(s.fields["Source"], " (")
		switch {
		case s.fields["Source"] == "":
			if p.SourceName() != name || p.SourceVer() != p.Version {
				t.Errorf("%s: source %s %s without a Source field", name, p.SourceName(), p.SourceVer())
			}
		case hasVer:
			srcVer++
			if p.SourceName() != src || p.SourceVer() != strings.TrimSuffix(ver, ")") {
				t.Errorf("%s: source %s %s, file says %q", name, p.SourceName(), p.SourceVer(), s.fields["Source"])
			}
		default:
			srcPlain++
			if p.SourceName() != src || p.SourceVer() != p.Version {
				t.Errorf("%s: source %s %s, file says %q", name, p.SourceName(), p.SourceVer(), s.fields["Source"])
			}
		}
	}
	return inv, statusCounts{installed: installed, removed: removed, srcVer: srcVer, srcPlain: srcPlain, multiLine: multiLine, byName: byName}
}

// aptExamplesDir is where scripts/debian-status.sh keeps the example status
// files of apt's source package.
func aptExamplesDir() string {
	if d := os.Getenv("VIGIL_APT_EXAMPLES_DIR"); d != "" {
		return d
	}
	return "/var/cache/vigil-testdata/apt-status-examples"
}

// TestDpkgStatusAptExamples reads the dpkg status files that Debian's apt
// ships in its source package as test data (test/integration/status-*,
// taken from users' bug reports: old Debian and Ubuntu systems, multi-arch,
// "Source: x (ver)", removed packages, over-long fields) and checks each
// inventory against the test's own reading of the file.
func TestDpkgStatusAptExamples(t *testing.T) {
	paths, _ := filepath.Glob(filepath.Join(aptExamplesDir(), "status-*"))
	if len(paths) == 0 {
		if os.Getenv("CI") == "true" {
			t.Fatalf("no status-* in %s: CI must have them; run ./scripts/debian-status.sh (.ci/run does)", aptExamplesDir())
		}
		t.Skipf("no status-* in %s: run ./scripts/debian-status.sh (as root) to fetch them", aptExamplesDir())
	}
	var total statusCounts
	for _, path := range paths {
		t.Run(filepath.Base(path), func(t *testing.T) {
			data, err := os.ReadFile(path) //nolint:gosec // G304: the test's own cache path
			if err != nil {
				t.Fatal(err)
			}
			inv, c := checkStatus(t, path, data)
			if len(inv.Packages) != c.installed || c.installed == 0 {
				t.Errorf("%d packages read, the file has %d installed", len(inv.Packages), c.installed)
			}
			total.installed += c.installed
			total.removed += c.removed
			total.srcVer += c.srcVer
			total.srcPlain += c.srcPlain
		})
	}
	// What the files must hold together for the test to mean something.
	if len(paths) < 10 || total.removed == 0 || total.srcVer == 0 || total.srcPlain == 0 {
		t.Errorf("%d files: %d removed, %d 'Source: x (ver)', %d 'Source: x'", len(paths), total.removed, total.srcVer, total.srcPlain)
	}
	t.Logf("%d files: %d installed, %d not installed, %d with 'Source: x (ver)', %d with 'Source: x'",
		len(paths), total.installed, total.removed, total.srcVer, total.srcPlain)
}
