package alert

import (
	"time"
)

// Incident is a group of alerts about one account and one source.
type Incident struct {
	ID        string    `json:"id"`
	User      string    `json:"user,omitempty"`
	SrcIP     string    `json:"src_ip,omitempty"`
	Severity  Severity  `json:"severity"`
	FirstSeen time.Time `json:"first_seen"`
	LastSeen  time.Time `json:"last_seen"`
	Rules     []string  `json:"rules"`
	Alerts    []string  `json:"alerts"`
	// Timeline is what was done about the incident (containment actions),
	// in order.
	Timeline []Entry `json:"timeline,omitempty"`
}

// Entry is one step in an incident's timeline.
type Entry struct {
	Time time.Time `json:"time"`
	// Kind names the step ("kick", "block-file", "nft"); Alert the alert
	// that caused it.
	Kind   string `json:"kind"`
	Alert  string `json:"alert,omitempty"`
	Detail string `json:"detail"`
	DryRun bool   `json:"dry_run,omitempty"`
	Err    string `json:"error,omitempty"`
}

// Record appends e to the incident's timeline.
func (inc *Incident) Record(e Entry) { inc.Timeline = append(inc.Timeline, e) }

// Grouper assigns alerts to incidents: alerts with the same account and
// source whose times lie within Window of the incident's last alert join it.
type Grouper struct {
	// Window defaults to 24 hours.
	Window time.Duration
	open   map[[2]string]*Incident
	all    []*Incident
}

// Add sets a.Incident, opening an incident when none fits, and returns it.
func (g *Grouper) Add(a *Alert) *Incident {
	if g.Window <= 0 {
		g.Window = 24 * time.Hour
	}
	if g.open == nil {
		g.open = map[[2]string]*Incident{}
	}
	key := [2]string{a.User, a.SrcIP}
	inc := g.open[key]
	if inc == nil || a.Time.Sub(inc.LastSeen) > g.Window {
		inc = &Incident{ID: "inc-" + a.ID, User: a.User, SrcIP: a.SrcIP, FirstSeen: a.FirstSeen}
		g.open[key] = inc
		g.all = append(g.all, inc)
	}
	if a.Severity > inc.Severity {
		inc.Severity = a.Severity
	}
	if a.FirstSeen.Before(inc.FirstSeen) {
		inc.FirstSeen = a.FirstSeen
	}
	if a.LastSeen.After(inc.LastSeen) {
		inc.LastSeen = a.LastSeen
	}
	if a.Time.After(inc.LastSeen) {
		inc.LastSeen = a.Time
	}
	found := false
	for _, r := range inc.Rules {
		found = found || r == a.Rule
	}
	if !found {
		inc.Rules = append(inc.Rules, a.Rule)
	}
	inc.Alerts = append(inc.Alerts, a.ID)
	a.Incident = inc.ID
	return inc
}

// Resume makes inc, an incident kept from an earlier run, open again for
// the alerts that follow (a restarted daemon keeps grouping into it).
func (g *Grouper) Resume(inc *Incident) {
	if g.open == nil {
		g.open = map[[2]string]*Incident{}
	}
	key := [2]string{inc.User, inc.SrcIP}
	if cur := g.open[key]; cur != nil && !cur.LastSeen.Before(inc.LastSeen) {
		return
	}
	g.open[key] = inc
	g.all = append(g.all, inc)
}

// Incidents returns every incident opened so far, in order of opening.
func (g *Grouper) Incidents() []*Incident { return g.all }
