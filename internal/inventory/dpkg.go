package inventory

import (
	"bytes"
	"fmt"
	"io"
	"regexp"
	"strings"
)

// ParseDpkgStatus reads a dpkg status file (/var/lib/dpkg/status): one
// deb822 stanza per package. Only packages whose Status says "installed"
// are kept. The Debian or Ubuntu release is inferred from base-files.
func ParseDpkgStatus(r io.Reader, file string) (*Inventory, []error) {
	inv := &Inventory{}
	var errs []error
	lr := newLineReader(r, file, &errs)
	var st dpkgStanza
	var field string // the field continuation lines belong to
	flush := func() {
		if st.start == 0 {
			return
		}
		if p, err := st.pkg(); err != nil {
			errs = append(errs, &LineError{File: file, Line: st.start, Reason: err.Error()})
		} else if p != nil {
			inv.Packages = append(inv.Packages, *p)
		}
		st = dpkgStanza{}
		field = ""
	}
	for {
		line, ok := lr.next()
		if !ok {
			break
		}
		if len(bytes.TrimSpace(line)) == 0 {
			flush()
			continue
		}
		if st.start == 0 {
			st.start = lr.n
		}
		if line[0] == ' ' || line[0] == '\t' {
			if field == "" {
				errs = append(errs, &LineError{File: file, Line: lr.n, Reason: "continuation line outside a field"})
			}
			continue // continuation of Description, Conffiles…: nothing vigil needs
		}
		k, v, found := bytes.Cut(line, []byte(":"))
		if !found || len(k) == 0 || bytes.ContainsAny(k, " \t") {
			errs = append(errs, &LineError{File: file, Line: lr.n, Reason: "not a 'Field: value' line"})
			field = ""
			continue
		}
		field = string(k)
		val := string(bytes.TrimSpace(v))
		switch field {
		case "Package":
			st.name = val
		case "Version":
			st.version = val
		case "Status":
			st.status = val
		case "Source":
			st.source = val
		case "Architecture":
			st.arch = val
		}
	}
	flush()
	lr.finish()
	inv.OS = debianRelease(inv.Packages)
	for i := range inv.Packages {
		inv.Packages[i].Ecosystem = inv.OS
	}
	return inv, errs
}

type dpkgStanza struct {
	start                               int
	name, version, status, source, arch string
}

// pkg returns the stanza's package, nil for one that is not installed.
func (s *dpkgStanza) pkg() (*Package, error) {
	if s.name == "" {
		return nil, fmt.Errorf("stanza without a Package field")
	}
	if s.status != "" && !strings.HasSuffix(s.status, " installed") {
		return nil, nil // removed, config-files only, half-installed
	}
	if s.version == "" {
		return nil, fmt.Errorf("package %q has no Version", clip(s.name))
	}
	p := &Package{Name: s.name, Version: s.version, Arch: s.arch}
	if s.source != "" {
		src, ver, _ := strings.Cut(s.source, " ")
		ver = strings.TrimSpace(ver)
		if ver != "" {
			if !strings.HasPrefix(ver, "(") || !strings.HasSuffix(ver, ")") {
				return nil, fmt.Errorf("package %q: Source field is not 'name (version)'", clip(s.name))
			}
			ver = ver[1 : len(ver)-1]
		}
		if src != s.name {
			p.Source = src
		}
		if ver != "" && ver != s.version {
			p.SourceVersion = ver
		}
	}
	return p, nil
}

// clip keeps a name from input short enough for an error message.
func clip(s string) string {
	if len(s) > 64 {
		return s[:64] + "…"
	}
	return s
}

var (
	debianBaseFiles = regexp.MustCompile(`^(\d+)(\.\d+)*(\+deb\d+u\d+)?$`)
	ubuntuBaseFiles = regexp.MustCompile(`^(\d+(?:\.\d+)?)ubuntu`)
)

// ubuntuReleases maps base-files' upstream version to the Ubuntu release.
var ubuntuReleases = map[string]string{
	"10.1": "18.04", "11": "20.04", "12": "22.04", "13": "24.04",
	"12.3": "23.04", "13.3": "24.10", "13.6": "25.04",
}

// debianRelease infers the OSV ecosystem of a Debian or Ubuntu system from
// its base-files version ("12.4+deb12u11" → "Debian:12"); "" when unknown.
func debianRelease(pkgs []Package) string {
	for _, p := range pkgs {
		if p.Name != "base-files" {
			continue
		}
		if m := ubuntuBaseFiles.FindStringSubmatch(p.Version); m != nil {
			if r, ok := ubuntuReleases[m[1]]; ok {
				return "Ubuntu:" + r
			}
			return ""
		}
		if m := debianBaseFiles.FindStringSubmatch(p.Version); m != nil {
			return "Debian:" + m[1]
		}
	}
	return ""
}
