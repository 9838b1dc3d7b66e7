package detect

import (
	"fmt"
	"slices"
	"time"

	"github.com/vigilhq/vigil/internal/alert"
)

// slowExfil: sustained reading by a source new to the account, summed over
// days: the attacker who reads 30 messages a day for weeks. The network is
// followed for 30 days from the session in which it was new, so that the
// baseline learning it does not hide it.
type slowExfil struct {
	m     map[string]*slowMark
	swept int32
}

type slowMark struct {
	days    []int32 // distinct days with reading, at most a few dozen
	lastDay int32
	total   int
	firstID string
	first   time.Time
}

func newSlowExfil() *slowExfil { return &slowExfil{m: map[string]*slowMark{}} }

func (*slowExfil) Name() string { return "slow-exfiltration" }

// Sweep forgets sources unseen for 30 days, once a day.
func (d *slowExfil) Sweep(now time.Time) {
	today := dayOf(now)
	if today == d.swept {
		return
	}
	d.swept = today
	for k, m := range d.m {
		if today-m.lastDay > 30 {
			delete(d.m, k)
		}
	}
}

func (d *slowExfil) End(c Ctx, s *Session) {
	if s.Opened() == 0 || !s.Src.IsValid() {
		return
	}
	k := s.User + "\x00" + netOf(s.Src).String()
	m := d.m[k]
	// A network is followed from the session in which it was new; later
	// sessions count even once the baseline has learned it. With a GeoIP
	// database only a new provider or country starts following: a new /24 of
	// the account's own provider is a home router's new address.
	// Networks many accounts use (the office, the webmail server) are the
	// clinic's own.
	isNew := (s.NewCountry || s.NewASN || (s.NewNet && !s.HasPlace)) && c.NetAccounts(s.Src) < 3
	if m == nil && !isNew {
		return
	}
	if m == nil {
		m = &slowMark{firstID: s.ID, first: s.Start}
		d.m[k] = m
	}
	day := dayOf(s.Start)
	if !slices.Contains(m.days, day) && len(m.days) < 64 {
		m.days = append(m.days, day)
	}
	m.lastDay = max(m.lastDay, day)
	m.total += s.Opened()
	cfg := c.Config()
	if len(m.days) >= cfg.SlowDays && m.total >= cfg.SlowTotal {
		c.Raise(&alert.Alert{
			Time: s.Last, Rule: "slow-exfiltration", Severity: alert.High, User: s.User, SrcIP: s.Src.String(),
			Attack: []string{"T1114.002", "T1078"}, FirstSeen: m.first, LastSeen: s.Last,
			Summary: fmt.Sprintf("%s's mailbox has been read from %s, a network this account never used before, on %d days since %s: %d messages so far.",
				s.User, netOf(s.Src), len(m.days), m.first.Format("2 Jan 2006"), m.total),
			Evidence: alert.Evidence{Count: m.total, Sessions: []string{m.firstID, s.ID}},
		}, netOf(s.Src).String(), s)
	}
}
