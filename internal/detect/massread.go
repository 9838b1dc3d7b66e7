package detect

import (
	"fmt"
	"time"

	"github.com/vigilhq/vigil/internal/alert"
	"github.com/vigilhq/vigil/internal/event"
)

// massRead: a session, or a day, reading far more messages than the account
// ever did (Config.ReadFactor × its own maximum) and more than an absolute
// floor; and a session reading many years-old messages (mail_age_days).
type massRead struct {
	day map[string]*dayCount
}

type dayCount struct {
	day int32
	n   int
}

func newMassRead() *massRead { return &massRead{day: map[string]*dayCount{}} }

func (*massRead) Name() string { return "mass-read" }

// suspicious says what else is wrong with a session, raising a mass read to critical.
func suspicious(s *Session) bool {
	return s.NewNet || s.NewCountry || s.NewASN || s.NewService || s.AfterFailures
}

func (d *massRead) Read(c Ctx, s *Session, ev *event.Event) {
	cfg := c.Config()
	b := c.Baseline(s.User)
	if thr := max(cfg.SessionFloor, cfg.ReadFactor*b.MaxSession); s.opened == thr {
		d.raiseSession(c, s, b, thr)
	}
	dc := d.day[s.User]
	day := dayOf(ev.Time)
	if dc == nil || dc.day != day {
		dc = &dayCount{day: day}
		d.day[s.User] = dc
	}
	dc.n++
	if thr := max(cfg.DayFloor, cfg.ReadFactor*b.MaxDay); dc.n == thr {
		sev := alert.High
		if suspicious(s) {
			sev = alert.Critical
		}
		c.Raise(&alert.Alert{
			Time: ev.Time, Rule: "mass-read-day", Severity: sev, User: s.User, SrcIP: s.Src.String(),
			Attack:   []string{"T1114.002"},
			Summary:  fmt.Sprintf("%s has read %d messages today (last from %s); this account normally reads at most %d a day.", s.User, dc.n, s.Src, b.MaxDay),
			Evidence: alert.Evidence{Count: dc.n},
		}, "", s)
	}
	if thr := max(cfg.OldFloor, cfg.ReadFactor*b.MaxOld); s.old == thr {
		sev := alert.Medium
		if s.NewNet || s.NewASN || s.NewCountry || s.AfterFailures {
			sev = alert.High
		}
		c.Raise(&alert.Alert{
			Time: ev.Time, Rule: "old-mail-read", Severity: sev, User: s.User, SrcIP: s.Src.String(),
			Attack:   []string{"T1114.002"},
			Summary:  fmt.Sprintf("%s read %d messages over %d days old from %s in one session%s; this account normally reads at most %d such messages a session.", s.User, s.old, cfg.OldDays, s.Src, newNote(s), b.MaxOld),
			Evidence: alert.Evidence{Count: s.old},
		}, s.ID, s)
	}
}

func newNote(s *Session) string {
	if s.NewNet || s.NewASN || s.NewCountry {
		return ", a network this account never used"
	}
	return ""
}

func (d *massRead) raiseSession(c Ctx, s *Session, b *Baseline, thr int) {
	sev := alert.High
	if suspicious(s) {
		sev = alert.Critical
	}
	c.Raise(&alert.Alert{
		Time: s.Last, Rule: "mass-read-session", Severity: sev, User: s.User, SrcIP: s.Src.String(),
		Attack: []string{"T1114.002"}, FirstSeen: s.Start, LastSeen: s.Last,
		Summary: fmt.Sprintf("%s read %d messages in one %s session from %s%s (so far); this account normally reads at most %d in a session.",
			s.User, s.Opened(), s.Service, s.Src, newNote(s), b.MaxSession),
		Evidence: alert.Evidence{Count: s.Opened(), Sessions: []string{s.ID}},
	}, s.ID, s)
	_ = thr
}

func (d *massRead) Sweep(now time.Time) {
	today := dayOf(now)
	for k, dc := range d.day {
		if dc.day != today {
			delete(d.day, k)
		}
	}
}

// End checks the logout counts: body bytes fetched, and the number of
// messages of sessions that logged no mail_opened.
func (d *massRead) End(c Ctx, s *Session) {
	b := c.Baseline(s.User)
	cfg := c.Config()
	if thr := max(cfg.BytesFloor, int64(cfg.ReadFactor)*b.MaxBytes); s.bodyBytes >= thr {
		sev := alert.High
		if suspicious(s) {
			sev = alert.Critical
		}
		c.Raise(&alert.Alert{
			Time: s.Last, Rule: "mass-read-bytes", Severity: sev, User: s.User, SrcIP: ipString(s.Src),
			Attack: []string{"T1114.002"}, FirstSeen: s.Start, LastSeen: s.Last,
			Summary: fmt.Sprintf("%s fetched %d MiB of message bodies in one %s session from %s%s; this account's largest session fetched %d MiB.",
				s.User, s.bodyBytes>>20, s.Service, ipString(s.Src), newNote(s), b.MaxBytes>>20),
			Evidence: alert.Evidence{Count: int(s.bodies), Sessions: []string{s.ID}},
		}, s.ID, s)
	}
	if s.opened > 0 {
		return
	}
	if thr := max(c.Config().SessionFloor, c.Config().ReadFactor*b.MaxSession); int(s.bodies) >= thr {
		d.raiseSession(c, s, b, thr)
	}
}
