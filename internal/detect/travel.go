package detect

import (
	"fmt"
	"time"

	"github.com/vigilhq/vigil/internal/alert"
)

// travel: two logins of one account whose places are further apart than
// anyone can travel in the time between them (over 1,000 km/h, over 500 km).
type travel struct {
	last map[string]travelMark
}

type travelMark struct {
	p   Place
	t   time.Time
	src string
}

func newTravel() *travel { return &travel{last: map[string]travelMark{}} }

func (*travel) Name() string { return "impossible-travel" }

// Sweep forgets logins older than a day: no travel is impossible in a day.
func (d *travel) Sweep(now time.Time) {
	for k, m := range d.last {
		if now.Sub(m.t) > 24*time.Hour {
			delete(d.last, k)
		}
	}
}

func (d *travel) Login(c Ctx, s *Session) {
	if !s.HasPlace || !s.Place.HasLoc {
		return
	}
	prev, ok := d.last[s.User]
	d.last[s.User] = travelMark{s.Place, s.Start, s.Src.String()}
	if !ok || prev.p.Country == s.Place.Country {
		return
	}
	b := c.Baseline(s.User)
	if b.HasCountry(prev.p.Country) && b.HasCountry(s.Place.Country) && c.Mature(b) {
		return // both places are the account's own
	}
	km := distanceKm(prev.p, s.Place)
	hours := s.Start.Sub(prev.t).Hours()
	if km < 500 || (hours > 0 && km/hours < 1000) {
		return
	}
	c.Raise(&alert.Alert{
		Time: s.Start, Rule: "impossible-travel", Severity: alert.Medium, User: s.User, SrcIP: s.Src.String(),
		Attack: []string{"T1078"}, FirstSeen: prev.t, LastSeen: s.Start,
		Summary: fmt.Sprintf("%s logged in from %s (%s) %s after logging in from %s (%s), %.0f km away: faster than anyone travels.",
			s.User, s.Src, s.Place.Country, s.Start.Sub(prev.t).Round(time.Minute), prev.src, prev.p.Country, km),
		Evidence: alert.Evidence{Sources: []string{prev.src, s.Src.String()}, Sessions: []string{s.ID}},
	}, prev.p.Country+s.Place.Country, s)
}
