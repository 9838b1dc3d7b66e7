package analyze

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vigilhq/vigil/internal/alert"
	"github.com/vigilhq/vigil/internal/detect"
	"github.com/vigilhq/vigil/internal/sim"
)

// TestMerge: a simulated clinic's lines split into the files a server keeps
// (Dovecot's, Postfix's, Roundcube's) and merged back on event time raise
// the same alerts as the single stream, with evidence naming the file.
func TestMerge(t *testing.T) {
	out := sim.Generate(sim.Options{Seed: 5, Staff: 20, Days: 30, AttackDay: 22, Scenarios: []sim.Scenario{sim.SprayGuessDownload}})
	whole := run(t, out, nil)
	var dovecot, postfix, roundcube []string
	for _, l := range out.Lines {
		switch {
		case strings.HasPrefix(l, "["):
			roundcube = append(roundcube, l)
		case strings.Contains(l, " postfix/"):
			postfix = append(postfix, l)
		default:
			dovecot = append(dovecot, l)
		}
	}
	if len(postfix) == 0 || len(roundcube) == 0 {
		t.Fatal("the simulation wrote no Postfix or Roundcube lines")
	}
	dir := t.TempDir()
	var paths []string
	for name, ls := range map[string][]string{"dovecot.log": dovecot, "mail.log": postfix, "userlogins": roundcube} {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(strings.Join(ls, "\n")+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		paths = append(paths, p)
	}
	paths = append(paths, filepath.Join(dir, "missing.log"))
	eng, err := detect.New(detect.Options{})
	if err != nil {
		t.Fatal(err)
	}
	r, err := New(Options{Engine: eng})
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Merge(paths); err == nil || !strings.Contains(err.Error(), "missing.log") {
		t.Errorf("a missing file: %v", err)
	}
	merged, err := r.Finish()
	if err != nil {
		t.Fatal(err)
	}
	if merged.Events != whole.Events || merged.Unparsed != 0 || len(merged.Failed) != 1 {
		t.Fatalf("merged: %d events, %d unparsed, %d failed; whole: %d events", merged.Events, merged.Unparsed, len(merged.Failed), whole.Events)
	}
	rules := func(res *Result) map[string]int {
		m := map[string]int{}
		for _, a := range res.Alerts {
			m[a.Rule+" "+a.User+" "+a.SrcIP]++
		}
		return m
	}
	w, m := rules(whole), rules(merged)
	if len(w) == 0 || len(w) != len(m) {
		t.Fatalf("alerts differ: whole %v, merged %v", w, m)
	}
	for k, n := range w {
		if m[k] != n {
			t.Errorf("%s: %d alerts in the stream, %d merged", k, n, m[k])
		}
	}
	named := false
	for _, a := range merged.Alerts {
		for _, e := range a.Evidence.Events {
			named = named || strings.HasPrefix(e, filepath.Join(dir, "dovecot.log")+":")
		}
	}
	if !named {
		t.Error("no alert's evidence names its file and line")
	}
}

// TestLearnUntil: with the first two weeks as the learning period nothing is
// raised before its end, the attack after it still is, and the learned
// weeks spare the clinic the first days' "new network" alerts.
func TestLearnUntil(t *testing.T) {
	out := sim.Generate(sim.Options{Seed: 6, Staff: 20, Days: 30, AttackDay: 22, Scenarios: []sim.Scenario{sim.SprayGuessDownload}})
	until := out.Start.AddDate(0, 0, 14)
	learned := runWith(t, out, detect.Options{LearnUntil: until})
	all := run(t, out, nil)
	early := 0
	for _, a := range all.Alerts {
		if a.Time.Before(until) {
			early++
		}
	}
	if early == 0 {
		t.Fatal("no alert in the first two weeks without a learning period: the test shows nothing")
	}
	caught := false
	for _, a := range learned.Alerts {
		if a.Time.Before(until) {
			t.Errorf("alert during the learning period: %s %s %s", a.Time, a.Rule, a.User)
		}
		caught = caught || a.User == out.Truth[0].Account && a.SrcIP == out.Truth[0].Source.String() && a.Severity >= alert.High
	}
	if !caught {
		t.Error("the attack after the learning period raised no high alert")
	}
}
