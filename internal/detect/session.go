package detect

import (
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/vigilhq/vigil/internal/alert"
	"github.com/vigilhq/vigil/internal/event"
)

// Session is one client session on the mail server, joined from Dovecot's
// login, exporter and logout events by session id.
type Session struct {
	ID      string
	User    string
	Src     netip.Addr
	Service string
	Start   time.Time
	Last    time.Time
	// Place is where Src is, when a database says.
	Place    Place
	HasPlace bool
	// NewNet, NewCountry, NewASN and NewService are what was new for the
	// account at login (false while the baseline is learning).
	NewNet, NewCountry, NewASN, NewService bool
	// AfterFailures is set when the source failed to log in shortly before.
	AfterFailures bool

	opened    int // mail_opened events
	old       int // of which mail_age_days >= OldDays
	mailboxes []mailboxRead
	fetchSets []string // message sets of body FETCH commands, for sessions without mail_opened
	fetchBox  string
	hdrSets   []string // message sets of header-only FETCH commands
	hdrBox    string
	bodies    int64 // logout counts
	hdrs      int64
	bodyBytes int64
	msgs      int64 // POP3: messages in the mailbox at login (del=N/msgs)
	wholeBox  bool  // a body FETCH of 1:* (every message of a folder)
	// wholeCmd is that FETCH's imap_command_finished, run through the
	// command detectors again by mail_opened events that arrive after it.
	wholeCmd *event.Event
	endAt    time.Time // logged out; ends then (Config.EndGrace)
	ended    bool
	flagged  alert.Severity
	refs     []string
}

type mailboxRead struct {
	name string
	uids []uint32
	old  int
}

// Opened is the number of messages the session opened so far (mail_opened),
// or, once it ended without mail_opened events, its logout body count.
func (s *Session) Opened() int {
	if s.opened == 0 && s.ended {
		return int(s.bodies)
	}
	return s.opened
}

// Old is the number of opened messages at least Config.OldDays old.
func (s *Session) Old() int { return s.old }

// Flagged is the highest severity raised about this session.
func (s *Session) Flagged() alert.Severity { return s.flagged }

// Mailboxes lists the mailboxes the session opened messages in.
func (s *Session) Mailboxes() []string {
	var out []string
	for _, m := range s.mailboxes {
		out = append(out, m.name)
	}
	return out
}

// reads renders the session's reads as evidence.
func (s *Session) reads() []alert.Read {
	var out []alert.Read
	bound := ""
	if s.ended && (s.bodies > 0 || s.hdrs > 0) {
		bound = strconv.FormatInt(s.bodies, 10) + " bodies, " + strconv.FormatInt(s.hdrs, 10) + " headers fetched (logout counts)"
	}
	for _, m := range s.mailboxes {
		u := slices.Clone(m.uids)
		slices.Sort(u)
		u = slices.Compact(u)
		out = append(out, alert.Read{Session: s.ID, User: s.User, Mailbox: m.name, UIDs: uidSet(u), Exact: true, Messages: len(u), OldMessages: m.old, Bound: bound})
	}
	if len(out) == 0 && (len(s.fetchSets) > 0 || s.bodies > 0) {
		out = append(out, alert.Read{Session: s.ID, User: s.User, Mailbox: s.fetchBox, UIDs: strings.Join(s.fetchSets, "; "), Exact: false, Messages: int(s.bodies), Bound: bound})
	}
	// Header fields served from Dovecot's cache (ENVELOPE, HEADER.FIELDS)
	// leave no mail_opened and no hdr_count (seen on 2.3.19): the header-only
	// FETCH sets are listed too, marked as an upper bound.
	if len(out) > 0 && out[0].Exact && len(s.hdrSets) > 0 {
		b := "header-only FETCH commands; fields served from Dovecot's cache leave no per-message event, so this set is an upper bound"
		if bound != "" {
			b = bound + "; " + b
		}
		out = append(out, alert.Read{Session: s.ID, User: s.User, Mailbox: s.hdrBox, UIDs: strings.Join(s.hdrSets, "; "), Exact: false, Messages: int(s.hdrs), Bound: b})
	}
	return out
}

func uidSet(u []uint32) string {
	var b strings.Builder
	for i := 0; i < len(u); {
		j := i
		for j+1 < len(u) && u[j+1] == u[j]+1 {
			j++
		}
		if b.Len() > 0 {
			b.WriteByte(',')
		}
		b.WriteString(strconv.FormatUint(uint64(u[i]), 10))
		if j > i {
			b.WriteByte(':')
			b.WriteString(strconv.FormatUint(uint64(u[j]), 10))
		}
		i = j + 1
	}
	return b.String()
}

// Failure is one failed login attempt, counted once however many lines
// Dovecot wrote about it.
type Failure struct {
	Time    time.Time
	User    string
	Src     netip.Addr
	Service string
	Ref     string
}

type failMark struct {
	sec int64
	n   int64
	t   time.Time
}

func ref(ev *event.Event) string {
	if ev.LogName == "" {
		return ""
	}
	return ev.LogName + ":" + strconv.FormatInt(ev.LogLine, 10)
}

// route joins ev into the session state and calls the detectors' hooks.
func (e *Engine) route(ev *event.Event) {
	switch ev.Class {
	case event.ClassAuthentication:
		switch {
		case ev.Activity == event.Logon && ev.Status == event.Success:
			e.login(ev)
		case ev.Activity == event.Logon && ev.Status == event.Failure:
			e.failure(ev)
		case ev.Activity == event.Logoff:
			if s := e.sessions[ev.Session]; s != nil && ev.Session != "" {
				s.bodies = ev.Counts.BodyCount + ev.Counts.RetrCount
				s.hdrs = ev.Counts.HdrCount + ev.Counts.TopCount
				s.bodyBytes = ev.Counts.BodyBytes + ev.Counts.RetrBytes
				s.msgs = ev.Counts.MsgCount
				s.Last = ev.Time
				if e.cfg.EndGrace > 0 {
					s.endAt = ev.Time.Add(e.cfg.EndGrace)
					e.pending[s.ID] = s
				} else {
					e.endSession(s)
				}
			}
		}
	case event.ClassEmail:
		c := Ctx{e}
		for _, d := range e.onMail {
			d.Mail(c, ev)
		}
	case event.ClassDatastore:
		if ev.Activity == event.APIRead {
			e.read(ev)
		}
	case event.ClassAPI:
		s := e.sessions[ev.Session]
		if s == nil || ev.Session == "" {
			return
		}
		if strings.Contains(ev.Command, "FETCH") {
			s.fetch(ev)
		}
		c := Ctx{e}
		for _, d := range e.onCommand {
			d.Command(c, s, ev)
		}
	}
}

// fetch records a finished FETCH command of s: its message set among the
// body or the header-only FETCHes (at most 32 of each).
func (s *Session) fetch(ev *event.Event) {
	raw, _, _ := strings.Cut(ev.CommandArgs, " ")
	if !isBodyFetch(ev.CommandArgs) {
		if len(s.hdrSets) < 32 {
			s.hdrSets = append(s.hdrSets, fetchSet(ev.Command, raw))
			if ev.Mailbox != "" {
				s.hdrBox = ev.Mailbox
			}
		}
		return
	}
	if len(s.fetchSets) < 32 {
		s.fetchSets = append(s.fetchSets, fetchSet(ev.Command, raw))
	}
	if ev.Mailbox != "" {
		s.fetchBox = ev.Mailbox
	}
	s.Last = ev.Time
	if raw == "1:*" {
		s.wholeBox = true
		cmd := *ev
		s.wholeCmd = &cmd
	}
}

// fetchSet is a FETCH's message set as listed in an alert: sequence numbers
// are marked as such (a UID FETCH's set is UIDs).
func fetchSet(command, set string) string {
	if !strings.HasPrefix(command, "UID") {
		return set + " (sequence numbers)"
	}
	return set
}

// isBodyFetch reports whether FETCH arguments ask for message bodies.
func isBodyFetch(args string) bool {
	u := strings.ToUpper(args)
	for _, k := range []string{"BODY[]", "BODY.PEEK[]", "BODY[TEXT]", "BODY.PEEK[TEXT]", "BINARY[]", "BINARY.PEEK[]"} {
		if strings.Contains(u, k) {
			return true
		}
	}
	for i := strings.Index(u, "RFC822"); i >= 0; {
		if j := i + len("RFC822"); j == len(u) || u[j] != '.' {
			return true
		}
		k := strings.Index(u[i+1:], "RFC822")
		if k < 0 {
			break
		}
		i += 1 + k
	}
	return false
}

func (e *Engine) login(ev *event.Event) {
	if ev.User == "" {
		return
	}
	if ev.Session != "" && ev.Service != "webmail" {
		if s := e.sessions[ev.Session]; s != nil {
			if !s.Src.IsValid() {
				s.Src = ev.Src.IP
			}
			return // the same login told twice (exporter and login process)
		}
	}
	s := &Session{ID: ev.Session, User: ev.User, Src: ev.Src.IP.Unmap(), Service: ev.Service, Start: ev.Time, Last: ev.Time}
	if r := ref(ev); r != "" {
		s.refs = append(s.refs, r)
	}
	e.classify(s)
	c := Ctx{e}
	for _, d := range e.onLogin {
		d.Login(c, s)
	}
	if ev.Service == "webmail" || ev.Session == "" {
		s.ended = true
		e.learnSession(s)
		return
	}
	e.sessions[ev.Session] = s
}

// classify records what is new about the session for its account.
func (e *Engine) classify(s *Session) {
	b, _ := e.baseline(s.User)
	if s.Src.IsValid() && e.geo != nil {
		s.Place, s.HasPlace = e.geo.Lookup(s.Src)
	}
	if b.ActiveDays < e.cfg.LearnDays {
		return
	}
	s.NewNet = s.Src.IsValid() && !b.HasNet(s.Src)
	if s.HasPlace {
		s.NewCountry = s.Place.Country != "" && !b.HasCountry(s.Place.Country)
		s.NewASN = s.Place.ASN != 0 && !b.HasASN(s.Place.ASN)
	}
	s.NewService = s.Service != "" && !b.HasService(s.Service)
}

func (e *Engine) read(ev *event.Event) {
	s := e.sessions[ev.Session]
	if s == nil {
		if ev.Session == "" || ev.User == "" {
			return
		}
		// A mail_opened whose login was not seen (the log began mid-session).
		s = &Session{ID: ev.Session, User: ev.User, Src: ev.Src.IP.Unmap(), Service: ev.Service, Start: ev.Time}
		e.classify(s)
		e.sessions[ev.Session] = s
	}
	s.Last = ev.Time
	s.opened++
	if ev.HasMailAge && int(ev.MailAgeDays) >= e.cfg.OldDays {
		s.old++
	}
	mb := ev.Mailbox
	var m *mailboxRead
	for i := range s.mailboxes {
		if s.mailboxes[i].name == mb {
			m = &s.mailboxes[i]
		}
	}
	if m == nil {
		s.mailboxes = append(s.mailboxes, mailboxRead{name: mb})
		m = &s.mailboxes[len(s.mailboxes)-1]
	}
	if len(m.uids) < 1<<20 {
		m.uids = append(m.uids, ev.UID)
	}
	if ev.HasMailAge && int(ev.MailAgeDays) >= e.cfg.OldDays {
		m.old++
	}
	c := Ctx{e}
	for _, d := range e.onRead {
		d.Read(c, s, ev)
	}
	// Dovecot's http-post exporter sends events concurrently, so a FETCH's
	// command event can arrive before the mail_opened events it caused: the
	// command detectors see the FETCH again as its messages arrive (their
	// alerts are suppressed once raised for the session).
	if s.wholeCmd != nil {
		for _, d := range e.onCommand {
			d.Command(c, s, s.wholeCmd)
		}
	}
}

func (e *Engine) failure(ev *event.Event) {
	if ev.Status != event.Failure || ev.StatusDetail == "" && !ev.Src.IP.IsValid() {
		return
	}
	n := int64(1)
	if ev.Session != "" {
		m := e.failSeen[ev.Session]
		if ev.Counts.Has&event.HasAuth != 0 {
			// The login process's summary: count what the auth process did not.
			n = max(ev.Counts.AuthFailures, ev.Counts.AuthAttempts) - m.n
			delete(e.failSeen, ev.Session)
		} else {
			sec := ev.Time.Unix()
			if m.n > 0 && m.sec == sec {
				return // the exporter's and the auth process's line about one attempt
			}
			m.sec, m.t = sec, ev.Time
			m.n++
			e.failSeen[ev.Session] = m
		}
	}
	f := Failure{Time: ev.Time, User: ev.User, Src: ev.Src.IP.Unmap(), Service: ev.Service, Ref: ref(ev)}
	c := Ctx{e}
	for i := int64(0); i < min(n, 50); i++ {
		for _, d := range e.onFail {
			d.Failure(c, f)
		}
	}
}

func (e *Engine) endSession(s *Session) {
	if s.ended && e.sessions[s.ID] != s {
		return
	}
	s.ended = true
	delete(e.sessions, s.ID)
	c := Ctx{e}
	for _, d := range e.onEnd {
		d.End(c, s)
	}
	e.learnSession(s)
}

// sweep ends sessions idle too long and forgets old failure marks.
func (e *Engine) sweep(now time.Time) {
	e.lastSweep = now
	for _, s := range e.sessions {
		if now.Sub(s.Last) > e.cfg.SessionIdle {
			e.endSession(s)
		}
	}
	for _, d := range e.sweepers {
		d.Sweep(now)
	}
	for k, m := range e.failSeen {
		if now.Sub(m.t) > time.Hour {
			delete(e.failSeen, k)
		}
	}
	for k, t := range e.suppress {
		if now.Sub(t) > e.cfg.Suppress {
			delete(e.suppress, k)
		}
	}
}
