// Package analyze runs detection over log files in batch, on event time, as
// fast as the disk allows: it reads (gzipped) files with internal/parse,
// feeds every event to a detect.Engine, and groups the alerts into incidents.
// It answers "when did this begin?" for a breach found late.
//
// The package must not deliver alerts (the caller does) or write anything but
// baselines, through the engine's store.
package analyze

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sort"
	"time"

	"github.com/vigilhq/vigil/internal/alert"
	"github.com/vigilhq/vigil/internal/detect"
	"github.com/vigilhq/vigil/internal/event"
	"github.com/vigilhq/vigil/internal/parse"
)

// Options configure a run.
type Options struct {
	Logger   *slog.Logger
	Format   string
	Location *time.Location
	Engine   *detect.Engine
	// OnAlert, if set, sees each alert as it is raised (after grouping).
	OnAlert func(*alert.Alert)
	// Progress, if set, is called every ProgressEvery lines with the file
	// and the lines read so far in it.
	Progress      func(name string, lines int64)
	ProgressEvery int64
}

// Result is what a run found.
type Result struct {
	Alerts    []*alert.Alert
	Incidents []*alert.Incident
	Lines     int64
	Events    int64
	Unparsed  int64
	// UnparsedSamples are the first few lines not understood, as
	// "file:line: reason" (never the line's text).
	UnparsedSamples []string
	// Failed lists the files that could not be read, with why.
	Failed []error
}

// Runner feeds inputs to one engine.
type Runner struct {
	opts Options
	dec  *parse.Decoder
	grp  alert.Grouper
	res  Result
}

// New returns a runner.
func New(opts Options) (*Runner, error) {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.ProgressEvery <= 0 {
		opts.ProgressEvery = 500_000
	}
	if opts.Engine == nil {
		return nil, errors.New("analyze: no engine")
	}
	if opts.Location == nil {
		opts.Location = time.UTC
	}
	dec, err := parse.NewDecoder(parse.Options{Format: opts.Format, Location: opts.Location})
	if err != nil {
		return nil, err
	}
	return &Runner{opts: opts, dec: dec}, nil
}

func (r *Runner) emit(a *alert.Alert) {
	r.grp.Add(a)
	r.res.Alerts = append(r.res.Alerts, a)
	if r.opts.OnAlert != nil {
		r.opts.OnAlert(a)
	}
}

// File analyzes one file (plain or gzip). A file that cannot be opened is
// recorded in Result.Failed and returned; the run can go on.
func (r *Runner) File(path string) error {
	rc, mtime, err := parse.Open(path)
	if err != nil {
		err = fmt.Errorf("%s: %w", path, err)
		r.res.Failed = append(r.res.Failed, err)
		return err
	}
	defer func() { _ = rc.Close() }() // read-only
	r.dec.SetReference(mtime)
	return r.Reader(path, rc)
}

// FirstTime returns the time of the first line of path that yields an
// event (looking at most at the first 1,000 lines), for putting rotated
// files in order; ok is false when none does.
func FirstTime(path string, format string, loc *time.Location) (time.Time, bool) {
	rc, mtime, err := parse.Open(path)
	if err != nil {
		return time.Time{}, false
	}
	defer func() { _ = rc.Close() }() // read-only
	if loc == nil {
		loc = time.UTC
	}
	dec, err := parse.NewDecoder(parse.Options{Format: format, Location: loc, Reference: mtime})
	if err != nil {
		return time.Time{}, false
	}
	lr := parse.NewLineReader(rc)
	var ev event.Event
	for i := 0; i < 1000; i++ {
		line, _, err := lr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			continue
		}
		if _, err := dec.Decode(string(line), &ev); err == nil && !ev.Time.IsZero() {
			return ev.Time, true
		}
	}
	return time.Time{}, false
}

// SortByTime orders paths by the time of their first event, oldest first
// (mail.log.2.gz, mail.log.1, mail.log), keeping the given order for files
// without one. Detection runs on event time, so the order matters.
func SortByTime(paths []string, format string, loc *time.Location) []string {
	type keyed struct {
		path string
		t    time.Time
		ok   bool
		i    int
	}
	ks := make([]keyed, len(paths))
	for i, p := range paths {
		t, ok := FirstTime(p, format, loc)
		ks[i] = keyed{p, t, ok, i}
	}
	sort.SliceStable(ks, func(a, b int) bool {
		if ks[a].ok && ks[b].ok {
			return ks[a].t.Before(ks[b].t)
		}
		return ks[a].i < ks[b].i
	})
	out := make([]string, len(ks))
	for i, k := range ks {
		out[i] = k.path
	}
	return out
}

// Reader analyzes lines from rd, named name in evidence.
func (r *Runner) Reader(name string, rd io.Reader) error {
	s := &source{name: name, lr: parse.NewLineReader(rd), dec: r.dec}
	for {
		if err := r.advance(s); err != nil || s.done {
			return err
		}
		if err := r.process(s); err != nil {
			return err
		}
	}
}

// Finish ends open sessions, saves baselines and returns the result.
func (r *Runner) Finish() (*Result, error) {
	err := r.opts.Engine.Flush(r.emit)
	r.res.Incidents = r.grp.Incidents()
	return &r.res, err
}
