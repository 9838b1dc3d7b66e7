package detect

import (
	"fmt"
	"net/netip"
	"time"

	"github.com/vigilhq/vigil/internal/alert"
)

// guessed: a successful login from a source that has just failed, on several
// accounts or many times: a guessed (or sprayed) password that worked.
type guessed struct {
	fails map[netip.Addr]*window
	accts map[netip.Addr]*distinct
}

func newGuessed() *guessed {
	return &guessed{fails: map[netip.Addr]*window{}, accts: map[netip.Addr]*distinct{}}
}

func (*guessed) Name() string { return "login-after-failures" }

func (d *guessed) Failure(c Ctx, f Failure) {
	if !f.Src.IsValid() {
		return
	}
	w := d.fails[f.Src]
	if w == nil {
		w = &window{}
		d.fails[f.Src] = w
		d.accts[f.Src] = newDistinct()
	}
	w.add(f.Time, c.Config().GuessedWindow)
	d.accts[f.Src].add(f.User, f.Time, c.Config().GuessedWindow)
}

func (d *guessed) Sweep(now time.Time) {
	sweepWindows(d.fails, now, 3*time.Hour)
	sweepDistinct(d.accts, now, 3*time.Hour)
	for k := range d.accts {
		if d.fails[k] == nil {
			delete(d.accts, k)
		}
	}
}

func (d *guessed) Login(c Ctx, s *Session) {
	w := d.fails[s.Src]
	if w == nil {
		return
	}
	cfg := c.Config()
	n := w.count(s.Start, cfg.GuessedWindow)
	accts := 0
	for _, u := range d.accts[s.Src].keys() {
		if u != s.User {
			accts++
		}
	}
	if n < cfg.GuessedFailures {
		return
	}
	b := c.Baseline(s.User)
	known := c.Mature(b) && b.HasNet(s.Src)
	sev := alert.Medium
	why := "a typo, or a guessed password"
	if (accts >= 2 || n >= cfg.BruteCount) && !known {
		sev, why = alert.High, "likely a guessed or sprayed password that worked"
	}
	if sev == alert.Medium && known {
		return // the account's own network: the user mistyping
	}
	s.AfterFailures = true
	c.Raise(&alert.Alert{
		Time: s.Start, Rule: "login-after-failures", Severity: sev, User: s.User, SrcIP: s.Src.String(),
		Attack: []string{"T1110", "T1078"}, FirstSeen: w.ts[0], LastSeen: s.Start,
		Summary:  fmt.Sprintf("%s logged in as %s over %s after %d failed logins from the same address on %d other account(s): %s.", s.Src, s.User, s.Service, n, accts, why),
		Evidence: alert.Evidence{Count: n, Sessions: []string{s.ID}, Events: s.refs},
	}, "", s)
}
