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
	"runtime"
	"slices"
	"strings"
	"sync"

	"github.com/google/osv-scalibr/semantic"
)

// maxRecord is the largest OSV record read (the largest real ones, with
// long version lists, are a few MiB).
const maxRecord = 64 << 20

// Options configures a DB.
type Options struct {
	// Logger receives one line per file that could not be read; nil discards.
	Logger *slog.Logger
	// Want, when set, limits the index to its packages (the source packages
	// of the hosts being judged): records about other packages are skipped,
	// most of them without being parsed, which keeps time and memory small.
	// Nil keeps all.
	Want *PackageSet
	// CacheDir, when set with Want, is where Load keeps for each all.zip the
	// package names its entries mention (a small file named after the zip's
	// path, size and time), so that later loads of the same file inflate only
	// the entries about wanted packages. A changed zip gets a new cache.
	CacheDir string
}

// PackageSet is a set of (ecosystem, package name) pairs.
type PackageSet struct {
	pairs map[[2]string]bool
	names map[string]bool
}

// NewPackageSet returns an empty set.
func NewPackageSet() *PackageSet {
	return &PackageSet{pairs: map[[2]string]bool{}, names: map[string]bool{}}
}

// Add puts a package in the set.
func (s *PackageSet) Add(eco, name string) {
	s.pairs[[2]string{NormalizeEcosystem(eco), name}] = true
	s.names[name] = true
}

// Has reports whether the set holds the package.
func (s *PackageSet) Has(eco, name string) bool { return s.pairs[[2]string{eco, name}] }

// mayHold reports whether a raw JSON record may name a package of the set:
// false only when every "name" string in it is plain (no escapes) and not in
// the set. It lets Load skip most records without parsing them.
func (s *PackageSet) mayHold(raw []byte) bool {
	hold := false
	scanNames(raw, func(name []byte, plain bool) bool {
		hold = !plain || s.names[string(name)]
		return !hold
	})
	return hold
}

// scanNames calls fn with every string value of a "name" key in raw JSON,
// and whether it is plain (no escapes, well formed), until fn returns false.
func scanNames(raw []byte, fn func(name []byte, plain bool) bool) {
	key := []byte(`"name"`)
	for {
		i := bytes.Index(raw, key)
		if i < 0 {
			return
		}
		raw = raw[i+len(key):]
		j := 0
		for j < len(raw) && (raw[j] == ' ' || raw[j] == '\t' || raw[j] == '\n' || raw[j] == '\r' || raw[j] == ':') {
			j++
		}
		if j == len(raw) || raw[j] != '"' {
			continue // "name" as a value, or a non-string: not a package name
		}
		rest := raw[j+1:]
		end := bytes.IndexByte(rest, '"')
		if end < 0 {
			fn(nil, false) // malformed: let the parser say so
			return
		}
		name := rest[:end]
		if !fn(name, bytes.IndexByte(name, '\\') < 0) {
			return
		}
		raw = rest[end:]
	}
}

// DB is OSV data indexed by ecosystem and package name.
type DB struct {
	idx       map[string]map[string][]ref // ecosystem → package → entries
	records   int
	withdrawn int
	log       *slog.Logger
	rd        *recordReader // for records read one at a time
	dropped   int
	cacheDir  string
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
	return &DB{idx: map[string]map[string][]ref{}, log: opts.Logger, rd: newRecordReader(opts.Want), cacheDir: opts.CacheDir}
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
	ra := &windowReaderAt{f: f}
	zr, err := zip.NewReader(ra, st.Size())
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	files := zr.File
	// With a cache of the names each entry mentions, only the entries about
	// wanted packages are inflated; without one, every entry is, and the
	// names are collected to write the cache.
	var skip []bool
	cachePath := db.cachePath(path, st)
	collect := false
	if cachePath != "" {
		if zn, err := readZipNames(cachePath, len(files)); err == nil {
			skip = zn.skip(db.rd.want)
		} else {
			collect = true
			if !errors.Is(err, fs.ErrNotExist) {
				db.log.Debug("OSV name cache unreadable; rebuilding it", "file", cachePath, "err", err)
			}
		}
	}
	type result struct {
		i     int
		vu    *Vuln
		out   outcome
		err   error
		names []string
		any   bool
	}
	read := func(rd *recordReader, i int) result {
		if skip != nil && skip[i] {
			return result{i: i, out: dropped}
		}
		rd.collect = collect
		vu, out := rd.readZipEntry(files[i], path)
		return result{i, vu, out, rd.err, rd.names, rd.anyName}
	}
	var all [][]string // names per entry, when collecting
	var anyName []bool
	if collect {
		all, anyName = make([][]string, len(files)), make([]bool, len(files))
	}
	var errs []error
	take := func(r result) {
		db.take(r.vu, r.out)
		if r.err != nil {
			errs = append(errs, r.err)
		}
		if collect {
			all[r.i], anyName[r.i] = r.names, r.any || r.err != nil
		}
	}
	workers := min(runtime.GOMAXPROCS(0), 8, 1+len(files)/1024)
	if workers <= 1 {
		for i := range files {
			take(read(db.rd, i))
		}
	} else {
		// Several workers inflate and parse contiguous runs of entries (so
		// each reads its own stretch of the file); this goroutine indexes
		// what they find.
		results := make(chan []result, workers*2)
		var wg sync.WaitGroup
		chunk := (len(files) + workers - 1) / workers
		for w := range workers {
			lo, hi := min(w*chunk, len(files)), min((w+1)*chunk, len(files))
			wg.Add(1)
			go func() {
				defer wg.Done()
				rd := newRecordReader(db.rd.want)
				batch := make([]result, 0, 64)
				for i := lo; i < hi; i++ {
					batch = append(batch, read(rd, i))
					if len(batch) == cap(batch) {
						results <- batch
						batch = make([]result, 0, 64)
					}
				}
				results <- batch
			}()
		}
		go func() { wg.Wait(); close(results) }()
		for batch := range results {
			for _, r := range batch {
				take(r)
			}
		}
		slices.SortFunc(errs, func(a, b error) int { return strings.Compare(a.Error(), b.Error()) })
	}
	if collect {
		if err := writeZipNames(cachePath, all, anyName); err != nil {
			db.log.Debug("OSV name cache not written", "file", cachePath, "err", err)
		}
	}
	return errs, nil
}

func (db *DB) readRecord(r io.Reader, name string) error {
	buf := bytes.NewBuffer(db.rd.buf[:0])
	n, err := io.Copy(buf, io.LimitReader(r, maxRecord+1))
	db.rd.buf = buf.Bytes()
	if err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	if n > maxRecord {
		return fmt.Errorf("%s: %w: record larger than %d MiB", name, ErrFormat, maxRecord>>20)
	}
	return db.AddJSON(db.rd.buf, name)
}

// AddJSON adds one OSV record in JSON. name says where it came from, for errors.
func (db *DB) AddJSON(data []byte, name string) error {
	vu, out, err := db.rd.parse(data, name)
	db.take(vu, out)
	return err
}

// take counts a parsed record and indexes it if it was kept.
func (db *DB) take(vu *Vuln, out outcome) {
	switch out {
	case dropped:
		db.dropped++
	case withdrawn:
		db.withdrawn++
	case kept:
		db.records++
		for i, af := range vu.affected {
			m := db.idx[af.eco]
			if m == nil {
				m = map[string][]ref{}
				db.idx[af.eco] = m
			}
			m[af.pkg] = append(m[af.pkg], ref{vu, int32(i)}) //nolint:gosec // a record with 2^31 affected entries is over maxRecord
		}
	}
}

func contains(s []string, x string) bool {
	for _, e := range s {
		if e == x {
			return true
		}
	}
	return false
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

// windowReaderAt serves reads from windows of the file that it refills in
// large blocks: zip entries are read in file order and OSV's entries are
// small, so reading each through its own system calls would cost more than
// inflating it. It keeps a few windows, for workers reading different
// stretches of the file at once.
type windowReaderAt struct {
	f    *os.File
	mu   sync.Mutex
	wins [8]window
	tick uint64
}

type window struct {
	buf  []byte
	off  int64
	used uint64
}

const zipWindow = 2 << 20

func (w *windowReaderAt) ReadAt(p []byte, off int64) (int, error) {
	if len(p) > zipWindow {
		return w.f.ReadAt(p, off)
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	w.tick++
	lru := 0
	for i := range w.wins {
		win := &w.wins[i]
		if win.buf != nil && off >= win.off && off+int64(len(p)) <= win.off+int64(len(win.buf)) {
			win.used = w.tick
			return copy(p, win.buf[off-win.off:]), nil
		}
		if win.used < w.wins[lru].used {
			lru = i
		}
	}
	win := &w.wins[lru]
	if cap(win.buf) < zipWindow {
		win.buf = make([]byte, zipWindow)
	}
	n, err := w.f.ReadAt(win.buf[:zipWindow], off)
	win.buf, win.off, win.used = win.buf[:n], off, w.tick
	if n >= len(p) {
		return copy(p, win.buf), nil
	}
	copy(p, win.buf)
	if err == nil {
		err = io.ErrUnexpectedEOF
	}
	return n, err
}
