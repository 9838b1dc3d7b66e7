package analyze

import (
	"errors"
	"fmt"
	"io"

	"github.com/vigilhq/vigil/internal/event"
	"github.com/vigilhq/vigil/internal/parse"
)

// source is one input (a file of a merge, or Reader's), with its next event
// decoded.
type source struct {
	name string
	rc   io.Closer
	lr   *parse.LineReader
	dec  *parse.Decoder
	ev   event.Event
	num  int64
	done bool
}

// Merge analyzes several files written at the same time by different
// programs (mail.log and Roundcube's userlogins, say) as one stream in event
// time, the way `sort -m` merges sorted files: each file must be in time
// order itself. Evidence names each event's own file and line. A file that
// cannot be opened is recorded in Result.Failed and the others are merged.
func (r *Runner) Merge(paths []string) error {
	var srcs []*source
	defer func() {
		for _, s := range srcs {
			_ = s.rc.Close() // read-only
		}
	}()
	var first error
	for _, p := range paths {
		rc, mtime, err := parse.Open(p)
		if err != nil {
			err = fmt.Errorf("%s: %w", p, err)
			r.res.Failed = append(r.res.Failed, err)
			first = cmpErr(first, err)
			continue
		}
		dec, err := parse.NewDecoder(parse.Options{Format: r.opts.Format, Location: r.opts.Location, Reference: mtime})
		if err != nil {
			_ = rc.Close() // read-only
			return err
		}
		s := &source{name: p, rc: rc, lr: parse.NewLineReader(rc), dec: dec}
		srcs = append(srcs, s)
		if err := r.advance(s); err != nil {
			return err
		}
	}
	for {
		var next *source
		for _, s := range srcs {
			if !s.done && (next == nil || s.ev.Time.Before(next.ev.Time)) {
				next = s
			}
		}
		if next == nil {
			return first
		}
		if err := r.process(next); err != nil {
			return err
		}
		if err := r.advance(next); err != nil {
			return err
		}
	}
}

func cmpErr(first, err error) error {
	if first != nil {
		return first
	}
	return err
}

// advance decodes s's next event, counting the lines it skips; s.done is
// set at the end of the file.
func (r *Runner) advance(s *source) error {
	for {
		line, num, err := s.lr.Next()
		if errors.Is(err, io.EOF) {
			s.done = true
			return nil
		}
		r.res.Lines++
		if r.opts.Progress != nil && num%r.opts.ProgressEvery == 0 {
			r.opts.Progress(s.name, num)
		}
		var le *parse.LineError
		if err != nil {
			if errors.As(err, &le) {
				r.unparsed(s.name, num, err)
				continue
			}
			err = fmt.Errorf("%s: %w", s.name, err)
			r.res.Failed = append(r.res.Failed, err)
			return err
		}
		if _, err := s.dec.Decode(string(line), &s.ev); err != nil {
			if !errors.Is(err, parse.ErrIgnored) {
				r.unparsed(s.name, num, err)
			}
			continue
		}
		s.num = num
		return nil
	}
}

// process runs s's decoded event through the engine, naming its file and line.
func (r *Runner) process(s *source) error {
	s.ev.LogName, s.ev.LogLine = s.name, s.num
	r.res.Events++
	return r.opts.Engine.Process(&s.ev, r.emit)
}

func (r *Runner) unparsed(name string, num int64, err error) {
	r.res.Unparsed++
	if len(r.res.UnparsedSamples) < 5 {
		r.res.UnparsedSamples = append(r.res.UnparsedSamples, fmt.Sprintf("%s:%d: %v", name, num, err))
	}
}
