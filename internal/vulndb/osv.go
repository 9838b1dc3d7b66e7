package vulndb

import (
	"archive/zip"
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/google/osv-scalibr/semantic"
	"github.com/valyala/fastjson"
)

// maxRecord is the largest OSV record read (the largest real ones, with
// long version lists, are a few MiB).
const maxRecord = 64 << 20

// Options configures a DB.
type Options struct {
	// Logger receives one line per file that could not be read; nil discards.
	Logger *slog.Logger
	// Want, when set, limits the index to the packages it accepts (the
	// source packages of the hosts being judged): records about other
	// packages are read and dropped, which keeps memory small. Nil keeps all.
	Want func(ecosystem, name string) bool
}

// DB is OSV data indexed by ecosystem and package name.
type DB struct {
	idx       map[string]map[string][]ref // ecosystem → package → entries
	records   int
	withdrawn int
	log       *slog.Logger
	want      func(ecosystem, name string) bool
	parser    fastjson.Parser
	buf       []byte
	strs      map[string]string // interned ecosystem and package names
	dropped   int
}

type ref struct {
	v *Vuln
	a int32 // index into v.affected
}

// New returns an empty DB.
func New(opts Options) *DB {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	return &DB{idx: map[string]map[string][]ref{}, log: opts.Logger, want: opts.Want, strs: map[string]string{}}
}

// intern returns a shared copy of b's string: ecosystem and package names
// repeat across thousands of records.
func (db *DB) intern(b []byte) string {
	if s, ok := db.strs[string(b)]; ok { // no allocation for the lookup
		return s
	}
	s := string(b)
	db.strs[s] = s
	return s
}

// Dropped returns how many records were read but not kept because
// Options.Want accepted none of their packages.
func (db *DB) Dropped() int { return db.dropped }

// Records returns how many records are loaded (withdrawn ones excluded).
func (db *DB) Records() int { return db.records }

// Withdrawn returns how many withdrawn records were skipped.
func (db *DB) Withdrawn() int { return db.withdrawn }

// Ecosystems returns the ecosystems present.
func (db *DB) Ecosystems() []string {
	out := make([]string, 0, len(db.idx))
	for e := range db.idx {
		out = append(out, e)
	}
	return out
}

// Load reads OSV data from path: a directory of .json records (searched
// recursively, .zip files in it included), an all.zip, or one .json file.
// Records that cannot be read are returned in errs; the rest is loaded.
func (db *DB) Load(path string) (errs []error, err error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if !st.IsDir() {
		return db.loadFile(path)
	}
	err = filepath.WalkDir(path, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			return nil
		}
		if strings.HasSuffix(p, ".json") || strings.HasSuffix(p, ".zip") {
			e, err := db.loadFile(p)
			errs = append(errs, e...)
			return err
		}
		return nil
	})
	return errs, err
}

func (db *DB) loadFile(path string) ([]error, error) {
	if strings.HasSuffix(path, ".zip") {
		return db.loadZip(path)
	}
	f, err := os.Open(path) //nolint:gosec // the user names the OSV data to read
	if err != nil {
		return nil, err
	}
	defer func() { _ = f.Close() }() // read-only
	if err := db.readRecord(f, path); err != nil {
		return []error{err}, nil
	}
	return nil, nil
}

func (db *DB) loadZip(path string) ([]error, error) {
	f, err := os.Open(path) //nolint:gosec // the user names the OSV data to read
	if err != nil {
		return nil, err
	}
	defer func() { _ = f.Close() }() // read-only
	st, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	zr, err := zip.NewReader(&windowReaderAt{f: f}, st.Size())
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	var errs []error
	for _, zf := range zr.File {
		if !strings.HasSuffix(zf.Name, ".json") {
			continue
		}
		name := path + "!" + zf.Name
		if zf.UncompressedSize64 > maxRecord {
			errs = append(errs, fmt.Errorf("%s: %w: record larger than %d MiB", name, ErrFormat, maxRecord>>20))
			continue
		}
		rc, err := zf.Open()
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", name, err))
			continue
		}
		size := int(zf.UncompressedSize64) //nolint:gosec // at most maxRecord, checked above
		if cap(db.buf) < size {
			db.buf = make([]byte, size, size*2)
		}
		buf := db.buf[:size]
		_, err = io.ReadFull(rc, buf)
		_ = rc.Close() // read-only
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", name, err))
			continue
		}
		if err := db.AddJSON(buf, name); err != nil {
			errs = append(errs, err)
		}
	}
	return errs, nil
}

func (db *DB) readRecord(r io.Reader, name string) error {
	buf := bytes.NewBuffer(db.buf[:0])
	n, err := io.Copy(buf, io.LimitReader(r, maxRecord+1))
	db.buf = buf.Bytes()
	if err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	if n > maxRecord {
		return fmt.Errorf("%s: %w: record larger than %d MiB", name, ErrFormat, maxRecord>>20)
	}
	return db.AddJSON(db.buf, name)
}

// AddJSON adds one OSV record in JSON. name says where it came from, for errors.
func (db *DB) AddJSON(data []byte, name string) error {
	v, err := db.parser.ParseBytes(data)
	if err != nil {
		return fmt.Errorf("%s: %w: %w", name, ErrFormat, err)
	}
	if v.Type() != fastjson.TypeObject {
		return fmt.Errorf("%s: %w: not a JSON object", name, ErrFormat)
	}
	id := v.GetStringBytes("id")
	if len(id) == 0 {
		return fmt.Errorf("%s: %w: record has no id", name, ErrFormat)
	}
	if w := v.GetStringBytes("withdrawn"); len(w) > 0 {
		db.withdrawn++
		return nil
	}
	var affs []affected
	for _, a := range v.GetArray("affected") {
		if af, ok := db.affected(a); ok {
			affs = append(affs, af)
		}
	}
	if len(affs) == 0 {
		if db.want != nil {
			db.dropped++
		}
		return nil
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
	db.records++
	for i, af := range vu.affected {
		m := db.idx[af.eco]
		if m == nil {
			m = map[string][]ref{}
			db.idx[af.eco] = m
		}
		m[af.pkg] = append(m[af.pkg], ref{vu, int32(i)}) //nolint:gosec // a record with 2^31 affected entries is over maxRecord
	}
	return nil
}

// affected reads one entry of a record's affected list; ok is false for an
// entry without package, without comparable ranges or versions, or one
// Options.Want does not accept.
func (db *DB) affected(a *fastjson.Value) (affected, bool) {
	ecoB, pkgB := a.GetStringBytes("package", "ecosystem"), a.GetStringBytes("package", "name")
	if len(ecoB) == 0 || len(pkgB) == 0 {
		return affected{}, false
	}
	eco, pkg := db.intern(bytes.TrimSuffix(ecoB, []byte(":LTS"))), db.intern(pkgB)
	if db.want != nil && !db.want(eco, pkg) {
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

func contains(s []string, x string) bool {
	for _, e := range s {
		if e == x {
			return true
		}
	}
	return false
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

// Affecting returns the records that affect version of package name in
// ecosystem eco. For Debian, Ubuntu and Alpine, name and version are the
// source (origin) package's: records name source packages.
func (db *DB) Affecting(eco, name, version string) ([]Match, error) {
	eco = NormalizeEcosystem(eco)
	refs := db.idx[eco][name]
	if len(refs) == 0 {
		return nil, nil
	}
	iv, err := semantic.Parse(version, eco)
	if err != nil {
		if errors.Is(err, semantic.ErrUnsupportedEcosystem) {
			return nil, fmt.Errorf("%w: %s", ErrEcosystem, eco)
		}
		return nil, fmt.Errorf("%w: %s version %q: %w", ErrFormat, name, version, err)
	}
	var out []Match
	var firstErr error
	for _, r := range refs {
		if len(out) > 0 && out[len(out)-1].Vuln == r.v {
			continue // a second affected entry of the same record for this package
		}
		af := &r.v.affected[r.a]
		hit, fix := false, ""
		for _, rg := range af.ranges {
			ok, f, err := rg.contains(iv, eco)
			if err != nil {
				if firstErr == nil {
					firstErr = fmt.Errorf("%s: %w", r.v.ID, err)
				}
				continue
			}
			if ok {
				hit = true
				if fix == "" {
					fix = f
				}
			}
		}
		if !hit && contains(af.versions, version) {
			hit = true
		}
		if !hit {
			continue
		}
		sev := r.v.Severity
		if sev == SeverityUnknown {
			sev = af.severity
		}
		out = append(out, Match{Vuln: r.v, Fixed: fix, Severity: sev})
	}
	return out, firstErr
}

// windowReaderAt serves reads from a window of the file it refills in large
// blocks: zip entries are read in file order, and OSV's entries are small,
// so reading each through its own system calls would cost more than
// inflating it.
type windowReaderAt struct {
	f   *os.File
	buf []byte
	off int64 // file offset of buf[0]
}

const zipWindow = 4 << 20

func (w *windowReaderAt) ReadAt(p []byte, off int64) (int, error) {
	if off >= w.off && off+int64(len(p)) <= w.off+int64(len(w.buf)) {
		return copy(p, w.buf[off-w.off:]), nil
	}
	if len(p) > zipWindow {
		return w.f.ReadAt(p, off)
	}
	if cap(w.buf) < zipWindow {
		w.buf = make([]byte, zipWindow)
	}
	n, err := w.f.ReadAt(w.buf[:zipWindow], off)
	w.buf, w.off = w.buf[:n], off
	if n >= len(p) {
		return copy(p, w.buf), nil
	}
	copy(p, w.buf)
	if err == nil {
		err = io.ErrUnexpectedEOF
	}
	return n, err
}
