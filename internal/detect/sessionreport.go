package detect

import (
	"fmt"

	"github.com/vigilhq/vigil/internal/alert"
)

// sessionReport: when a session that raised an alert ends, what it read —
// the UIDs per mailbox, exact from mail_opened, or the commands' message
// sets and the logout counts as an upper bound.
type sessionReport struct{}

func (sessionReport) Name() string { return "session-read" }

func (sessionReport) End(c Ctx, s *Session) {
	if s.flagged < alert.Medium {
		return
	}
	reads := s.reads()
	if len(reads) == 0 {
		return
	}
	how := "exactly (mail_opened)"
	if !reads[0].Exact {
		how = "as an upper bound: Dovecot logged no mail_opened, so this is the FETCH message sets and the logout counts"
	}
	c.Raise(&alert.Alert{
		Time: s.Last, Rule: "session-read", Severity: s.flagged, User: s.User, SrcIP: ipString(s.Src),
		Attack: []string{"T1114.002"}, FirstSeen: s.Start, LastSeen: s.Last,
		Summary: fmt.Sprintf("The flagged %s session of %s from %s (%s to %s) read %d message(s); listed %s.",
			s.Service, s.User, ipString(s.Src), s.Start.Format("2006-01-02 15:04:05"), s.Last.Format("15:04:05"), s.Opened(), how),
		Evidence: alert.Evidence{Count: s.Opened(), Sessions: []string{s.ID}, Reads: reads},
	}, s.ID, nil)
}
