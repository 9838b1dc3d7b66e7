package source

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/vigilhq/vigil/internal/parse"
	"github.com/vigilhq/vigil/internal/store"
)

// FileOptions configure a file source.
type FileOptions struct {
	// Name is the source's name.
	Name string
	// Paths are files or globs ("/var/log/mail.log*"). Include the rotated
	// names so that lines written just before a rotation are never missed
	// while vigil is down; ".gz" files are read once.
	Paths []string
	// Parse configures the decoder (format, zone).
	Parse parse.Options
	// Poll is how often files are checked when idle. Default 250ms.
	Poll time.Duration
	// Batch is the most lines published at once. Default 4000.
	Batch int
	// Grace is how long a file that left the globs is still read before it
	// is let go (a daemon may write to its old log until it reopens). Default 5s.
	Grace time.Duration
	// Once reads every matched file to its last whole line and then stops
	// (Run returns nil) instead of tailing: a replay of logs that are
	// complete. The checkpoints are kept as when tailing.
	Once bool
}

// File tails files by glob, each with a checkpoint. A file's identity is its
// device and inode plus a hash of its first line; the first line's hash alone
// recognises the same content under another inode (a copytruncate copy, a
// compressed predecessor), which then continues the same checkpoint and IDs.
type File struct {
	opts    FileOptions
	env     Env
	em      *emitter
	cps     map[string]*fileCheckpoint // by checkpoint key
	tracked map[devIno]*tracked
	done    map[string]bool // gz files read to the end, by doneKey
	buf     []byte
	hbuf    [headBytes]byte // replaced's, apart from buf: buf may hold a read
	lines   []Line
}

var _ Source = (*File)(nil)

type devIno struct{ dev, ino uint64 }

// fileMeta is a checkpoint's Meta.
type fileMeta struct {
	Path string `json:"path"`
	Dev  uint64 `json:"dev"`
	Ino  uint64 `json:"ino"`
	Head string `json:"head"`
	// Line is the number of lines before Offset.
	Line int64 `json:"line"`
	// Done marks a .gz file read to its end.
	Done bool `json:"done,omitempty"`
	// Pending is the end of the batch being published when the checkpoint
	// was written (beyond Offset when that batch was not yet acknowledged):
	// after a crash that batch is read and published again exactly so, the
	// same messages with the same IDs, which the bus drops if it has them.
	Pending int64 `json:"pending,omitempty"`
}

type fileCheckpoint struct {
	key    string
	offset int64
	meta   fileMeta
	// dirty says offset moved since saved (when it was last written).
	dirty bool
	saved time.Time
}

type tracked struct {
	path   string
	f      *os.File
	id     devIno
	head   string // hash of the first line
	headN  int    // bytes hashed
	cp     *fileCheckpoint
	unseen time.Time // when the file stopped matching the globs; zero while it matches
	skip   bool      // inside an over-long line: drop bytes up to the next newline
}

// NewFile returns a file source.
func NewFile(env Env, opts FileOptions) (*File, error) {
	env.defaults()
	if opts.Name == "" || len(opts.Paths) == 0 {
		return nil, errors.New("file source: needs a name and paths")
	}
	for _, p := range opts.Paths {
		if _, err := filepath.Match(p, ""); err != nil {
			return nil, fmt.Errorf("file source %s: path %q: %w", opts.Name, p, err)
		}
	}
	if opts.Poll <= 0 {
		opts.Poll = 250 * time.Millisecond
	}
	if opts.Batch <= 0 {
		opts.Batch = 4000
	}
	if opts.Grace <= 0 {
		opts.Grace = 5 * time.Second
	}
	em, err := newEmitter(&env, opts.Name, opts.Parse)
	if err != nil {
		return nil, err
	}
	return &File{opts: opts, env: env, em: em, cps: map[string]*fileCheckpoint{}, tracked: map[devIno]*tracked{},
		done: map[string]bool{}, buf: make([]byte, 1<<20)}, nil
}

// Name implements Source.
func (s *File) Name() string { return s.opts.Name }

// Run implements Source.
func (s *File) Run(ctx context.Context) error {
	cps, err := s.env.Checkpoints.Checkpoints(ctx, s.opts.Name)
	if err != nil {
		return fmt.Errorf("file source %s: %w", s.opts.Name, err)
	}
	for _, c := range cps {
		fc := &fileCheckpoint{key: c.Key, offset: c.Offset}
		if err := json.Unmarshal(c.Meta, &fc.meta); err != nil {
			return fmt.Errorf("file source %s: checkpoint %s: %w", s.opts.Name, c.Key, err)
		}
		if fc.meta.Done {
			s.done[c.Key] = true
			continue
		}
		s.cps[c.Key] = fc
	}
	defer s.closeAll()
	for {
		busy, err := s.pass(ctx)
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return err
		}
		if busy {
			continue
		}
		if s.opts.Once {
			return nil // a pass read nothing: every file is read to its end
		}
		t := time.NewTimer(s.opts.Poll)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil
		case <-t.C:
		}
	}
}

func (s *File) closeAll() {
	for k, t := range s.tracked {
		_ = t.f.Close() // read-only
		delete(s.tracked, k)
	}
}

// pass looks for files and reads what is new; busy reports that it read
// something (so the next pass should come at once).
func (s *File) pass(ctx context.Context) (busy bool, err error) {
	paths := s.glob()
	seen := map[devIno]bool{}
	for _, p := range paths {
		fi, err := os.Stat(p)
		if err != nil || !fi.Mode().IsRegular() {
			continue
		}
		id := fileID(fi)
		seen[id] = true
		if strings.HasSuffix(p, ".gz") {
			if err := s.readGz(ctx, p, fi, id); err != nil {
				return false, err
			}
			continue
		}
		if t, ok := s.tracked[id]; ok {
			t.path = p
			continue
		}
		if err := s.track(p, id); err != nil {
			s.env.Logger.Warn("cannot open log file", "source", s.opts.Name, "path", p, "err", err)
		}
	}
	now := s.env.Now()
	for id, t := range s.tracked {
		n, err := s.readPlain(ctx, t)
		if err != nil {
			return false, err
		}
		busy = busy || n > 0
		switch {
		case seen[id]:
			t.unseen = time.Time{}
		case t.unseen.IsZero():
			t.unseen = now
		case n == 0 && now.Sub(t.unseen) > s.opts.Grace:
			_ = t.f.Close() // read-only
			delete(s.tracked, id)
		}
	}
	return busy, nil
}

func (s *File) glob() []string {
	set := map[string]bool{}
	for _, g := range s.opts.Paths {
		m, _ := filepath.Glob(g) // patterns were checked in NewFile
		for _, p := range m {
			set[p] = true
		}
	}
	out := make([]string, 0, len(set))
	for p := range set {
		out = append(out, p)
	}
	// Oldest first: mail.log.2.gz, mail.log.1, mail.log — by modification time.
	sort.Slice(out, func(i, j int) bool { return mtime(out[i]).Before(mtime(out[j])) })
	return out
}

func mtime(p string) time.Time {
	fi, err := os.Stat(p)
	if err != nil {
		return time.Time{}
	}
	return fi.ModTime()
}

func fileID(fi os.FileInfo) devIno {
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		return devIno{dev: uint64(st.Dev), ino: st.Ino} //nolint:unconvert // Dev is uint32 on some platforms
	}
	return devIno{}
}

// headBytes is how much of the first line identifies a file.
const headBytes = 1024

// headHash hashes the first line (up to headBytes) of b; ok is false until
// that much is there.
func headHash(b []byte) (hash string, n int, ok bool) {
	i := bytes.IndexByte(b, '\n')
	switch {
	case i >= 0 && i+1 <= headBytes:
		n = i + 1
	case len(b) >= headBytes:
		n = headBytes
	default:
		return "", 0, false
	}
	sum := sha256.Sum256(b[:n])
	return hex.EncodeToString(sum[:8]), n, true
}

// lookup finds the checkpoint for an input: its exact identity, else any
// checkpoint of the same content (a copy or a compressed predecessor), else
// a new one.
func (s *File) lookup(path string, id devIno, head string) *fileCheckpoint {
	key := fmt.Sprintf("%x-%x-%s", id.dev, id.ino, head)
	if c, ok := s.cps[key]; ok {
		return c
	}
	var best *fileCheckpoint
	for _, c := range s.cps {
		if c.meta.Head == head && (best == nil || c.offset > best.offset) {
			best = c
		}
	}
	if best != nil {
		return best
	}
	c := &fileCheckpoint{key: key, meta: fileMeta{Path: path, Dev: id.dev, Ino: id.ino, Head: head}}
	s.cps[key] = c
	return c
}

func (s *File) track(path string, id devIno) error {
	f, err := os.Open(path) //nolint:gosec // G304: reading the configured log files is this source's job
	if err != nil {
		return err
	}
	n, err := f.ReadAt(s.buf[:headBytes], 0)
	if err != nil && !errors.Is(err, io.EOF) {
		_ = f.Close() // read-only
		return err
	}
	head, hn, ok := headHash(s.buf[:n])
	if !ok {
		_ = f.Close() // not a whole first line yet: try again next pass
		return nil
	}
	t := &tracked{path: path, f: f, id: id, head: head, headN: hn, cp: s.lookup(path, id, head)}
	s.tracked[id] = t
	return nil
}

// replaced reports whether the tracked file was truncated or rewritten
// (copytruncate): smaller than the checkpoint, or another first line.
func (s *File) replaced(t *tracked) (bool, error) {
	fi, err := t.f.Stat()
	if err != nil {
		return false, err
	}
	if fi.Size() < t.cp.offset {
		return true, nil
	}
	n, err := t.f.ReadAt(s.hbuf[:t.headN], 0)
	if err != nil && !errors.Is(err, io.EOF) {
		return false, err
	}
	if n < t.headN {
		return true, nil
	}
	head, _, _ := headHash(s.hbuf[:n])
	return head != t.head, nil
}

// readPlain reads a tracked file from its checkpoint to its last whole line,
// publishing and checkpointing batch by batch; it returns the bytes consumed.
func (s *File) readPlain(ctx context.Context, t *tracked) (int64, error) {
	// Truncated under us: what was before the truncation is in its copy
	// (which the globs find by content); the new content is a new file.
	untrack := func() {
		_ = t.f.Close() // read-only
		delete(s.tracked, t.id)
	}
	if gone, err := s.replaced(t); err != nil || gone {
		untrack()
		return 0, nil
	}
	fi, err := t.f.Stat()
	if err != nil {
		return 0, err
	}
	s.em.dec.SetReference(fi.ModTime())
	var total int64
	for ctx.Err() == nil {
		n, err := t.f.ReadAt(s.buf, t.cp.offset)
		if err != nil && !errors.Is(err, io.EOF) {
			return total, fmt.Errorf("file source %s: %s: %w", s.opts.Name, t.path, err)
		}
		if n == 0 {
			return total, s.flush(ctx, t.cp)
		}
		// A copytruncate can empty and refill the file while it is read
		// (publishing a batch takes a while): bytes read at the checkpoint's
		// offset are the old file's only if its first line is still there
		// now. Read from the new file, they would take the IDs of the old
		// file's lines at that offset, which its copy carries on: the bus
		// would drop those as duplicates, and the new lines would come
		// again under the new file's IDs.
		if gone, err := s.replaced(t); err != nil || gone {
			untrack()
			return total, s.flush(ctx, t.cp)
		}
		used, err := s.consume(ctx, t.cp, t.path, s.buf[:n], &t.skip, n == len(s.buf))
		if err != nil {
			return total, err
		}
		if used == 0 {
			return total, s.flush(ctx, t.cp)
		}
		total += used
	}
	return total, nil
}

// consume splits b (read at cp.offset) into lines, publishes them in batches
// and advances cp after each acknowledged batch. Only whole lines are
// consumed unless full says b filled the buffer without a newline (an
// over-long line, dropped and counted).
func (s *File) consume(ctx context.Context, cp *fileCheckpoint, path string, b []byte, skip *bool, full bool) (int64, error) {
	var used int64
	for len(b) > 0 {
		s.lines = s.lines[:0]
		start, line := cp.offset, cp.meta.Line
		var n int64
		// The batch in flight at a crash is cut where it was cut then.
		limit := int64(-1)
		if cp.meta.Pending > start {
			limit = cp.meta.Pending - start
		}
		for len(b) > 0 && len(s.lines) < s.opts.Batch && (limit < 0 || n < limit) {
			i := bytes.IndexByte(b, '\n')
			if i < 0 {
				if full && n == 0 && used == 0 {
					// No newline in a whole buffer: part of an over-long line.
					*skip = true
					n += int64(len(b))
					b = b[:0]
				}
				break
			}
			text := b[:i]
			n += int64(i + 1)
			b = b[i+1:]
			if *skip {
				*skip = false
				line++
				s.em.count("unknown", "too_long")
				continue
			}
			line++
			s.lines = append(s.lines, Line{ID: lineID(s.opts.Name, cp.key, start+n-int64(i+1)), Text: text, LogName: path, LogLine: line})
		}
		if n == 0 {
			return used, nil
		}
		// Write ahead: where this batch ends is saved before it is
		// published (with the end of the one before: one write a batch).
		// Messages are cut from the lines alone (emitter.emit), so the
		// same batch after a crash is the same messages and IDs.
		cp.meta.Pending = start + n
		if err := s.save(ctx, cp); err != nil {
			return used, err
		}
		if err := s.em.emit(ctx, s.lines); err != nil {
			return used, err
		}
		cp.offset, cp.meta.Line = start+n, line
		cp.dirty = true
		used += n
	}
	return used, nil
}

// flush saves cp if it moved since its last save.
func (s *File) flush(ctx context.Context, cp *fileCheckpoint) error {
	if !cp.dirty {
		return nil
	}
	return s.save(ctx, cp)
}

func lineID(source, key string, off int64) string {
	return source + ":" + key + ":" + strconv.FormatInt(off, 10)
}

func (s *File) save(ctx context.Context, cp *fileCheckpoint) error {
	cp.dirty, cp.saved = false, s.env.Now()
	meta, err := json.Marshal(cp.meta)
	if err != nil {
		return err
	}
	err = s.env.Checkpoints.SaveCheckpoint(ctx, store.Checkpoint{Source: s.opts.Name, Key: cp.key, Offset: cp.offset, Meta: meta, Updated: s.env.Now()})
	if err != nil {
		return fmt.Errorf("file source %s: %w", s.opts.Name, err)
	}
	return nil
}

// readGz reads a compressed predecessor once: from the checkpoint of the
// same content when one exists (the plain file it was compressed from),
// else from its start. Afterwards it is remembered as done.
func (s *File) readGz(ctx context.Context, path string, fi os.FileInfo, id devIno) error {
	doneKey := fmt.Sprintf("gz-%x-%x-%d", id.dev, id.ino, fi.Size())
	if s.done[doneKey] {
		return nil
	}
	f, err := os.Open(path) //nolint:gosec // G304: reading the configured log files is this source's job
	if err != nil {
		s.env.Logger.Warn("cannot open log file", "source", s.opts.Name, "path", path, "err", err)
		return nil
	}
	defer func() { _ = f.Close() }() // read-only
	zr, err := gzip.NewReader(f)
	if err != nil {
		s.env.Logger.Warn("not a gzip file; skipped", "source", s.opts.Name, "path", path, "err", err)
		return s.markDone(ctx, doneKey, path, id)
	}
	s.em.dec.SetReference(fi.ModTime())
	var pending []byte
	var cp *fileCheckpoint
	skip := false
	var skipped int64
	for ctx.Err() == nil {
		n, rerr := zr.Read(s.buf[:cap(s.buf)/2])
		pending = append(pending, s.buf[:n]...)
		if cp == nil {
			head, _, ok := headHash(pending)
			if !ok && rerr == nil {
				continue
			}
			if !ok {
				return s.markDone(ctx, doneKey, path, id) // empty or a lone partial line
			}
			cp = s.lookup(path, id, head)
		}
		// Skip what the checkpoint says was read already.
		if skipped < cp.offset {
			k := min(int64(len(pending)), cp.offset-skipped)
			pending, skipped = pending[k:], skipped+k
		}
		if skipped >= cp.offset {
			last := bytes.LastIndexByte(pending, '\n')
			if last >= 0 {
				used, err := s.consume(ctx, cp, path, pending[:last+1], &skip, false)
				if err != nil {
					return err
				}
				pending = pending[used:]
				skipped += used
			}
		}
		if errors.Is(rerr, io.EOF) {
			break
		}
		if rerr != nil {
			s.env.Logger.Warn("gzip file damaged; read up to the damage", "source", s.opts.Name, "path", path, "err", rerr)
			break
		}
	}
	if ctx.Err() != nil {
		return ctx.Err()
	}
	if cp != nil {
		if err := s.flush(ctx, cp); err != nil {
			return err
		}
	}
	return s.markDone(ctx, doneKey, path, id)
}

func (s *File) markDone(ctx context.Context, key, path string, id devIno) error {
	s.done[key] = true
	meta, err := json.Marshal(fileMeta{Path: path, Dev: id.dev, Ino: id.ino, Done: true})
	if err != nil {
		return err
	}
	return s.env.Checkpoints.SaveCheckpoint(ctx, store.Checkpoint{Source: s.opts.Name, Key: key, Meta: meta, Updated: s.env.Now()})
}
