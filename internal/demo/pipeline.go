package demo

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/vigilhq/vigil/internal/alert"
	"github.com/vigilhq/vigil/internal/analyze"
	"github.com/vigilhq/vigil/internal/detect"
)

// Pipeline runs detection over the clinic's logs on their own time and
// returns what it raised. Serve is 'vigil serve”s machinery (the demo's);
// Batch is 'vigil analyze”s, kept to check one against the other.
type Pipeline interface {
	// Describe says in plain words what ran, for the story: never claim a
	// machinery that did not run.
	Describe() string
	Detect(ctx context.Context, c *Clinic) (*Detection, error)
}

// Detection is what a Pipeline found.
type Detection struct {
	Lines  int64 // log lines read
	Events int64 // events run through detection
	// Stored is how many events the store holds (Serve only).
	Stored    int64
	Alerts    []*alert.Alert
	Incidents []*alert.Incident
	// Config and Database are the serve configuration the run used and its
	// SQLite store (Serve only).
	Config, Database string
}

var _ Pipeline = Batch{}

// learnDays is how many days at the logs' start only teach the baselines,
// as 'vigil learn' does on a new install's old logs.
const learnDays = 14

// Batch is the batch path of 'vigil analyze': the log files merged in event
// time, parsed, fed to one detection engine with in-memory baselines. The
// logs' first two weeks only teach the baselines.
type Batch struct {
	Rules  []detect.EventRule
	Logger *slog.Logger
}

// Describe implements Pipeline.
func (Batch) Describe() string {
	return "the batch detection path ('vigil analyze': the logs merged and replayed on their own time through the parsers and the detection engine; their first two weeks only taught it the clinic's normal, as 'vigil learn' does on a new install)"
}

// Detect implements Pipeline.
func (b Batch) Detect(ctx context.Context, c *Clinic) (*Detection, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	g, err := detect.OpenMMDB(c.GeoIP[0], c.GeoIP[1])
	if err != nil {
		return nil, fmt.Errorf("demo: %w", err)
	}
	defer func() { _ = g.Close() }() // read-only
	eng, err := detect.New(detect.Options{Logger: b.Logger, Geo: g, Rules: b.Rules, LearnUntil: c.LearnUntil()})
	if err != nil {
		return nil, err
	}
	r, err := analyze.New(analyze.Options{Engine: eng, Logger: b.Logger})
	if err != nil {
		return nil, err
	}
	if err := r.Merge(c.Logs); err != nil {
		return nil, err
	}
	res, err := r.Finish()
	if err != nil {
		return nil, err
	}
	if res.Unparsed > 0 {
		return nil, fmt.Errorf("demo: %d generated log lines not understood (first: %v)", res.Unparsed, res.UnparsedSamples)
	}
	return &Detection{Lines: res.Lines, Events: res.Events, Alerts: res.Alerts, Incidents: res.Incidents}, nil
}

// LearnUntil is the end of the logs' learning period: midnight after their
// first learnDays days.
func (c *Clinic) LearnUntil() time.Time { return c.Start.AddDate(0, 0, learnDays) }
