// Package history reads a host's update history: apt's history.log (plain
// or rotated and gzipped), dpkg.log, and whether unattended upgrades are
// switched on in apt's configuration. From it come the date of the last
// update and, per package, when its installed version arrived.
//
// It must not decide which updates were security updates (that needs the
// vulnerability data: posture's job), and must not stop at a bad entry: an
// entry it cannot read is reported with its file, line and reason.
package history

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"time"
)

// ErrFormat is wrapped by every error about history input vigil cannot read.
var ErrFormat = errors.New("history format")

// LineError is an entry that could not be read, with where it was.
type LineError struct {
	File   string
	Line   int
	Reason string
}

// Error implements error.
func (e *LineError) Error() string { return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Reason) }

// Unwrap makes errors.Is(err, ErrFormat) true.
func (e *LineError) Unwrap() error { return ErrFormat }

// Action is what a change did to a package.
type Action string

// The actions apt and dpkg record.
const (
	Install   Action = "install"
	Upgrade   Action = "upgrade"
	Downgrade Action = "downgrade"
	Reinstall Action = "reinstall"
	Remove    Action = "remove"
	Purge     Action = "purge"
)

// Change is one package changing version.
type Change struct {
	Time    time.Time
	Package string // without the ":arch" suffix
	Arch    string
	From    string // empty for an install
	To      string // empty for a removal
	Action  Action
	// Unattended is true when unattended-upgrades made the change.
	Unattended bool
}

// History is the changes of one host, oldest first.
type History struct {
	Changes []Change
}

// maxLine is the longest line read; apt writes one line per transaction,
// and a large upgrade is a few hundred KiB.
const maxLine = 16 << 20

// Parse reads one apt history.log or dpkg.log, telling which from its first
// line. Timestamps carry no zone; loc says which (time.Local on the host
// that wrote them). Bad entries come back in errs; the rest is kept.
func Parse(r io.Reader, file string, loc *time.Location) ([]Change, []error) {
	br := bufio.NewReaderSize(r, 64<<10)
	head, _ := br.Peek(64) // a short file gives what it has
	h := bytes.TrimLeft(head, "\r\n")
	if bytes.HasPrefix(h, []byte("Start-Date:")) || len(h) == 0 {
		return parseApt(br, file, loc)
	}
	return parseDpkgLog(br, file, loc)
}

// ReadFiles reads history files, gzipped or not, and merges them in time
// order. A file that cannot be opened is an error; bad entries are in errs.
func ReadFiles(paths []string, loc *time.Location) (*History, []error, error) {
	h := &History{}
	var errs []error
	for _, p := range paths {
		ch, e, err := readFile(p, loc)
		if err != nil {
			return nil, errs, err
		}
		h.Changes = append(h.Changes, ch...)
		errs = append(errs, e...)
	}
	h.sort()
	return h, errs, nil
}

func (h *History) sort() {
	slices.SortStableFunc(h.Changes, func(a, b Change) int { return a.Time.Compare(b.Time) })
}

// Add merges changes into the history.
func (h *History) Add(ch ...Change) {
	h.Changes = append(h.Changes, ch...)
	h.sort()
}

func readFile(path string, loc *time.Location) ([]Change, []error, error) {
	f, err := os.Open(path) //nolint:gosec // the user names the history files to read
	if err != nil {
		return nil, nil, err
	}
	defer func() { _ = f.Close() }() // read-only
	br := bufio.NewReader(f)
	var r io.Reader = br
	if magic, _ := br.Peek(2); len(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, nil, fmt.Errorf("%s: %w", path, err)
		}
		defer func() { _ = zr.Close() }() // read-only
		r = zr
	}
	ch, errs := Parse(r, path, loc)
	return ch, errs, nil
}

// LastChange returns the newest change that installed or upgraded a package.
func (h *History) LastChange() (Change, bool) {
	for i := len(h.Changes) - 1; i >= 0; i-- {
		if c := h.Changes[i]; c.To != "" {
			return c, true
		}
	}
	return Change{}, false
}

// Arrived returns when pkg last arrived at version, zero when the history
// does not say.
func (h *History) Arrived(pkg, version string) time.Time {
	for i := len(h.Changes) - 1; i >= 0; i-- {
		if c := h.Changes[i]; c.Package == pkg && c.To == version {
			return c.Time
		}
	}
	return time.Time{}
}

// lines yields lines with their numbers. It skips over-long lines,
// reporting each as a LineError of file in *errs, and keeps a read error for
// finish to report.
type lines struct {
	br   *bufio.Reader
	file string
	errs *[]error
	n    int
	err  error
}

// next returns the next line without its end of line. ok is false at the
// end of input (or on a read error, kept in l.err).
func (l *lines) next() (line []byte, ok bool) {
	for {
		line, long, ok := l.read()
		if !ok || !long {
			return line, ok
		}
		*l.errs = append(*l.errs, &LineError{File: l.file, Line: l.n, Reason: "line longer than 16 MiB, skipped"})
	}
}

// finish reports a read error that ended the input early, if there was one.
func (l *lines) finish() {
	if l.err != nil {
		*l.errs = append(*l.errs, &LineError{File: l.file, Line: l.n, Reason: "read error: " + l.err.Error()})
	}
}

// read returns the next line, long telling whether it was over maxLine
// (and so cut short).
func (l *lines) read() (line []byte, long, ok bool) {
	var buf []byte
	for {
		frag, err := l.br.ReadSlice('\n')
		if len(buf)+len(frag) <= maxLine {
			buf = append(buf, frag...)
		} else {
			long = true
		}
		if errors.Is(err, bufio.ErrBufferFull) {
			continue
		}
		if err != nil && !errors.Is(err, io.EOF) {
			l.err = err
			return nil, false, false
		}
		if err != nil && len(buf) == 0 && !long {
			return nil, false, false
		}
		l.n++
		buf = bytes.TrimRight(buf, "\r\n")
		return buf, long, true
	}
}

// parseTime reads "2025-06-24  14:36:25" (apt, two spaces) or
// "2025-06-24 14:36:25" (dpkg).
func parseTime(s string, loc *time.Location) (time.Time, error) {
	f := strings.Fields(s)
	if len(f) != 2 {
		return time.Time{}, fmt.Errorf("time is not 'YYYY-MM-DD HH:MM:SS'")
	}
	t, err := time.ParseInLocation("2006-01-02 15:04:05", f[0]+" "+f[1], loc)
	if err != nil {
		return time.Time{}, fmt.Errorf("time is not 'YYYY-MM-DD HH:MM:SS'")
	}
	if t.Year() < 1994 { // before dpkg existed: a damaged line, not a date to count days from
		return time.Time{}, fmt.Errorf("time %s is before 1994", t.Format(time.DateOnly))
	}
	return t, nil
}

func splitArch(s string) (name, arch string) {
	name, arch, _ = strings.Cut(s, ":")
	return name, arch
}
