package history

import (
	"bufio"
	"bytes"
	"fmt"
	"strings"
	"time"
)

// parseApt reads apt's history.log: blocks of Start-Date, Commandline,
// Requested-By, Install/Upgrade/Downgrade/Reinstall/Remove/Purge and
// End-Date lines, separated by blank lines.
func parseApt(br *bufio.Reader, file string, loc *time.Location) ([]Change, []error) {
	var out []Change
	var errs []error
	l := &lines{br: br, file: file, errs: &errs}
	var start time.Time
	inBlock, unattended := false, false
	for {
		line, ok := l.next()
		if !ok {
			break
		}
		if len(bytes.TrimSpace(line)) == 0 {
			inBlock, unattended = false, false
			continue
		}
		k, v, found := bytes.Cut(line, []byte(": "))
		if !found {
			errs = append(errs, &LineError{File: file, Line: l.n, Reason: "not a 'Field: value' line"})
			continue
		}
		key, val := string(k), string(v)
		switch key {
		case "Start-Date":
			t, err := parseTime(val, loc)
			if err != nil {
				errs = append(errs, &LineError{File: file, Line: l.n, Reason: "Start-Date: " + err.Error()})
				inBlock = false
				continue
			}
			start, inBlock, unattended = t, true, false
		case "Commandline":
			unattended = strings.Contains(val, "unattended-upgrade")
		case "Requested-By", "End-Date", "Error":
		case "Install", "Upgrade", "Downgrade", "Reinstall", "Remove", "Purge":
			if !inBlock {
				errs = append(errs, &LineError{File: file, Line: l.n, Reason: key + " line outside a Start-Date block"})
				continue
			}
			ch, err := parseAptPackages(val, Action(strings.ToLower(key)), start, unattended)
			if err != nil {
				errs = append(errs, &LineError{File: file, Line: l.n, Reason: key + ": " + err.Error()})
			}
			out = append(out, ch...)
		default:
			// Future fields: ignored, as apt's own readers do.
		}
	}
	l.finish()
	return out, errs
}

// parseAptPackages reads "a:amd64 (1.0, 1.1), b:amd64 (2.0, automatic)".
// It keeps the packages it could read and reports the first bad one.
func parseAptPackages(s string, act Action, t time.Time, unattended bool) ([]Change, error) {
	var out []Change
	var firstErr error
	for s != "" {
		open := strings.Index(s, " (")
		closeAt := strings.IndexByte(s, ')')
		if open <= 0 || closeAt < open {
			if firstErr == nil {
				firstErr = fmt.Errorf("package entry is not 'name:arch (version…)'")
			}
			break
		}
		name, arch := splitArch(strings.TrimSpace(s[:open]))
		vers := strings.Split(s[open+2:closeAt], ", ")
		s = strings.TrimPrefix(s[closeAt+1:], ", ")
		if vers[len(vers)-1] == "automatic" {
			vers = vers[:len(vers)-1]
		}
		c := Change{Time: t, Package: name, Arch: arch, Action: act, Unattended: unattended}
		switch {
		case len(vers) == 2 && (act == Upgrade || act == Downgrade):
			c.From, c.To = vers[0], vers[1]
		case len(vers) == 1 && (act == Install || act == Reinstall):
			c.To = vers[0]
		case len(vers) == 1 && (act == Remove || act == Purge):
			c.From = vers[0]
		default:
			if firstErr == nil {
				firstErr = fmt.Errorf("package %q: %d versions for %s", clip(name), len(vers), act)
			}
			continue
		}
		if name == "" || (c.To == "" && c.From == "") {
			if firstErr == nil {
				firstErr = fmt.Errorf("package entry without name or version")
			}
			continue
		}
		out = append(out, c)
	}
	return out, firstErr
}

func clip(s string) string {
	if len(s) > 64 {
		return s[:64] + "…"
	}
	return s
}
