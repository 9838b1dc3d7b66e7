package parse

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"sort"
	"text/tabwriter"
)

// Stats counts lines per format: read, parsed into an event, not understood,
// and ignored on purpose, with the reasons. Lines no parser claimed count
// under "unknown".
type Stats struct {
	formats map[string]*FormatStats
}

// FormatStats are the counts of one format.
type FormatStats struct {
	Read, Parsed, Unparsed, Ignored int64
	// Reasons counts lines by why they were ignored or not understood.
	IgnoredReasons  map[string]int64
	UnparsedReasons map[string]int64
}

// Record counts one line's outcome: the format Decode returned and its error.
func (s *Stats) Record(format string, err error) {
	if s.formats == nil {
		s.formats = map[string]*FormatStats{}
	}
	if format == "" {
		format = "unknown"
	}
	f := s.formats[format]
	if f == nil {
		f = &FormatStats{IgnoredReasons: map[string]int64{}, UnparsedReasons: map[string]int64{}}
		s.formats[format] = f
	}
	f.Read++
	var le *LineError
	switch {
	case err == nil:
		f.Parsed++
	case errors.As(err, &le) && errors.Is(err, ErrIgnored):
		f.Ignored++
		f.IgnoredReasons[le.Reason]++
	case errors.As(err, &le):
		f.Unparsed++
		f.UnparsedReasons[le.Reason]++
	default:
		f.Unparsed++
		f.UnparsedReasons["read error"]++
	}
}

// Format returns the counts of one format, or nil.
func (s *Stats) Format(name string) *FormatStats { return s.formats[name] }

// Total sums all formats.
func (s *Stats) Total() FormatStats {
	var t FormatStats
	for _, f := range s.formats {
		t.Read += f.Read
		t.Parsed += f.Parsed
		t.Unparsed += f.Unparsed
		t.Ignored += f.Ignored
	}
	return t
}

// WriteSummary prints the counts as a table, reasons indented under each
// format, in the way CrowdSec reports acquisition.
func (s *Stats) WriteSummary(w io.Writer) error {
	names := make([]string, 0, len(s.formats))
	for n := range s.formats {
		names = append(names, n)
	}
	sort.Strings(names)
	// Built in memory (writes to a buffer cannot fail), written once.
	var b bytes.Buffer
	tw := tabwriter.NewWriter(&b, 0, 4, 2, ' ', 0)
	_, _ = fmt.Fprintln(tw, "format\tread\tparsed\tunparsed\tignored")
	for _, n := range names {
		f := s.formats[n]
		_, _ = fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%d\n", n, f.Read, f.Parsed, f.Unparsed, f.Ignored)
	}
	_ = tw.Flush()
	for _, n := range names {
		f := s.formats[n]
		for _, r := range sortedKeys(f.UnparsedReasons) {
			fmt.Fprintf(&b, "  %s unparsed: %s: %d\n", n, r, f.UnparsedReasons[r])
		}
		for _, r := range sortedKeys(f.IgnoredReasons) {
			fmt.Fprintf(&b, "  %s ignored: %s: %d\n", n, r, f.IgnoredReasons[r])
		}
	}
	_, err := w.Write(b.Bytes())
	return err
}

func sortedKeys(m map[string]int64) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
