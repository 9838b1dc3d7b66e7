// Package sim generates a clinic's mail-server traffic for tests and demos:
// seeded and deterministic, written as real-format log lines (Dovecot 2.3's
// main log and event-exporter JSON, Roundcube's userlogins), with staff who
// keep working hours from office, home and phone, a shared reception mailbox,
// a doctor on holiday abroad, new staff joining, and the attacks of the
// scenario suite, each with its ground truth.
//
// The package must not read or write files, use the wall clock, or depend on
// detection: it only says what happened and writes the lines a server would
// have logged.
package sim

import (
	"math/rand/v2"
	"net/netip"
	"slices"
	"sort"
	"strconv"
	"time"
)

// Scenario names one attack (or benign event) the generator can stage.
type Scenario string

// The scenarios of the suite.
const (
	SprayGuessDownload Scenario = "a-spray-guess-download" // spraying, a guessed password, a fast full download
	StolenAbroad       Scenario = "b-stolen-abroad-slow"   // a stolen password used from abroad, 30 messages a day for weeks
	BruteForce         Scenario = "c-brute-force-fails"    // brute force that never succeeds
	POP3NewClient      Scenario = "d-pop3-new-client"      // a POP3 download by a client new to the account
	ResidentialOldMail Scenario = "e-residential-old-mail" // an attacker in the victim's own country reading years-old mail
	HolidayWebmail     Scenario = "f-holiday-webmail"      // benign: webmail from abroad at normal volume
	// FoundingCase is the breach vigil was founded on (not in the suite; the
	// demo stages it): a password sprayed and guessed from a network the
	// account never used, weeks of quiet reading at night, then the whole
	// INBOX downloaded. It needs FoundingDays days from AttackDay.
	FoundingCase Scenario = "founding-case"
)

// FoundingDays is how many days FoundingCase lasts from its first failure to
// the bulk download's day, inclusive.
const FoundingDays = 26

// AllScenarios lists the scenarios in the suite's order.
var AllScenarios = []Scenario{SprayGuessDownload, StolenAbroad, BruteForce, POP3NewClient, ResidentialOldMail, HolidayWebmail}

// Options configure a run. Zero fields take defaults.
type Options struct {
	Seed  uint64
	Staff int       // 20–200; default 50
	Days  int       // default 60
	Start time.Time // midnight UTC of the first day; default 2026-06-01
	// Scenarios to stage; the holiday (f) is part of normal clinic life and is
	// always staged when the run is long enough.
	Scenarios []Scenario
	// AttackDay is the day (from 0) on which attacks start; default Days-10.
	AttackDay int
	// Mailbox, if positive, is the number of messages every INBOX holds on
	// the first day (instead of 800–4,800): the demo keeps it small enough
	// to write as a real Maildir.
	Mailbox int
}

// Truth is what really happened in one staged scenario.
type Truth struct {
	Scenario Scenario
	Account  string
	Source   netip.Addr
	Benign   bool
	// Start is the first attacker event (the first failure, or the first login).
	Start time.Time
	// ReadStart and ReadEnd bound the attacker's first mailbox-reading session;
	// zero when the scenario reads nothing (brute force that fails).
	ReadStart, ReadEnd time.Time
	// End is the attacker's last event.
	End time.Time
	// Mailbox is how many messages the victim's INBOX holds at the end of
	// the run: UIDs 1..Mailbox, the first one oldest.
	Mailbox int
}

// Output is a generated run: the log lines in time order and the truth.
type Output struct {
	Lines    []string
	Truth    []Truth
	Accounts []string
	Start    time.Time
	Days     int
}

// Net is one address block the generator uses, with the country and ASN a
// GeoLite2-format database would give it.
type Net struct {
	Prefix  netip.Prefix
	Country string
	ASN     uint32
	Org     string
	Lat     float64
	Lon     float64
}

// Networks lists the address blocks of the simulated world (all under
// 127.0.0.0/8, so that real servers on loopback can replay them).
func Networks() []Net {
	p := netip.MustParsePrefix
	return []Net{
		{p("127.0.0.0/24"), "GB", 64500, "Clinic mail server", 51.5, -0.12},
		{p("127.10.0.0/16"), "GB", 64501, "Clinic office line", 51.5, -0.12},
		{p("127.11.0.0/16"), "GB", 64502, "GB Broadband", 52.5, -1.9},
		{p("127.12.0.0/16"), "GB", 64503, "GB Mobile", 53.4, -2.2},
		{p("127.13.0.0/16"), "GB", 64504, "GB Cable", 51.45, -2.58},
		{p("127.30.0.0/16"), "ES", 64510, "ES Telecom", 40.4, -3.7},
		{p("127.66.0.0/16"), "RU", 64666, "Hosting RU", 55.75, 37.6},
		{p("127.67.0.0/16"), "NL", 64667, "VPS NL", 52.37, 4.9},
		{p("127.68.0.0/16"), "CN", 64668, "Hosting CN", 39.9, 116.4},
		{p("127.69.0.0/16"), "US", 64669, "Cloud US", 39.0, -77.5},
	}
}

type person struct {
	name      string
	office    bool // works at the office desk
	phone     bool
	home      netip.Addr
	mailbox   int // messages in INBOX (UIDs 1..mailbox)
	joinDay   int
	reception bool // also reads the shared reception mailbox
	readRate  int  // messages read per session, on average
	webmailID int
}

type gen struct {
	r     *rand.Rand
	opts  Options
	lines []stamped
	seq   int
	pid   int
}

type stamped struct {
	t   time.Time
	n   int
	txt string
}

func (g *gen) emit(t time.Time, txt string) {
	g.seq++
	g.lines = append(g.lines, stamped{t, g.seq, txt})
}

const sessionAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"

// session makes a Dovecot-style session id (16 base64 characters).
func (g *gen) session() string {
	b := make([]byte, 16)
	for i := range b {
		b[i] = sessionAlphabet[g.r.IntN(64)]
	}
	return string(b)
}

func (g *gen) nextPID() int { g.pid++; return 1000 + g.pid%60000 }

// addr builds 127-block addresses from small numbers; each is masked to a byte.
func addr(a, b, c, d int) netip.Addr {
	return netip.AddrFrom4([4]byte{byte(a & 0xff), byte(b & 0xff), byte(c & 0xff), byte(d & 0xff)})
}

// Generate produces a run. The same Options always give the same lines.
func Generate(opts Options) *Output {
	if opts.Staff <= 0 {
		opts.Staff = 50
	}
	if opts.Days <= 0 {
		opts.Days = 60
	}
	if opts.Start.IsZero() {
		opts.Start = time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	}
	if opts.AttackDay <= 0 || opts.AttackDay >= opts.Days {
		opts.AttackDay = max(opts.Days-10, 0)
	}
	g := &gen{r: rand.New(rand.NewPCG(opts.Seed, opts.Seed^0x9e3779b97f4a7c15)), opts: opts} //nolint:gosec // G404: a reproducible simulation, not a secret
	staff := g.staff()
	out := &Output{Start: opts.Start, Days: opts.Days}
	for _, p := range staff {
		out.Accounts = append(out.Accounts, p.name)
	}
	holiday := staff[0] // dr.* — goes abroad for two weeks
	holStart, holEnd := -1, -1
	if opts.Days >= 40 {
		holStart = opts.Days/2 - 7
		holEnd = holStart + 14
	}
	for day := 0; day < opts.Days; day++ {
		date := opts.Start.AddDate(0, 0, day)
		for _, p := range staff {
			if day < p.joinDay {
				continue
			}
			p.mailbox += 5 + g.r.IntN(20) // new mail arrives every day
			if p == holiday && day >= holStart && day < holEnd {
				g.holidayDay(p, date, day == holStart, out)
				continue
			}
			g.workDay(p, date)
		}
	}
	victims := g.victims(staff)
	for i, sc := range opts.Scenarios {
		if sc == HolidayWebmail {
			continue
		}
		day := opts.AttackDay + i
		if day >= opts.Days {
			day = opts.Days - 1
		}
		date := opts.Start.AddDate(0, 0, day)
		out.Truth = append(out.Truth, g.attack(sc, victims[i%len(victims)], staff, date))
	}
	sort.SliceStable(g.lines, func(i, j int) bool {
		if !g.lines[i].t.Equal(g.lines[j].t) {
			return g.lines[i].t.Before(g.lines[j].t)
		}
		return g.lines[i].n < g.lines[j].n
	})
	out.Lines = make([]string, len(g.lines))
	for i, l := range g.lines {
		out.Lines[i] = l.txt
	}
	return out
}

var firstNames = []string{"smith", "jones", "patel", "khan", "brown", "taylor", "wilson", "evans", "thomas", "roberts", "walker", "wright", "hughes", "green", "hall", "wood", "clarke", "lewis", "harris", "young"}

func (g *gen) staff() []*person {
	n := g.opts.Staff
	var staff []*person
	for i := 0; i < n; i++ {
		role := "nurse"
		switch {
		case i%5 == 0:
			role = "dr"
		case i%7 == 1:
			role = "admin"
		}
		p := &person{
			name:      role + "." + firstNames[i%len(firstNames)] + strconv.Itoa(i/len(firstNames)+1),
			office:    g.r.IntN(10) < 9,
			phone:     g.r.IntN(10) < 6,
			home:      addr(127, 11, 1+i%250, 2+g.r.IntN(250)),
			mailbox:   800 + g.r.IntN(4000),
			readRate:  3 + g.r.IntN(10),
			webmailID: i + 1,
		}
		if i%25 == 3 {
			p.reception = true
		}
		if g.opts.Mailbox > 0 {
			p.mailbox = g.opts.Mailbox
		}
		staff = append(staff, p)
	}
	staff[0].name = "dr.smith"
	// New staff join during the run: no history, so their first weeks are
	// the learning period.
	for i := 1; i <= 2 && n-i > 0; i++ {
		staff[n-i].joinDay = g.opts.Days * i / 3
		staff[n-i].mailbox = 0
	}
	// The shared reception mailbox logs in itself from the front desk too.
	staff = append(staff, &person{name: "reception", office: true, home: addr(127, 10, 1, 10), mailbox: 6000, readRate: 12, webmailID: n + 1})
	return staff
}

// victims are accounts with history, not the holiday doctor nor new staff.
func (g *gen) victims(staff []*person) []*person {
	var v []*person
	for _, p := range staff[1:] {
		if p.joinDay == 0 && p.name != "reception" && p.mailbox > 500 {
			v = append(v, p)
		}
	}
	if len(v) == 0 { // small mailboxes (Options.Mailbox) or a short run
		v = append(v, staff[1%len(staff)])
	}
	return v
}

var officeIP = addr(127, 10, 1, 10) // the clinic's NAT address

func (g *gen) phoneIP() netip.Addr {
	return addr(127, 12, g.r.IntN(256), 1+g.r.IntN(254)) // carrier-grade NAT: a new address every time
}

func (g *gen) workDay(p *person, date time.Time) {
	weekday := date.Weekday() != time.Saturday && date.Weekday() != time.Sunday
	if weekday && p.office {
		k := 2 + g.r.IntN(3)
		for i := 0; i < k; i++ {
			at := date.Add(time.Duration(8*60+g.r.IntN(9*60)) * time.Minute).Add(time.Duration(g.r.IntN(60)) * time.Second)
			g.imapSession(p, at, officeIP, "INBOX", p.readRate, 30)
			if p.reception {
				g.imapSession(p, at.Add(20*time.Minute), officeIP, "Shared/reception/INBOX", p.readRate, 20)
			}
		}
	}
	if p.phone {
		k := g.r.IntN(4)
		for i := 0; i < k; i++ {
			at := date.Add(time.Duration(7*60+g.r.IntN(15*60)) * time.Minute)
			g.imapSession(p, at, g.phoneIP(), "INBOX", 1+g.r.IntN(4), 7)
		}
	}
	if weekday && p.office {
		// Mail sent from the desk: Postfix's submission and queue lines.
		for i := g.r.IntN(4); i > 0; i-- {
			at := date.Add(time.Duration(8*60+g.r.IntN(9*60)) * time.Minute)
			g.submit(p.name, at, officeIP)
		}
	}
	if g.r.IntN(4) == 0 || (!p.office && weekday) {
		at := date.Add(time.Duration(18*60+g.r.IntN(4*60)) * time.Minute)
		g.webmail(p, at, p.home, p.readRate)
	}
}

// holidayDay: phone (roaming through the home carrier) and webmail from a
// hotel abroad, at normal volume — scenario (f).
func (g *gen) holidayDay(p *person, date time.Time, first bool, out *Output) {
	hotel := addr(127, 30, 44, 17)
	at := date.Add(time.Duration(9*60+g.r.IntN(10*60)) * time.Minute)
	start, end := g.webmail(p, at, hotel, p.readRate)
	if first {
		out.Truth = append(out.Truth, Truth{Scenario: HolidayWebmail, Account: p.name, Source: hotel, Benign: true, Start: at, ReadStart: start, ReadEnd: end})
	}
	if p.phone {
		g.imapSession(p, date.Add(time.Duration(8*60+g.r.IntN(12*60))*time.Minute), g.phoneIP(), "INBOX", 2, 7)
	}
}

// webmail: a Roundcube login from the client's address, then Roundcube's
// own IMAP session from the web server (Dovecot sees 127.0.0.1).
func (g *gen) webmail(p *person, at time.Time, client netip.Addr, n int) (time.Time, time.Time) {
	g.emit(at, roundcubeLogin(at, p.name, client.String(), p.webmailID, g.session()[:10]))
	return g.imapSession(p, at.Add(time.Second), addr(127, 0, 0, 1), "INBOX", n, 30)
}

// imapSession logs a successful IMAP session reading about n recent messages
// (up to maxAge days old), and returns when it began and ended.
func (g *gen) imapSession(p *person, at time.Time, ip netip.Addr, mailbox string, n, maxAge int) (time.Time, time.Time) {
	if p.mailbox == 0 {
		p.mailbox = 5
	}
	n = max(0, n+g.r.IntN(5)-2)
	var uids []int
	for len(uids) < n && len(uids) < p.mailbox {
		u := p.mailbox - g.r.IntN(min(p.mailbox, 12*maxAge/7+1))
		if !slices.Contains(uids, u) {
			uids = append(uids, u)
		}
	}
	slices.Sort(uids)
	return g.readSession(p.name, "imap", at, ip, mailbox, uids, func(uid int) int { return (p.mailbox - uid) * 7 / 12 }, 5+g.r.IntN(15))
}

// readSession writes one session: auth, login, SELECT, UID FETCH of the
// UIDs with a mail_opened per message, logout with the counts.
func (g *gen) readSession(user, service string, at time.Time, ip netip.Addr, mailbox string, uids []int, age func(int) int, hdrs int) (time.Time, time.Time) {
	s, pid, rport := g.session(), g.nextPID(), 30000+g.r.IntN(30000)
	ips := ip.String()
	t := at
	g.emit(t, authFinished(t, user, service, s, ips, rport, true))
	g.emit(t, loginLine(t, user, service, s, ips, pid))
	bytes := 0
	if service == "imap" {
		t = t.Add(300 * time.Millisecond)
		g.emit(t, commandLine(t, user, ips, s, rport, "A2", "SELECT", mailbox, mailbox, `"imap:cmd_select"`, 334))
		if hdrs > 0 {
			t = t.Add(200 * time.Millisecond)
			g.emit(t, commandLine(t, user, ips, s, rport, "A3", "UID FETCH", "1:* (UID FLAGS BODY.PEEK[HEADER.FIELDS (FROM SUBJECT DATE)])", mailbox, `"imap:cmd_uid_fetch","imap:fetch_header_fields"`, hdrs*160))
		}
	}
	for i, uid := range uids {
		if len(uids) > 100 {
			t = t.Add(time.Duration(20+g.r.IntN(60)) * time.Millisecond) // a bulk download
		} else {
			t = t.Add(time.Duration(200+g.r.IntN(3000)) * time.Millisecond) // a person reading
		}
		sz := 2000 + g.r.IntN(60000)
		bytes += sz
		g.emit(t, mailOpened(t, user, service, ips, s, rport, mailbox, uid, i+1, age(uid)))
		if service == "imap" && (i == len(uids)-1 || i%50 == 49) {
			g.emit(t, commandLine(t, user, ips, s, rport, "A"+strconv.Itoa(4+i), "UID FETCH", uidSet(uids[max(0, i-49):i+1])+" (BODY.PEEK[])", mailbox, `"imap:cmd_uid_fetch","imap:fetch_body"`, sz))
		}
	}
	t = t.Add(time.Duration(1+g.r.IntN(20)) * time.Second)
	if service == "pop3" {
		g.emit(t, pop3Logout(t, user, s, pid, len(uids), bytes, len(uids)))
	} else {
		g.emit(t, imapLogout(t, user, s, pid, hdrs, len(uids), bytes))
	}
	return at, t
}

// failure writes one failed login attempt as Dovecot logs it: the auth
// process's verdict, the exporter's event, the login process's disconnect.
func (g *gen) failure(at time.Time, user, service string, ip netip.Addr, unknown bool) {
	s, rport, ips := g.session(), 30000+g.r.IntN(30000), ip.String()
	g.emit(at, mismatchLine(at, user, ips, s, unknown))
	g.emit(at, authFinished(at, user, service, s, ips, rport, false))
	g.emit(at.Add(2*time.Second), abortedLine(at.Add(2*time.Second), user, service, ips, s, 2))
}

const queueAlphabet = "0123456789ABCDEF"

// submit logs one message sent through the submission port.
func (g *gen) submit(user string, at time.Time, ip netip.Addr) {
	q := make([]byte, 11)
	for i := range q {
		q[i] = queueAlphabet[g.r.IntN(16)]
	}
	qid, pid := string(q), g.nextPID()
	g.emit(at, postfixSubmit(at, ip.String(), user, qid, pid))
	at = at.Add(150 * time.Millisecond)
	g.emit(at, postfixQueued(at, user, qid, 2000+g.r.IntN(200000), 1+g.r.IntN(3)))
}
