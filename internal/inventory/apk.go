package inventory

import (
	"bytes"
	"io"
	"strconv"
	"strings"
)

// ParseApk reads an Alpine apk installed database (/lib/apk/db/installed):
// blocks of "X:value" lines separated by blank lines. P is the name, V the
// version, A the architecture, o the origin (source) package (t, the build
// time, is not an install time and is not read). The Alpine release comes from the alpine-release package.
func ParseApk(r io.Reader, file string) (*Inventory, []error) {
	inv := &Inventory{}
	var errs []error
	lr := newLineReader(r, file, &errs)
	var cur Package
	start := 0
	flush := func() {
		if start == 0 {
			return
		}
		switch {
		case cur.Name == "":
			errs = append(errs, &LineError{File: file, Line: start, Reason: "block without a P: (package name) line"})
		case cur.Version == "":
			errs = append(errs, &LineError{File: file, Line: start, Reason: "package " + strconv.Quote(clip(cur.Name)) + " has no V: line"})
		default:
			inv.Packages = append(inv.Packages, cur)
		}
		cur, start = Package{}, 0
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
		if start == 0 {
			start = lr.n
		}
		if len(line) < 2 || line[1] != ':' {
			errs = append(errs, &LineError{File: file, Line: lr.n, Reason: "not an 'X:value' line"})
			continue
		}
		v := string(line[2:])
		switch line[0] {
		case 'P':
			cur.Name = v
		case 'V':
			cur.Version = v
		case 'A':
			cur.Arch = v
		case 'o':
			cur.Source = v
		}
	}
	flush()
	lr.finish()
	for i, p := range inv.Packages {
		if p.Source == p.Name {
			inv.Packages[i].Source = ""
		}
		if p.Name == "alpine-release" {
			parts := strings.SplitN(p.Version, ".", 3)
			if len(parts) >= 2 {
				inv.OS = "Alpine:v" + parts[0] + "." + parts[1]
			}
		}
	}
	for i := range inv.Packages {
		inv.Packages[i].Ecosystem = inv.OS
	}
	return inv, errs
}
