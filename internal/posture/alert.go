package posture

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"time"

	"github.com/vigilhq/vigil/internal/alert"
)

// Alert is a posture finding that crossed a threshold. Notice turns it into
// detection's alert, which internal/notify sends through the same outputs
// (webhook, syslog CEF, email).
type Alert struct {
	Time     time.Time `json:"time"`
	Host     string    `json:"host"`
	Rule     string    `json:"rule"`
	Severity string    `json:"severity"`
	Title    string    `json:"title"`
	// Evidence names the findings or figures behind the alert.
	Evidence []string `json:"evidence,omitempty"`
}

// Thresholds say when a posture figure becomes an alert. Zero days
// disable a rule.
type Thresholds struct {
	// NoSecurityUpdateDays: internet-facing hosts (mail servers) with no
	// security update (or, when that cannot be told, no update) for longer.
	NoSecurityUpdateDays int `yaml:"no_security_update_days"`
	// NoSecurityUpdateDaysInternal: the same for hosts not facing the internet.
	NoSecurityUpdateDaysInternal int `yaml:"no_security_update_days_internal"`
	// KEVPastDue: any exploited vulnerability past its due date.
	KEVPastDue bool `yaml:"kev_past_due"`
	// CriticalOverdue: any critical fix past its deadline.
	CriticalOverdue bool `yaml:"critical_overdue"`
}

// DefaultThresholds returns vigil's defaults: 90 days without a security update on an
// internet-facing host, 180 on others; KEV past due; critical overdue.
func DefaultThresholds() Thresholds {
	return Thresholds{NoSecurityUpdateDays: 90, NoSecurityUpdateDaysInternal: 180, KEVPastDue: true, CriticalOverdue: true}
}

// Alerts evaluates the thresholds against a report and returns the alerts,
// stamped with the report's as-of time.
func Alerts(r *Report, th Thresholds) []Alert {
	var out []Alert
	at := r.AsOf.Time
	limit := th.NoSecurityUpdateDaysInternal
	if r.InternetFacing {
		limit = th.NoSecurityUpdateDays
	}
	days, what, since := r.DaysSinceLastSecurityUpdate, "security update", r.LastSecurityUpdate
	if days == nil {
		days, what, since = r.DaysSinceLastUpdate, "update", r.LastUpdate
	}
	if limit > 0 && days != nil && *days > limit {
		facing := ""
		if r.InternetFacing {
			facing = "internet-facing "
		}
		out = append(out, Alert{
			Time: at, Host: r.Host, Rule: "posture.no-security-update", Severity: "high",
			Title:    fmt.Sprintf("No %s for %d days on %s%s (limit %d days)", what, *days, facing, r.Host, limit),
			Evidence: []string{fmt.Sprintf("last %s: %s", what, since.Format(time.DateOnly))},
		})
	}
	var kev, crit []string
	for _, f := range r.Findings {
		if !f.Overdue {
			continue
		}
		ev := fmt.Sprintf("%s %s %s → %s", f.ID, f.SourcePackage, f.InstalledVersion, f.FixedVersion)
		switch {
		case f.KEV && f.KEVDueDate != nil && at.After(f.KEVDueDate.Time):
			kev = append(kev, ev)
		case f.Severity.String() == "critical":
			crit = append(crit, ev)
		}
	}
	if th.KEVPastDue && len(kev) > 0 {
		out = append(out, Alert{Time: at, Host: r.Host, Rule: "posture.kev-past-due", Severity: "critical",
			Title: fmt.Sprintf("%s past the CISA due date on %s", plural(len(kev), "actively exploited vulnerability", "actively exploited vulnerabilities"), r.Host), Evidence: kev})
	}
	if th.CriticalOverdue && len(crit) > 0 {
		out = append(out, Alert{Time: at, Host: r.Host, Rule: "posture.critical-overdue", Severity: "high",
			Title: fmt.Sprintf("%s overdue on %s", plural(len(crit), "critical security fix", "critical security fixes"), r.Host), Evidence: crit})
	}
	return out
}

// Notice returns the alert as detection's alert.Alert, for internal/notify:
// Host names the host, the summary is the title, and the evidence lists the
// findings or figures. Its ID is derived from the rule, the host and the
// as-of time, so a rerun of the same report gives the same ID.
func (a Alert) Notice() (*alert.Alert, error) {
	sev, err := alert.ParseSeverity(a.Severity)
	if err != nil {
		return nil, fmt.Errorf("posture alert %s: %w", a.Rule, err)
	}
	h := sha256.New()
	for _, s := range []string{a.Rule, a.Host, a.Time.UTC().Format(time.RFC3339Nano)} {
		h.Write([]byte(s))
		h.Write([]byte{0})
	}
	return &alert.Alert{
		ID: hex.EncodeToString(h.Sum(nil)[:8]), Time: a.Time, Rule: a.Rule, Severity: sev, Host: a.Host,
		Attack: []string{}, Summary: a.Title, FirstSeen: a.Time, LastSeen: a.Time,
		Evidence: alert.Evidence{Count: len(a.Evidence), Findings: append([]string(nil), a.Evidence...)},
	}, nil
}
