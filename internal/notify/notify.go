// Package notify delivers alerts: JSON lines on a writer (stdout), a webhook
// (generic JSON, or Slack- and Teams-compatible text), syslog lines in ArcSight
// CEF, and email over SMTP. Each output is one type implementing Notifier,
// listed in New's switch; Fanout sends to several, each with a minimum
// severity.
//
// The package must not decide what is an alert (internal/detect does), retry
// forever, or put more than the alert's own fields in a message.
package notify

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/vigilhq/vigil/internal/alert"
)

// Notifier delivers one alert.
type Notifier interface {
	Name() string
	Notify(ctx context.Context, a *alert.Alert) error
}

var (
	_ Notifier = (*JSONLines)(nil)
	_ Notifier = (*Webhook)(nil)
	_ Notifier = (*Syslog)(nil)
	_ Notifier = (*Email)(nil)
	_ Notifier = (*Fanout)(nil)
)

// ErrDelivery wraps every failure to deliver.
var ErrDelivery = errors.New("alert not delivered")

// Target is an output with the lowest severity it wants.
type Target struct {
	Notifier
	Min alert.Severity
}

// Fanout delivers each alert to every target that wants it; one target's
// failure does not stop the others.
type Fanout struct{ Targets []Target }

// Name implements Notifier.
func (*Fanout) Name() string { return "fanout" }

// Notify implements Notifier; the error joins every target's.
func (f *Fanout) Notify(ctx context.Context, a *alert.Alert) error {
	var errs []error
	for _, t := range f.Targets {
		if a.Severity < t.Min {
			continue
		}
		if err := t.Notify(ctx, a); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", t.Name(), err))
		}
	}
	return errors.Join(errs...)
}

// Text is the alert in a few plain lines, for chat and email.
func Text(a *alert.Alert) string {
	var b strings.Builder
	fmt.Fprintf(&b, "[%s] %s", strings.ToUpper(a.Severity.String()), a.Summary)
	fmt.Fprintf(&b, "\nrule %s", a.Rule)
	if len(a.Attack) > 0 {
		fmt.Fprintf(&b, " (ATT&CK %s)", strings.Join(a.Attack, ", "))
	}
	if a.Host != "" {
		fmt.Fprintf(&b, "; host %s", a.Host)
	}
	if a.User != "" {
		fmt.Fprintf(&b, "; account %s", a.User)
	}
	if a.SrcIP != "" {
		fmt.Fprintf(&b, "; from %s", a.SrcIP)
	}
	fmt.Fprintf(&b, "\nfirst seen %s, last seen %s; alert %s", a.FirstSeen.UTC().Format("2006-01-02 15:04:05Z"), a.LastSeen.UTC().Format("2006-01-02 15:04:05Z"), a.ID)
	if a.Incident != "" {
		fmt.Fprintf(&b, ", incident %s", a.Incident)
	}
	for _, r := range a.Evidence.Reads {
		fmt.Fprintf(&b, "\nread: %s %s: %d message(s), UIDs %s", r.User, r.Mailbox, r.Messages, r.UIDs)
	}
	for _, f := range a.Evidence.Findings {
		fmt.Fprintf(&b, "\n- %s", f)
	}
	return b.String()
}
