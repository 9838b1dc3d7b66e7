package detect

import (
	"fmt"
	"strings"

	"github.com/vigilhq/vigil/internal/alert"
)

// newNetwork: a login from a country, an ASN or (without a database) a
// network the account never used, once its baseline has finished learning.
// A new country over IMAP or POP3 — the mailbox read straight from abroad —
// is high; through webmail it is medium.
type newNetwork struct{}

func (newNetwork) Name() string { return "new-network" }

func (newNetwork) Login(c Ctx, s *Session) {
	b := c.Baseline(s.User)
	if !c.Mature(b) {
		return
	}
	switch {
	case s.NewCountry:
		sev := alert.Medium
		if direct(s.Service) {
			sev = alert.High
		}
		c.Raise(&alert.Alert{
			Time: s.Start, Rule: "new-country", Severity: sev, User: s.User, SrcIP: s.Src.String(),
			Attack:   []string{"T1078"},
			Summary:  fmt.Sprintf("%s logged in over %s from %s (%s, %s), a country this account never used; it normally logs in from %s.", s.User, s.Service, s.Src, s.Place.Country, orgOf(s.Place), strings.Join(b.Countries, ", ")),
			Evidence: alert.Evidence{Sessions: []string{s.ID}, Events: s.refs},
		}, s.Place.Country, s)
	case s.NewASN:
		c.Raise(&alert.Alert{
			Time: s.Start, Rule: "new-network", Severity: alert.Low, User: s.User, SrcIP: s.Src.String(),
			Attack:   []string{"T1078"},
			Summary:  fmt.Sprintf("%s logged in over %s from %s (%s), a network provider this account never used.", s.User, s.Service, s.Src, orgOf(s.Place)),
			Evidence: alert.Evidence{Sessions: []string{s.ID}, Events: s.refs},
		}, fmt.Sprint(s.Place.ASN), s)
	case s.NewNet && !s.HasPlace:
		c.Raise(&alert.Alert{
			Time: s.Start, Rule: "new-network", Severity: alert.Low, User: s.User, SrcIP: s.Src.String(),
			Attack:   []string{"T1078"},
			Summary:  fmt.Sprintf("%s logged in over %s from %s, a network (%s) this account never used.", s.User, s.Service, s.Src, netOf(s.Src)),
			Evidence: alert.Evidence{Sessions: []string{s.ID}, Events: s.refs},
		}, netOf(s.Src).String(), s)
	}
}

func orgOf(p Place) string {
	if p.Org != "" {
		return fmt.Sprintf("AS%d %s", p.ASN, p.Org)
	}
	if p.ASN != 0 {
		return fmt.Sprintf("AS%d", p.ASN)
	}
	return "network unknown"
}
