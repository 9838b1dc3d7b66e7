package detect

import (
	"fmt"
	"net/netip"
	"time"

	"github.com/vigilhq/vigil/internal/alert"
)

// bruteForce: many failed logins from one source (the field's norm, 8 in
// 120 s), repeated failures from one source on one account (fail2ban's 5 in
// 10 minutes), and many failures on one account from anywhere.
type bruteForce struct {
	src  map[netip.Addr]*window
	pair map[string]*window
	acct map[string]*window
}

func newBruteForce() *bruteForce {
	return &bruteForce{src: map[netip.Addr]*window{}, pair: map[string]*window{}, acct: map[string]*window{}}
}

func (*bruteForce) Name() string { return "brute-force" }

func (d *bruteForce) Failure(c Ctx, f Failure) {
	cfg := c.Config()
	if f.Src.IsValid() {
		w := d.src[f.Src]
		if w == nil {
			w = &window{}
			d.src[f.Src] = w
		}
		if n := w.add(f.Time, cfg.BruteWindow); n >= cfg.BruteCount {
			c.Raise(&alert.Alert{
				Time: f.Time, Rule: "brute-force-source", Severity: alert.Medium, User: f.User, SrcIP: f.Src.String(),
				Attack: []string{"T1110.001"}, FirstSeen: w.ts[0], LastSeen: f.Time,
				Summary:  fmt.Sprintf("%s failed to log in %d times within %s (last tried account %s): password guessing from one address.", f.Src, n, cfg.BruteWindow, f.User),
				Evidence: alert.Evidence{Count: n, Events: refs(f.Ref)},
			}, "", nil)
		}
		k := f.Src.String() + "\x00" + f.User
		p := d.pair[k]
		if p == nil {
			p = &window{}
			d.pair[k] = p
		}
		if n := p.add(f.Time, cfg.RepeatWindow); n >= cfg.RepeatCount {
			c.Raise(&alert.Alert{
				Time: f.Time, Rule: "repeated-failures", Severity: alert.Low, User: f.User, SrcIP: f.Src.String(),
				Attack: []string{"T1110.001"}, FirstSeen: p.ts[0], LastSeen: f.Time,
				Summary:  fmt.Sprintf("%s failed to log in as %s %d times within %s: a forgotten password, or someone guessing it.", f.Src, f.User, n, cfg.RepeatWindow),
				Evidence: alert.Evidence{Count: n, Events: refs(f.Ref)},
			}, "", nil)
		}
	}
	if f.User != "" {
		a := d.acct[f.User]
		if a == nil {
			a = &window{}
			d.acct[f.User] = a
		}
		if n := a.add(f.Time, cfg.AccountWindow); n >= cfg.AccountCount {
			c.Raise(&alert.Alert{
				Time: f.Time, Rule: "brute-force-account", Severity: alert.Medium, User: f.User,
				Attack: []string{"T1110.001"}, FirstSeen: a.ts[0], LastSeen: f.Time,
				Summary:  fmt.Sprintf("The account %s had %d failed logins within %s.", f.User, n, cfg.AccountWindow),
				Evidence: alert.Evidence{Count: n, Events: refs(f.Ref)},
			}, "", nil)
		}
	}
}

func (d *bruteForce) Sweep(now time.Time) {
	sweepWindows(d.src, now, time.Hour)
	sweepWindows(d.pair, now, time.Hour)
	sweepWindows(d.acct, now, time.Hour)
}

func refs(r ...string) []string {
	var out []string
	for _, s := range r {
		if s != "" {
			out = append(out, s)
		}
	}
	return out
}
