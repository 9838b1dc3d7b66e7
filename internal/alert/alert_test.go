package alert

import (
	"encoding/json"
	"errors"
	"testing"
	"time"
)

func TestSeverityJSON(t *testing.T) {
	for _, s := range []Severity{Low, Medium, High, Critical} {
		raw, err := json.Marshal(s)
		if err != nil {
			t.Fatal(err)
		}
		var back Severity
		if err := json.Unmarshal(raw, &back); err != nil || back != s {
			t.Fatalf("%s: %s → %v %v", s, raw, back, err)
		}
	}
	var s Severity
	if err := json.Unmarshal([]byte(`"severe"`), &s); !errors.Is(err, ErrSeverity) {
		t.Fatalf("unknown severity accepted: %v", err)
	}
	if v, err := ParseSeverity("informational"); err != nil || v != Low {
		t.Fatal("Sigma's informational is low")
	}
}

func TestIDIsDeterministic(t *testing.T) {
	t0 := time.Date(2026, 6, 1, 3, 0, 0, 0, time.UTC)
	a := Alert{Rule: "r", User: "u", SrcIP: "127.0.0.2", Time: t0, FirstSeen: t0}
	b := a
	a.SetID()
	b.SetID()
	c := a
	c.User = "v"
	c.SetID()
	if a.ID == "" || a.ID != b.ID || a.ID == c.ID {
		t.Fatalf("ids: %s %s %s", a.ID, b.ID, c.ID)
	}
}

// Alerts about one account and source within a day form one incident; a
// different source, or a quiet day, opens another.
func TestGrouper(t *testing.T) {
	t0 := time.Date(2026, 6, 1, 3, 0, 0, 0, time.UTC)
	var g Grouper
	mk := func(rule, user, src string, at time.Duration, sev Severity) *Alert {
		a := &Alert{Rule: rule, User: user, SrcIP: src, Time: t0.Add(at), FirstSeen: t0.Add(at), LastSeen: t0.Add(at), Severity: sev}
		a.SetID()
		g.Add(a)
		return a
	}
	a1 := mk("login-after-failures", "dr.x", "127.67.4.20", 0, High)
	a2 := mk("mass-read-session", "dr.x", "127.67.4.20", 10*time.Minute, Critical)
	a3 := mk("new-country", "dr.x", "127.66.1.1", 20*time.Minute, High)
	a4 := mk("mass-read-session", "dr.x", "127.67.4.20", 50*time.Hour, Medium)
	if a1.Incident != a2.Incident || a1.Incident == a3.Incident || a4.Incident == a1.Incident {
		t.Fatalf("incidents: %s %s %s %s", a1.Incident, a2.Incident, a3.Incident, a4.Incident)
	}
	inc := g.Incidents()
	if len(inc) != 3 || inc[0].Severity != Critical || len(inc[0].Rules) != 2 || len(inc[0].Alerts) != 2 || !inc[0].LastSeen.Equal(t0.Add(10*time.Minute)) {
		t.Fatalf("%+v", inc[0])
	}
}
