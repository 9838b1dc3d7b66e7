package demo

import (
	"context"
	"fmt"
	"slices"
	"testing"
)

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
	batch, err := Batch{Rules: rules}.Detect(ctx, c)
	if err != nil {
		t.Fatal(err)
	}
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
