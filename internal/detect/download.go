package detect

import (
	"fmt"

	"github.com/vigilhq/vigil/internal/alert"
	"github.com/vigilhq/vigil/internal/event"
)

// downloadFloor is the fewest messages a whole-mailbox download must take
// to be reported: emptying a near-empty folder says little.
const downloadFloor = 3

// mailboxDownload: a session that takes a whole mailbox with bodies — an
// IMAP body FETCH of 1:* (raised when the command finishes, while the session
// may still be open, so a responder can end it), or a POP3 session that
// retrieved every message (raised at logout). From a network, country or
// provider new to the account, or right after failed logins, it is
// critical; while the account's baseline is still learning it is high; from
// a known place (a mail program's first sync) medium.
type mailboxDownload struct{}

func (mailboxDownload) Name() string { return "mailbox-download" }

func (d mailboxDownload) Command(c Ctx, s *Session, ev *event.Event) {
	if !s.wholeBox || s.opened < downloadFloor || !isBodyFetch(ev.CommandArgs) {
		return
	}
	d.raise(c, s, fmt.Sprintf("%s fetched every message of %s with its body (%s %s) over IMAP from %s%s: %d messages so far.",
		s.User, ev.Mailbox, ev.Command, ev.CommandArgs, s.Src, newNote(s), s.opened))
}

func (d mailboxDownload) End(c Ctx, s *Session) {
	if s.Service != "pop3" || s.msgs < downloadFloor || s.bodies < s.msgs {
		return
	}
	d.raise(c, s, fmt.Sprintf("%s retrieved all %d messages of the mailbox over POP3 from %s%s.", s.User, s.msgs, s.Src, newNote(s)))
}

func (mailboxDownload) raise(c Ctx, s *Session, summary string) {
	sev := alert.Medium
	switch {
	case suspicious(s):
		sev = alert.Critical
	case !c.Mature(c.Baseline(s.User)):
		sev = alert.High
	}
	c.Raise(&alert.Alert{
		Time: s.Last, Rule: "mailbox-download", Severity: sev, User: s.User, SrcIP: ipString(s.Src),
		Attack: []string{"T1114.002"}, FirstSeen: s.Start, LastSeen: s.Last,
		Summary: summary, Evidence: alert.Evidence{Count: s.Opened(), Sessions: []string{s.ID}},
	}, s.ID, s)
}
