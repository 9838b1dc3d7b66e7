package detect

import (
	"fmt"
	"strings"

	"github.com/vigilhq/vigil/internal/alert"
)

// newService: a protocol the account never used (POP3 or IMAP where it
// always used webmail), after learning. High when the network is new too;
// low for webmail, which reads through the clinic's own server.
type newService struct{}

func (newService) Name() string { return "new-protocol" }

func (newService) Login(c Ctx, s *Session) {
	b := c.Baseline(s.User)
	if !s.NewService || !c.Mature(b) {
		return
	}
	sev := alert.Medium
	also := ""
	switch {
	case !direct(s.Service):
		// Webmail goes through the clinic's own server; its country is
		// new-country's to judge.
		sev = alert.Low
	case s.NewNet || s.NewASN || s.NewCountry:
		sev, also = alert.High, ", from a network it never used"
	}
	c.Raise(&alert.Alert{
		Time: s.Start, Rule: "new-protocol", Severity: sev, User: s.User, SrcIP: s.Src.String(),
		Attack:   []string{"T1078", "T1114.002"},
		Summary:  fmt.Sprintf("%s logged in over %s from %s%s; this account only ever used %s.", s.User, strings.ToUpper(s.Service), s.Src, also, strings.Join(b.ServiceNames(), ", ")),
		Evidence: alert.Evidence{Sessions: []string{s.ID}, Events: s.refs},
	}, s.Service, s)
}
