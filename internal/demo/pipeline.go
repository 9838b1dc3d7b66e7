package demo

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/vigilhq/vigil/internal/analyze"
	"github.com/vigilhq/vigil/internal/detect"
)

// Pipeline runs detection over the clinic's logs on their own time and
// returns what it raised. It is the seam where 'vigil serve”s machinery
// (sources ─► embedded JetStream ─► detect ─► SQLite) plugs in once it is
// built; until then Batch does the work.
type Pipeline interface {
	// Describe says in plain words what ran, for the story: never claim a
	// machinery that did not run.
	Describe() string
	Detect(ctx context.Context, logs []string, geoip [2]string) (*analyze.Result, error)
}

var _ Pipeline = Batch{}

// Batch is the batch path of 'vigil analyze': the log files merged in event
// time, parsed, fed to one detection engine with in-memory baselines. The
// logs' first LearnDays days (default 14) only teach the baselines, as
// 'vigil learn' does on a new install's old logs.
type Batch struct {
	Rules     []detect.EventRule
	Logger    *slog.Logger
	LearnDays int
}

// Describe implements Pipeline.
func (Batch) Describe() string {
	return "the batch detection path ('vigil analyze': the logs merged and replayed on their own time through the parsers and the detection engine; their first two weeks only taught it the clinic's normal, as 'vigil learn' does on a new install), not through 'vigil serve' (its embedded JetStream and SQLite are built, but the demo is not wired to them yet)"
}

// Detect implements Pipeline.
func (b Batch) Detect(ctx context.Context, logs []string, geoip [2]string) (*analyze.Result, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	g, err := detect.OpenMMDB(geoip[0], geoip[1])
	if err != nil {
		return nil, fmt.Errorf("demo: %w", err)
	}
	defer func() { _ = g.Close() }() // read-only
	if b.LearnDays == 0 {
		b.LearnDays = 14
	}
	var first time.Time
	for _, p := range logs {
		if t, ok := analyze.FirstTime(p, "", time.UTC); ok && (first.IsZero() || t.Before(first)) {
			first = t
		}
	}
	eng, err := detect.New(detect.Options{Logger: b.Logger, Geo: g, Rules: b.Rules, LearnUntil: first.AddDate(0, 0, b.LearnDays)})
	if err != nil {
		return nil, err
	}
	r, err := analyze.New(analyze.Options{Engine: eng, Logger: b.Logger})
	if err != nil {
		return nil, err
	}
	if err := r.Merge(logs); err != nil {
		return nil, err
	}
	res, err := r.Finish()
	if err != nil {
		return nil, err
	}
	if res.Unparsed > 0 {
		return nil, fmt.Errorf("demo: %d generated log lines not understood (first: %v)", res.Unparsed, res.UnparsedSamples)
	}
	return res, nil
}
