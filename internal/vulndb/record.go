package vulndb

import (
	"archive/zip"
	"bytes"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/valyala/fastjson"
)

// outcome is what became of one record.
type outcome uint8

const (
	failed    outcome = iota // unreadable: see the error
	kept                     // indexed
	dropped                  // about no package of Options.Want
	withdrawn                // withdrawn by its publisher
)

// recordReader turns raw OSV JSON into Vulns. Each loading goroutine has
// its own: the parser and buffers are reused from record to record.
type recordReader struct {
	want   *PackageSet
	parser fastjson.Parser
	buf    []byte
	strs   map[string]string // interned ecosystem and package names
	err    error             // of the last readZipEntry
	// collect asks readZipEntry for the names the entry mentions (for the
	// name cache): names, and anyName when one could not be read plainly.
	collect bool
	names   []string
	anyName bool
}

func newRecordReader(want *PackageSet) *recordReader {
	return &recordReader{want: want, strs: map[string]string{}}
}

// intern returns a shared copy of b's string: ecosystem and package names
// repeat across thousands of records.
func (rd *recordReader) intern(b []byte) string {
	if s, ok := rd.strs[string(b)]; ok { // no allocation for the lookup
		return s
	}
	s := string(b)
	rd.strs[s] = s
	return s
}

// readZipEntry inflates and parses one entry of an all.zip; rd.err holds
// the error, if any.
func (rd *recordReader) readZipEntry(zf *zip.File, path string) (*Vuln, outcome) {
	rd.err, rd.names, rd.anyName = nil, nil, false
	if !strings.HasSuffix(zf.Name, ".json") {
		return nil, failed
	}
	name := path + "!" + zf.Name
	if zf.UncompressedSize64 > maxRecord {
		rd.err = fmt.Errorf("%s: %w: record larger than %d MiB", name, ErrFormat, maxRecord>>20)
		return nil, failed
	}
	rc, err := zf.Open()
	if err != nil {
		rd.err = fmt.Errorf("%s: %w", name, err)
		return nil, failed
	}
	size := int(zf.UncompressedSize64) //nolint:gosec // at most maxRecord, checked above
	if cap(rd.buf) < size {
		rd.buf = make([]byte, size, size*2)
	}
	buf := rd.buf[:size]
	_, err = io.ReadFull(rc, buf)
	_ = rc.Close() // read-only
	if err != nil {
		rd.err = fmt.Errorf("%s: %w", name, err)
		return nil, failed
	}
	if rd.collect {
		scanNames(buf, func(n []byte, plain bool) bool {
			if !plain {
				rd.anyName = true
			} else if s := rd.intern(n); !slices.Contains(rd.names, s) {
				rd.names = append(rd.names, s)
			}
			return true
		})
	}
	vu, out, err := rd.parse(buf, name)
	rd.err = err
	return vu, out
}

// parse reads one OSV record. name says where it came from, for errors.
func (rd *recordReader) parse(data []byte, name string) (*Vuln, outcome, error) {
	if rd.want != nil && !rd.want.mayHold(data) {
		return nil, dropped, nil
	}
	v, err := rd.parser.ParseBytes(data)
	if err != nil {
		return nil, failed, fmt.Errorf("%s: %w: %w", name, ErrFormat, err)
	}
	if v.Type() != fastjson.TypeObject {
		return nil, failed, fmt.Errorf("%s: %w: not a JSON object", name, ErrFormat)
	}
	id := v.GetStringBytes("id")
	if len(id) == 0 {
		return nil, failed, fmt.Errorf("%s: %w: record has no id", name, ErrFormat)
	}
	if w := v.GetStringBytes("withdrawn"); len(w) > 0 {
		return nil, withdrawn, nil
	}
	var affs []affected
	for _, a := range v.GetArray("affected") {
		if af, ok := rd.affected(a); ok {
			affs = append(affs, af)
		}
	}
	if len(affs) == 0 {
		return nil, dropped, nil
	}
	vu := &Vuln{ID: string(id), affected: affs}
	for _, key := range []string{"aliases", "upstream"} {
		for _, a := range v.GetArray(key) {
			if s := string(a.GetStringBytes()); s != "" && s != vu.ID && !contains(vu.Aliases, s) {
				vu.Aliases = append(vu.Aliases, s)
			}
		}
	}
	vu.Summary = string(v.GetStringBytes("summary"))
	vu.Published = parseTime(v.GetStringBytes("published"))
	vu.Modified = parseTime(v.GetStringBytes("modified"))
	for _, s := range v.GetArray("severity") {
		typ, score := string(s.GetStringBytes("type")), string(s.GetStringBytes("score"))
		switch {
		case strings.HasPrefix(typ, "CVSS_V3"):
			if sc, ok := CVSS3Score(score); ok && sc > vu.CVSS {
				vu.CVSS = sc
				vu.Severity = FromScore(sc)
			}
		case vu.Severity == SeverityUnknown:
			vu.Severity = ParseSeverity(score) // "Ubuntu": "high"
		}
	}
	if vu.Severity == SeverityUnknown {
		vu.Severity = ParseSeverity(string(v.GetStringBytes("database_specific", "severity")))
	}
	return vu, kept, nil
}

// affected reads one entry of a record's affected list; ok is false for an
// entry without package, without comparable ranges or versions, or one
// Options.Want does not hold.
func (rd *recordReader) affected(a *fastjson.Value) (affected, bool) {
	ecoB, pkgB := a.GetStringBytes("package", "ecosystem"), a.GetStringBytes("package", "name")
	if len(ecoB) == 0 || len(pkgB) == 0 {
		return affected{}, false
	}
	eco, pkg := rd.intern(bytes.TrimSuffix(ecoB, []byte(":LTS"))), rd.intern(pkgB)
	if rd.want != nil && !rd.want.Has(eco, pkg) {
		return affected{}, false
	}
	af := affected{eco: eco, pkg: pkg}
	for _, path := range [][]string{{"ecosystem_specific", "urgency"}, {"ecosystem_specific", "severity"}, {"database_specific", "severity"}} {
		if af.severity = ParseSeverity(string(a.GetStringBytes(path...))); af.severity != SeverityUnknown {
			break
		}
	}
	for _, r := range a.GetArray("ranges") {
		typ := string(r.GetStringBytes("type"))
		if typ != "ECOSYSTEM" && typ != "SEMVER" {
			continue // GIT ranges name commits, not package versions
		}
		var vr vrange
		for _, e := range r.GetArray("events") {
			o := e.GetObject()
			if o == nil {
				continue
			}
			o.Visit(func(k []byte, val *fastjson.Value) {
				s := string(val.GetStringBytes())
				if s == "" {
					return
				}
				switch string(k) {
				case "introduced":
					vr.events = append(vr.events, event{introduced, s})
				case "fixed":
					vr.events = append(vr.events, event{fixed, s})
				case "last_affected":
					vr.events = append(vr.events, event{lastAffected, s})
				case "limit":
					vr.events = append(vr.events, event{limit, s})
				}
			})
		}
		if len(vr.events) > 0 {
			af.ranges = append(af.ranges, vr)
		}
	}
	if len(af.ranges) == 0 {
		// Only an entry without comparable ranges needs its version list:
		// where there are ranges, the list enumerates them.
		for _, ver := range a.GetArray("versions") {
			af.versions = append(af.versions, string(ver.GetStringBytes()))
		}
	}
	return af, len(af.ranges) > 0 || len(af.versions) > 0
}

func parseTime(b []byte) time.Time {
	if len(b) == 0 {
		return time.Time{}
	}
	t, err := time.Parse(time.RFC3339, string(b))
	if err != nil {
		t, _ = time.Parse("2006-01-02", string(b[:min(len(b), 10)])) // zero when unreadable
	}
	return t
}
