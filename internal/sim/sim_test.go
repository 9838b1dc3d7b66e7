package sim

import (
	"slices"
	"testing"
	"time"

	"github.com/vigilhq/vigil/internal/event"
	"github.com/vigilhq/vigil/internal/parse"
)

// Every line the generator writes must be one the real parsers read, with the
// account, address and counts it was meant to carry.
func TestEveryLineParses(t *testing.T) {
	out := Generate(Options{Seed: 7, Staff: 25, Days: 45, Scenarios: AllScenarios})
	dec, err := parse.NewDecoder(parse.Options{Location: time.UTC, Reference: out.Start.AddDate(0, 0, out.Days)})
	if err != nil {
		t.Fatal(err)
	}
	var ev event.Event
	classes := map[event.Class]int{}
	var opened, webmail, postfix int
	var last time.Time
	for i, line := range out.Lines {
		_, err := dec.Decode(line, &ev)
		if err != nil {
			t.Fatalf("line %d does not parse (%v): %s", i+1, err, line)
		}
		if ev.Time.Before(last.Truncate(time.Second)) {
			t.Fatalf("line %d goes back in time: %s", i+1, line)
		}
		last = ev.Time
		classes[ev.Class]++
		if ev.Class == event.ClassDatastore {
			opened++
			if ev.UID == 0 || !ev.HasMailAge || ev.Session == "" {
				t.Fatalf("mail_opened without uid/age/session: %s", line)
			}
		}
		if ev.Service == "webmail" {
			webmail++
		}
		if ev.Product == "postfix" {
			postfix++
		}
		if ev.User == "" && ev.Class == event.ClassAuthentication {
			t.Fatalf("login without a user: %s", line)
		}
	}
	for _, c := range []event.Class{event.ClassAuthentication, event.ClassAPI, event.ClassDatastore, event.ClassEmail} {
		if classes[c] == 0 {
			t.Errorf("no %s events", c.Name())
		}
	}
	if opened < 1000 || webmail == 0 || postfix == 0 {
		t.Errorf("opened=%d webmail=%d postfix=%d", opened, webmail, postfix)
	}
	if len(out.Truth) != len(AllScenarios) {
		t.Fatalf("truth has %d scenarios, want %d", len(out.Truth), len(AllScenarios))
	}
	for _, tr := range out.Truth {
		if tr.Scenario != BruteForce && (tr.ReadStart.IsZero() || !tr.ReadEnd.After(tr.ReadStart)) {
			t.Errorf("%s: no reading session in the truth: %+v", tr.Scenario, tr)
		}
		if !slices.Contains(out.Accounts, tr.Account) {
			t.Errorf("%s: victim %q is not staff", tr.Scenario, tr.Account)
		}
	}
}

func TestDeterministic(t *testing.T) {
	a := Generate(Options{Seed: 3, Staff: 20, Days: 5, Scenarios: []Scenario{BruteForce}})
	b := Generate(Options{Seed: 3, Staff: 20, Days: 5, Scenarios: []Scenario{BruteForce}})
	c := Generate(Options{Seed: 4, Staff: 20, Days: 5, Scenarios: []Scenario{BruteForce}})
	if !slices.Equal(a.Lines, b.Lines) {
		t.Fatal("same seed, different lines")
	}
	if slices.Equal(a.Lines, c.Lines) {
		t.Fatal("different seeds, same lines")
	}
}

func TestUIDSet(t *testing.T) {
	if got := uidSet([]int{1, 2, 3, 5, 7, 8}); got != "1:3,5,7:8" {
		t.Fatal(got)
	}
}
