package detect

import (
	"fmt"
	"time"

	"github.com/vigilhq/vigil/internal/alert"
)

// slowExfil: sustained reading by a source new to the account, summed over
// days: the attacker who reads 30 messages a day for weeks.
type slowExfil struct {
	m map[string]*slowMark
}

type slowMark struct {
	days  map[int32]bool
	total int
	first Session
}

func newSlowExfil() *slowExfil { return &slowExfil{m: map[string]*slowMark{}} }

func (*slowExfil) Name() string { return "slow-exfiltration" }

// Sweep forgets sources unseen for 30 days.
func (d *slowExfil) Sweep(now time.Time) {
	for k, m := range d.m {
		last := int32(0)
		for day := range m.days {
			last = max(last, day)
		}
		if dayOf(now)-last > 30 {
			delete(d.m, k)
		}
	}
}

func (d *slowExfil) End(c Ctx, s *Session) {
	if !(s.NewNet || s.NewCountry || s.NewASN) || s.Opened() == 0 {
		return
	}
	k := s.User + "\x00" + netOf(s.Src).String()
	m := d.m[k]
	if m == nil {
		m = &slowMark{days: map[int32]bool{}, first: *s}
		d.m[k] = m
	}
	m.days[dayOf(s.Start)] = true
	m.total += s.Opened()
	cfg := c.Config()
	if len(m.days) >= cfg.SlowDays && m.total >= cfg.SlowTotal {
		c.Raise(&alert.Alert{
			Time: s.Last, Rule: "slow-exfiltration", Severity: alert.High, User: s.User, SrcIP: s.Src.String(),
			Attack: []string{"T1114.002", "T1078"}, FirstSeen: m.first.Start, LastSeen: s.Last,
			Summary: fmt.Sprintf("%s's mailbox has been read from %s, a network this account never used before, on %d days since %s: %d messages so far.",
				s.User, netOf(s.Src), len(m.days), m.first.Start.Format("2 Jan 2006"), m.total),
			Evidence: alert.Evidence{Count: m.total, Sessions: []string{m.first.ID, s.ID}},
		}, netOf(s.Src).String(), s)
	}
}
