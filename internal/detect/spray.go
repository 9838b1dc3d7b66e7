package detect

import (
	"fmt"
	"net/netip"
	"strings"
	"time"

	"github.com/vigilhq/vigil/internal/alert"
)

// spray: one source failing on many accounts (password spraying), and one
// account failing from many sources (distributed guessing).
type spray struct {
	bySrc  map[netip.Addr]*distinct
	byUser map[string]*distinct
}

func newSpray() *spray {
	return &spray{bySrc: map[netip.Addr]*distinct{}, byUser: map[string]*distinct{}}
}

func (*spray) Name() string { return "password-spray" }

func (d *spray) Failure(c Ctx, f Failure) {
	cfg := c.Config()
	if f.Src.IsValid() && f.User != "" {
		m := d.bySrc[f.Src]
		if m == nil {
			m = newDistinct()
			d.bySrc[f.Src] = m
		}
		if n := m.add(f.User, f.Time, cfg.SprayWindow); n >= cfg.SprayAccounts {
			accts := m.keys()
			c.Raise(&alert.Alert{
				Time: f.Time, Rule: "password-spray", Severity: alert.Medium, SrcIP: f.Src.String(),
				Attack: []string{"T1110.003"}, LastSeen: f.Time,
				Summary:  fmt.Sprintf("%s tried passwords on %d different accounts within %s (%s): password spraying.", f.Src, n, cfg.SprayWindow, short(accts, 6)),
				Evidence: alert.Evidence{Count: n, Accounts: accts, Events: refs(f.Ref)},
			}, "", nil)
		}
		u := d.byUser[f.User]
		if u == nil {
			u = newDistinct()
			d.byUser[f.User] = u
		}
		if n := u.add(f.Src.String(), f.Time, cfg.SprayWindow); n >= cfg.GuessSources {
			srcs := u.keys()
			c.Raise(&alert.Alert{
				Time: f.Time, Rule: "distributed-guessing", Severity: alert.Medium, User: f.User,
				Attack: []string{"T1110.001"}, LastSeen: f.Time,
				Summary:  fmt.Sprintf("Passwords for %s were tried from %d different addresses within %s (%s): distributed guessing.", f.User, n, cfg.SprayWindow, short(srcs, 6)),
				Evidence: alert.Evidence{Count: n, Sources: srcs, Events: refs(f.Ref)},
			}, "", nil)
		}
	}
}

func (d *spray) Sweep(now time.Time) {
	sweepDistinct(d.bySrc, now, 2*time.Hour)
	sweepDistinct(d.byUser, now, 2*time.Hour)
}

func short(s []string, n int) string {
	if len(s) <= n {
		return strings.Join(s, ", ")
	}
	return strings.Join(s[:n], ", ") + fmt.Sprintf(" and %d more", len(s)-n)
}
