package detect

import (
	"fmt"

	"github.com/vigilhq/vigil/internal/alert"
)

// concurrent: two sessions of one account open at the same time from
// places far apart (over 500 km, or different countries without coordinates).
type concurrent struct {
	open map[string][]*Session
}

func newConcurrent() *concurrent { return &concurrent{open: map[string][]*Session{}} }

func (*concurrent) Name() string { return "concurrent-sessions" }

func (d *concurrent) Login(c Ctx, s *Session) {
	if !s.HasPlace || s.ID == "" || s.Service == "webmail" {
		return
	}
	live := d.open[s.User][:0]
	for _, o := range d.open[s.User] {
		if !o.ended && c.Session(o.ID) == o {
			live = append(live, o)
		}
	}
	for _, o := range live {
		if !o.HasPlace || o.Src == s.Src {
			continue
		}
		far := o.Place.Country != s.Place.Country
		km := 0.0
		if o.Place.HasLoc && s.Place.HasLoc {
			km = distanceKm(o.Place, s.Place)
			far = km > 500
		}
		if !far {
			continue
		}
		c.Raise(&alert.Alert{
			Time: s.Start, Rule: "concurrent-sessions", Severity: alert.High, User: s.User, SrcIP: s.Src.String(),
			Attack: []string{"T1078"}, FirstSeen: o.Start, LastSeen: s.Start,
			Summary: fmt.Sprintf("%s has two sessions open at once: from %s (%s) since %s and from %s (%s), %.0f km apart: the password is in two hands.",
				s.User, o.Src, o.Place.Country, o.Start.Format("15:04"), s.Src, s.Place.Country, km),
			Evidence: alert.Evidence{Sources: []string{o.Src.String(), s.Src.String()}, Sessions: []string{o.ID, s.ID}},
		}, o.Src.String(), s)
		break
	}
	d.open[s.User] = append(live, s)
}

func (d *concurrent) End(_ Ctx, s *Session) {
	l := d.open[s.User]
	for i, o := range l {
		if o == s {
			d.open[s.User] = append(l[:i], l[i+1:]...)
			break
		}
	}
	if len(d.open[s.User]) == 0 {
		delete(d.open, s.User)
	}
}
