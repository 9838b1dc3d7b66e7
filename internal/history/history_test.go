package history

import (
	"bytes"
	"compress/gzip"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

const (
	realAptHistory = "/var/log/apt/history.log"
	realDpkgLog    = "/var/log/dpkg.log"
)

func readReal(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path) //nolint:gosec // G304: the test's own fixed path
	if err != nil {
		t.Fatalf("this machine's log: %v", err)
	}
	return b
}

// countAptEntries counts, independently of the parser, the package entries
// of each action in an apt history log.
func countAptEntries(b []byte) (map[Action]int, string) {
	n := map[Action]int{}
	var lastStart string
	entry := regexp.MustCompile(`[^ ,]+:[a-z0-9]+ \([^)]*\)`)
	for _, l := range strings.Split(string(b), "\n") {
		k, v, ok := strings.Cut(l, ": ")
		if !ok {
			continue
		}
		switch k {
		case "Start-Date":
			lastStart = v
		case "Install", "Upgrade", "Downgrade", "Reinstall", "Remove", "Purge":
			n[Action(strings.ToLower(k))] += len(entry.FindAllString(v, -1))
		}
	}
	return n, lastStart
}

// TestAptHistoryWithRotation reads this machine's apt history, rotated the
// way logrotate does it (older half gzipped as history.log.1.gz), and checks
// it against the entries counted in the plain file.
func TestAptHistoryWithRotation(t *testing.T) {
	whole := readReal(t, realAptHistory)
	want, lastStart := countAptEntries(whole)
	if want[Install]+want[Upgrade] == 0 {
		t.Fatal("the real history has no installs or upgrades")
	}
	// Rotate: cut at a block boundary near the middle.
	blocks := bytes.Split(bytes.TrimSpace(whole), []byte("\n\n"))
	if len(blocks) < 2 {
		t.Fatalf("history has %d blocks; rotation needs 2", len(blocks))
	}
	half := len(blocks) / 2
	older := append(bytes.Join(blocks[:half], []byte("\n\n")), '\n')
	newer := append(bytes.Join(blocks[half:], []byte("\n\n")), '\n')
	dir := t.TempDir()
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	if _, err := zw.Write(older); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	cur, rot := filepath.Join(dir, "history.log"), filepath.Join(dir, "history.log.1.gz")
	if err := os.WriteFile(cur, newer, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(rot, gz.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	// Newest first, as a shell glob of history.log* lists them.
	h, errs, err := ReadFiles([]string{cur, rot}, time.UTC)
	if err != nil || len(errs) > 0 {
		t.Fatalf("err %v, errs %v", err, errs)
	}
	got := map[Action]int{}
	for i, c := range h.Changes {
		got[c.Action]++
		if i > 0 && c.Time.Before(h.Changes[i-1].Time) {
			t.Fatal("changes not in time order")
		}
		if c.Package == "" || strings.Contains(c.Package, ":") || (c.To == "" && c.From == "") {
			t.Fatalf("bad change %+v", c)
		}
	}
	for a, n := range want {
		if got[a] != n {
			t.Errorf("%s: %d entries parsed, %d in the file", a, got[a], n)
		}
	}
	last, ok := h.LastChange()
	wantLast, _ := parseTime(lastStart, time.UTC)
	if !ok || !last.Time.Equal(wantLast) {
		t.Errorf("last change %v, last Start-Date %v", last.Time, wantLast)
	}
	// An upgrade records both versions, and the new one is when it arrived.
	for _, c := range h.Changes {
		if c.Action == Upgrade {
			if c.From == "" || c.To == "" || c.From == c.To {
				t.Errorf("upgrade %+v", c)
			}
			if at := h.Arrived(c.Package, c.To); at.Before(c.Time) {
				t.Errorf("%s %s arrived %v, before its upgrade at %v", c.Package, c.To, at, c.Time)
			}
		}
	}
}

func TestDpkgLogThisMachine(t *testing.T) {
	b := readReal(t, realDpkgLog)
	want := 0
	for _, l := range strings.Split(string(b), "\n") {
		f := strings.Fields(l)
		if len(f) > 2 && (f[2] == "install" || f[2] == "upgrade" || f[2] == "remove" || f[2] == "purge") {
			want++
		}
	}
	ch, errs := Parse(bytes.NewReader(b), realDpkgLog, time.UTC)
	if len(errs) > 0 {
		t.Errorf("errors on a real dpkg.log: %v", errs[:min(3, len(errs))])
	}
	if len(ch) != want || want == 0 {
		t.Fatalf("%d changes, the log has %d", len(ch), want)
	}
}

func TestAptHistoryBadLines(t *testing.T) {
	in := `Start-Date: 2021-03-01  06:25:01
Commandline: /usr/bin/unattended-upgrade
Upgrade: openssl:amd64 (1.1.1d-0+deb10u4, 1.1.1d-0+deb10u5), libssl1.1:amd64 (1.1.1d-0+deb10u4, 1.1.1d-0+deb10u5)
End-Date: 2021-03-01  06:25:09

Install: stray:amd64 (1.0)

Start-Date: not a date
Upgrade: x:amd64 (1, 2)

Start-Date: 2021-04-01  10:00:00
Commandline: apt-get install roundcube
Install: roundcube-core:all (1.3.16+dfsg.1-1~deb10u1), php-auth-sasl:all (1.1.0-1, automatic), broken entry
Remove: old:amd64 (1.0-1)
End-Date: 2021-04-01  10:00:05
`
	ch, errs := Parse(strings.NewReader(in), "h.log", time.UTC)
	if len(errs) != 4 {
		t.Fatalf("errors %v", errs)
	}
	for i, line := range []int{6, 8, 9, 13} {
		var le *LineError
		if !errors.As(errs[i], &le) || le.Line != line || !errors.Is(errs[i], ErrFormat) {
			t.Errorf("error %d = %v, want line %d", i, errs[i], line)
		}
	}
	if len(ch) != 5 {
		t.Fatalf("changes %+v", ch)
	}
	if !ch[0].Unattended || ch[0].From != "1.1.1d-0+deb10u4" || ch[0].To != "1.1.1d-0+deb10u5" || ch[0].Arch != "amd64" {
		t.Errorf("first %+v", ch[0])
	}
	if ch[2].Unattended || ch[2].To != "1.3.16+dfsg.1-1~deb10u1" || ch[3].To != "1.1.0-1" {
		t.Errorf("install %+v %+v", ch[2], ch[3])
	}
	if ch[4].Action != Remove || ch[4].From != "1.0-1" {
		t.Errorf("remove %+v", ch[4])
	}
}

// TestAptHistoryLongLine: a line over maxLine is reported with its number
// and skipped; the rest of its block is still read.
func TestAptHistoryLongLine(t *testing.T) {
	in := "Start-Date: 2021-03-01  06:25:01\n" +
		"Commandline: apt-get install " + strings.Repeat("x", maxLine) + "\n" +
		"Upgrade: openssl:amd64 (1.1.1d-0+deb10u4, 1.1.1d-0+deb10u5)\n" +
		"End-Date: 2021-03-01  06:25:09\n"
	ch, errs := Parse(strings.NewReader(in), "h.log", time.UTC)
	var le *LineError
	if len(errs) != 1 || !errors.As(errs[0], &le) || le.Line != 2 || le.Reason != "line longer than 16 MiB, skipped" {
		t.Fatalf("errors %v", errs)
	}
	if len(ch) != 1 || ch[0].Package != "openssl" || ch[0].To != "1.1.1d-0+deb10u5" {
		t.Errorf("changes %+v", ch)
	}
}

func TestUnattendedConfig(t *testing.T) {
	root := t.TempDir()
	d := filepath.Join(root, "etc/apt/apt.conf.d")
	if err := os.MkdirAll(d, 0o750); err != nil {
		t.Fatal(err)
	}
	// What unattended-upgrades' debconf question writes, then a later file
	// switching it off, as an admin might.
	files := map[string]string{
		"20auto-upgrades":   "APT::Periodic::Update-Package-Lists \"1\";\nAPT::Periodic::Unattended-Upgrade \"1\";\n",
		"99local":           "// APT::Periodic::Unattended-Upgrade \"1\";\n",
		"50unattended-upgr": "Unattended-Upgrade::Origins-Pattern {\n \"origin=Debian,codename=${distro_codename},label=Debian-Security\";\n};\n",
	}
	for n, s := range files {
		if err := os.WriteFile(filepath.Join(d, n), []byte(s), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	u := UnattendedConfig(root)
	if !u.Known || !u.Enabled || filepath.Base(u.File) != "20auto-upgrades" {
		t.Errorf("%+v", u)
	}
	if err := os.WriteFile(filepath.Join(d, "99zz-off"), []byte("APT::Periodic::Unattended-Upgrade \"0\";\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if u := UnattendedConfig(root); !u.Known || u.Enabled || filepath.Base(u.File) != "99zz-off" {
		t.Errorf("switched off later: %+v", u)
	}
	if u := UnattendedConfig(t.TempDir()); u.Known {
		t.Errorf("empty root: %+v", u)
	}
}
