package history

import (
	"bufio"
	"bytes"
	"strings"
	"time"
)

// parseDpkgLog reads dpkg.log: "DATE TIME install|upgrade|remove|purge
// pkg:arch OLD NEW" lines make changes; status, configure, trigproc and
// startup lines are dpkg's progress and are skipped.
func parseDpkgLog(br *bufio.Reader, file string, loc *time.Location) ([]Change, []error) {
	var out []Change
	var errs []error
	l := &lines{br: br, file: file, errs: &errs}
	for {
		line, ok := l.next()
		if !ok {
			break
		}
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		f := strings.Fields(string(line))
		if len(f) < 3 {
			errs = append(errs, &LineError{File: file, Line: l.n, Reason: "not 'DATE TIME ACTION …'"})
			continue
		}
		t, err := parseTime(f[0]+" "+f[1], loc)
		if err != nil {
			errs = append(errs, &LineError{File: file, Line: l.n, Reason: err.Error()})
			continue
		}
		act := Action(f[2])
		switch act {
		case Install, Upgrade, Remove, Purge:
		default:
			continue // status, configure, trigproc, startup, conffile
		}
		if len(f) != 6 {
			errs = append(errs, &LineError{File: file, Line: l.n, Reason: string(act) + " line is not 'pkg:arch OLD NEW'"})
			continue
		}
		name, arch := splitArch(f[3])
		c := Change{Time: t, Package: name, Arch: arch, Action: act, From: none(f[4]), To: none(f[5])}
		if act == Install && c.From != "" {
			c.Action = Upgrade // dpkg -i over an installed version
		}
		out = append(out, c)
	}
	l.finish()
	return out, errs
}

func none(s string) string {
	if s == "<none>" {
		return ""
	}
	return s
}
