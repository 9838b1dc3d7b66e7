package inventory

import (
	"bytes"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
)

// RPMQueryFormat is the query format ParseRPM reads; produce the input with
//
//	rpm -qa --queryformat "$(vigil inventory --rpm-queryformat)"
//
// or by typing the format below. Fields are tab-separated.
const RPMQueryFormat = `%{NAME}\t%{EPOCHNUM}\t%{VERSION}\t%{RELEASE}\t%{ARCH}\t%{INSTALLTIME}\t%{SOURCERPM}\n`

// rpmReleases maps a distribution's release package to its OSV ecosystem name.
var rpmReleases = map[string]string{
	"almalinux-release": "AlmaLinux",
	"rocky-release":     "Rocky Linux",
	"redhat-release":    "Red Hat",
}

// ParseRPM reads `rpm -qa --queryformat` output in RPMQueryFormat. The
// install time of each package becomes its InstalledAt; the distribution is
// inferred from its release package (almalinux-release, rocky-release).
func ParseRPM(r io.Reader, file string) (*Inventory, []error) {
	inv := &Inventory{}
	var errs []error
	lr := newLineReader(r, file, &errs)
	for {
		line, ok := lr.next()
		if !ok {
			break
		}
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		p, err := parseRPMLine(string(line))
		if err != nil {
			errs = append(errs, &LineError{File: file, Line: lr.n, Reason: err.Error()})
			continue
		}
		inv.Packages = append(inv.Packages, p)
		if eco, ok := rpmReleases[p.Name]; ok {
			major, _, _ := strings.Cut(p.Version, ".")
			if eco == "Red Hat" {
				inv.OS = eco
			} else {
				inv.OS = eco + ":" + major
			}
		}
	}
	lr.finish()
	for i := range inv.Packages {
		inv.Packages[i].Ecosystem = inv.OS
	}
	return inv, errs
}

func parseRPMLine(line string) (Package, error) {
	f := strings.Split(line, "\t")
	if len(f) != 7 {
		return Package{}, fmt.Errorf("%d tab-separated fields, want 7 (NAME EPOCHNUM VERSION RELEASE ARCH INSTALLTIME SOURCERPM)", len(f))
	}
	name, epoch, ver, rel, arch, itime, srpm := f[0], f[1], f[2], f[3], f[4], f[5], f[6]
	if name == "" || ver == "" {
		return Package{}, fmt.Errorf("empty name or version")
	}
	v := ver
	if rel != "" && rel != "(none)" {
		v += "-" + rel
	}
	if epoch != "" && epoch != "0" && epoch != "(none)" {
		if _, err := strconv.Atoi(epoch); err != nil {
			return Package{}, fmt.Errorf("epoch is not a number")
		}
		v = epoch + ":" + v
	}
	p := Package{Name: name, Version: v, Arch: arch}
	if itime != "" && itime != "(none)" {
		sec, err := strconv.ParseInt(itime, 10, 64)
		if err != nil || sec < 0 {
			return Package{}, fmt.Errorf("install time is not seconds since 1970")
		}
		p.InstalledAt = time.Unix(sec, 0).UTC()
	}
	if src := srpmName(srpm); src != "" && src != name {
		p.Source = src
	}
	return p, nil
}

// srpmName returns the name part of "openssl-3.0.7-27.el9.src.rpm".
func srpmName(s string) string {
	s = strings.TrimSuffix(s, ".rpm")
	s = strings.TrimSuffix(s, ".src")
	s = strings.TrimSuffix(s, ".nosrc")
	for range 2 { // strip -release, then -version
		i := strings.LastIndexByte(s, '-')
		if i <= 0 {
			return ""
		}
		s = s[:i]
	}
	return s
}
