package demo

import (
	"context"
	"fmt"
	"slices"
	"testing"

	"github.com/vigilhq/vigil/internal/analyze"
	"github.com/vigilhq/vigil/internal/detect"
)

// batchDetect is the batch path of 'vigil analyze', for the cross-check: the
// log files merged in event time, parsed, fed to one detection engine with
// in-memory baselines. The logs' first two weeks only teach the baselines.
func batchDetect(t *testing.T, c *Clinic, rules []detect.EventRule) *Detection {
	t.Helper()
	g, err := detect.OpenMMDB(c.GeoIP[0], c.GeoIP[1])
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = g.Close() }() // read-only
	eng, err := detect.New(detect.Options{Geo: g, Rules: rules, LearnUntil: c.LearnUntil()})
	if err != nil {
		t.Fatal(err)
	}
	r, err := analyze.New(analyze.Options{Engine: eng})
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Merge(c.Logs); err != nil {
		t.Fatal(err)
	}
	res, err := r.Finish()
	if err != nil {
		t.Fatal(err)
	}
	if res.Unparsed > 0 {
		t.Fatalf("%d generated log lines not understood (first: %v)", res.Unparsed, res.UnparsedSamples)
	}
	return &Detection{Lines: res.Lines, Events: res.Events, Alerts: res.Alerts, Incidents: res.Incidents}
}

// TestServeMatchesBatch: the serve replay (file source ─► embedded JetStream
// ─► SQLite and the detection consumer) raises exactly the alerts of the
// batch path on the same clinic (same rules, learning period, end grace),
// and every line reaches the store and detection.
func TestServeMatchesBatch(t *testing.T) {
	if testing.Short() {
		t.Skip("a clinic and two detection runs")
	}
	ctx := context.Background()
	c, err := Build(Options{Dir: t.TempDir(), Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	rules, err := sigmaRules()
	if err != nil {
		t.Fatal(err)
	}
	batch := batchDetect(t, c, rules)
	srv, err := Serve{}.Detect(ctx, c)
	if err != nil {
		t.Fatal(err)
	}
	if srv.Lines != int64(c.LogLines) || srv.Stored != srv.Events || srv.Events != batch.Events {
		t.Errorf("serve read %d lines (of %d), stored %d events, detected %d; batch %d events", srv.Lines, c.LogLines, srv.Stored, srv.Events, batch.Events)
	}
	key := func(d *Detection) []string {
		var out []string
		for _, a := range d.Alerts {
			out = append(out, fmt.Sprintf("%s %s %s %s %s", a.Time.UTC().Format("2006-01-02T15:04:05.000000"), a.Rule, a.User, a.SrcIP, a.Severity))
		}
		slices.Sort(out)
		return out
	}
	b, s := key(batch), key(srv)
	for _, a := range b {
		if !slices.Contains(s, a) {
			t.Errorf("batch only: %s", a)
		}
	}
	for _, a := range s {
		if !slices.Contains(b, a) {
			t.Errorf("serve only: %s", a)
		}
	}
	if len(batch.Incidents) != len(srv.Incidents) {
		t.Errorf("%d incidents on the batch path, %d stored by serve", len(batch.Incidents), len(srv.Incidents))
	}
}
