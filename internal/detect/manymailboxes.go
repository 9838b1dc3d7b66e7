package detect

import (
	"fmt"
	"net/netip"
	"time"

	"github.com/vigilhq/vigil/internal/alert"
	"github.com/vigilhq/vigil/internal/event"
)

// manyMailboxes: one account reading the shared mailboxes of several other
// accounts it never read, and one address reading several accounts'
// mailboxes when that address is not a network the clinic shares (office,
// webmail server).
type manyMailboxes struct {
	owners map[string]*distinct
	bySrc  map[netip.Addr]*srcReads
}

type srcReads struct {
	users *distinct
	reads []alert.Read
	first time.Time
}

func newManyMailboxes() *manyMailboxes {
	return &manyMailboxes{owners: map[string]*distinct{}, bySrc: map[netip.Addr]*srcReads{}}
}

func (*manyMailboxes) Name() string { return "many-mailboxes" }

func (d *manyMailboxes) Read(c Ctx, s *Session, ev *event.Event) {
	if o := mailboxOwner(ev.Mailbox); o != "" && o != s.User {
		b := c.Baseline(s.User)
		if !containsStr(b.Owners, o) {
			m := d.owners[s.User]
			if m == nil {
				m = newDistinct()
				d.owners[s.User] = m
			}
			if n := m.add(o, ev.Time, 24*time.Hour); n >= 3 {
				c.Raise(&alert.Alert{
					Time: ev.Time, Rule: "account-reads-many-mailboxes", Severity: alert.High, User: s.User, SrcIP: s.Src.String(),
					Attack:   []string{"T1114.002"},
					Summary:  fmt.Sprintf("%s opened messages in the mailboxes of %d other accounts it never read before (%s) within a day.", s.User, n, short(m.keys(), 6)),
					Evidence: alert.Evidence{Count: n, Accounts: m.keys()},
				}, "", s)
			}
		}
	}
	if s.opened == 1 {
		d.note(c, s, ev.Time)
	}
}

// note counts the session's account against its source, once per session,
// and raises when the source has read several accounts' mail.
func (d *manyMailboxes) note(c Ctx, s *Session, at time.Time) {
	if !s.Src.IsValid() {
		return
	}
	r := d.bySrc[s.Src]
	if r == nil || at.Sub(r.first) > 24*time.Hour {
		r = &srcReads{users: newDistinct(), first: at}
		d.bySrc[s.Src] = r
	}
	n := r.users.add(s.User, at, 24*time.Hour)
	if n < 2 || c.NetAccounts(s.Src) >= 3 {
		return
	}
	// One alert per account the address goes on to read (each of them also
	// keeps that session out of the baselines), each listing at most
	// maxListed accounts: an address reading thousands of mailboxes must
	// not make each alert longer than the last.
	users := r.users.keys()
	if len(users) > maxListed {
		users = users[:maxListed]
		if !containsStr(users, s.User) {
			users[maxListed-1] = s.User // the account this alert is about
		}
	}
	c.Raise(&alert.Alert{
		Time: at, Rule: "source-reads-many-mailboxes", Severity: alert.High, User: s.User, SrcIP: s.Src.String(),
		Attack: []string{"T1114.002", "T1078"}, FirstSeen: r.first, LastSeen: at,
		Summary: fmt.Sprintf("%s read the mailboxes of %d accounts (%s) within a day; it is not a network the clinic's accounts share.",
			s.Src, n, short(users, 6)),
		Evidence: alert.Evidence{Count: n, Accounts: users, Reads: append(append([]alert.Read(nil), r.reads...), s.reads()...)},
	}, fmt.Sprint(n), s)
}

// End keeps what each session from a source read, as evidence for a later alert.
func (d *manyMailboxes) End(c Ctx, s *Session) {
	if s.opened == 0 && s.bodies > 0 {
		d.note(c, s, s.Last)
	}
	if r := d.bySrc[s.Src]; r != nil && s.Opened() > 0 && len(r.reads) < 16 {
		r.reads = append(r.reads, s.reads()...)
	}
}

func (d *manyMailboxes) Sweep(now time.Time) {
	sweepDistinct(d.owners, now, 24*time.Hour)
	for k, r := range d.bySrc {
		if now.Sub(r.first) > 24*time.Hour {
			delete(d.bySrc, k)
		}
	}
}

// maxListed bounds the accounts an alert's evidence lists; Count has them all.
const maxListed = 50

func containsStr(s []string, v string) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}
