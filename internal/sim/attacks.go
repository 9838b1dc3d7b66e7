package sim

import (
	"net/netip"
	"time"
)

// attack stages one scenario against victim on date and returns its truth.
func (g *gen) attack(sc Scenario, victim *person, staff []*person, date time.Time) Truth {
	tr := Truth{Scenario: sc, Account: victim.name}
	oldAge := func(uid int) int { return (victim.mailbox - uid) * 7 / 12 }
	switch sc {
	case SprayGuessDownload:
		// One address tries one common password on many accounts, slowly
		// enough to stay under per-account lockouts, then gets one right.
		src := addr(127, 67, 4, 20)
		tr.Source = src
		at := date.Add(2*time.Hour + 13*time.Minute)
		tr.Start = at
		at = g.spray(at, src, victim, staff)
		at = at.Add(20 * time.Second)
		uids := make([]int, victim.mailbox)
		for i := range uids {
			uids[i] = i + 1
		}
		tr.ReadStart, tr.ReadEnd = g.readSession(victim.name, "imap", at, src, "INBOX", uids, oldAge, 0)
	case StolenAbroad:
		src := addr(127, 66, 12, 34)
		tr.Source = src
		for d := 0; d < 21; d++ {
			at := date.AddDate(0, 0, d).Add(time.Duration(1*60+g.r.IntN(120)) * time.Minute)
			uids := make([]int, 30)
			for i := range uids {
				uids[i] = victim.mailbox - 30*d - 29 + i
			}
			s, e := g.readSession(victim.name, "imap", at, src, "INBOX", uids, oldAge, 0)
			if d == 0 {
				tr.Start, tr.ReadStart, tr.ReadEnd = s, s, e
			}
		}
	case BruteForce:
		src := addr(127, 68, 9, 9)
		tr.Source = src
		at := date.Add(3*time.Hour + 2*time.Minute)
		tr.Start = at
		for i := 0; i < 300; i++ {
			g.failure(at, victim.name, "imap", src, false)
			at = at.Add(time.Duration(4+g.r.IntN(8)) * time.Second)
		}
	case POP3NewClient:
		src := addr(127, 69, 200, 7)
		tr.Source = src
		at := date.Add(22*time.Hour + 40*time.Minute)
		tr.Start = at
		n := min(victim.mailbox, 400)
		uids := make([]int, n)
		for i := range uids {
			uids[i] = victim.mailbox - n + 1 + i
		}
		tr.ReadStart, tr.ReadEnd = g.readSession(victim.name, "pop3", at, src, "INBOX", uids, oldAge, 0)
	case ResidentialOldMail:
		src := addr(127, 13, 77, 101)
		tr.Source = src
		at := date.Add(20*time.Hour + 5*time.Minute)
		tr.Start = at
		// Years-old mail, searched out of the archive: few recent messages.
		var uids []int
		for u := 1; u <= victim.mailbox && len(uids) < 60; u += 1 + g.r.IntN(6) {
			uids = append(uids, u)
		}
		age := func(uid int) int { return 400 + (victim.mailbox-uid)*2 }
		tr.ReadStart, tr.ReadEnd = g.readSession(victim.name, "imap", at, src, "Archive/2021", uids, age, 0)
	case FoundingCase:
		g.founding(&tr, victim, staff, date)
	case HolidayWebmail:
	}
	tr.Mailbox = victim.mailbox
	if tr.End.IsZero() {
		tr.End = tr.ReadEnd
	}
	return tr
}

// spray tries one common password on the staff accounts from src, slowly
// enough to stay under per-account lockouts (over SMTP AUTH too, and on
// accounts that do not exist), and returns when it ended.
func (g *gen) spray(at time.Time, src netip.Addr, victim *person, staff []*person) time.Time {
	for i, p := range staff {
		if p == victim || i > 30 {
			continue
		}
		g.failure(at, p.name, "imap", src, false)
		at = at.Add(time.Duration(15+g.r.IntN(20)) * time.Second)
		if i%3 == 0 {
			// The same password tried over SMTP AUTH too.
			g.emit(at, postfixSASLFail(at, src.String(), p.name, g.nextPID()))
			at = at.Add(5 * time.Second)
		}
		if i%6 == 5 {
			g.failure(at, "postmaster", "imap", src, true)
			at = at.Add(10 * time.Second)
		}
	}
	return at
}

// founding stages FoundingCase: spraying from a VPS network the account
// never used, the victim's password guessed and a first short read, then a
// few old messages read most nights for three weeks, then every message in
// the INBOX downloaded in one session on the last day.
func (g *gen) founding(tr *Truth, victim *person, staff []*person, date time.Time) {
	src := addr(127, 67, 81, 9)
	tr.Source = src
	oldAge := func(uid int) int { return (victim.mailbox - uid) * 7 / 12 }
	at := date.Add(1*time.Hour + 47*time.Minute)
	tr.Start = at
	at = g.spray(at, src, victim, staff)
	next := 1 // the attacker reads from the oldest message on
	read := func(at time.Time, n int) (time.Time, time.Time) {
		uids := make([]int, 0, n)
		for ; len(uids) < n && next <= victim.mailbox; next++ {
			uids = append(uids, next)
		}
		return g.readSession(victim.name, "imap", at, src, "INBOX", uids, oldAge, 0)
	}
	tr.ReadStart, tr.ReadEnd = read(at.Add(20*time.Second), 12+g.r.IntN(10))
	for d := 1; d < 21; d++ {
		if g.r.IntN(4) == 0 {
			continue // not every night
		}
		night := date.AddDate(0, 0, d).Add(time.Duration(60+g.r.IntN(150)) * time.Minute)
		read(night, 8+g.r.IntN(20))
	}
	uids := make([]int, victim.mailbox)
	for i := range uids {
		uids[i] = i + 1
	}
	bulk := date.AddDate(0, 0, FoundingDays-1).Add(time.Duration(60+g.r.IntN(120)) * time.Minute)
	_, tr.End = g.readSession(victim.name, "imap", bulk, src, "INBOX", uids, oldAge, 0)
}
