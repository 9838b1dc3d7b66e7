package posture

import (
	"fmt"
	"strings"
	"time"

	"github.com/vigilhq/vigil/internal/vulndb"
)

// Grades, best first, with the word a report uses for each.
var verdicts = map[string]string{"A": "good", "B": "fair", "C": "needs attention", "D": "poor", "F": "failing"}

// grade sets r.Grade, r.Verdict and r.Reasons from the findings and
// figures. The grade is the worst any single reason earns.
func grade(r *Report, haveHistory bool) {
	g := "A"
	worse := func(to string) {
		if to > g {
			g = to
		}
	}
	var reasons []string
	add := func(to, text string) {
		worse(to)
		reasons = append(reasons, text)
	}
	// stale grades d days without an update: over 30 is C, over 90 D, over 180 F.
	stale := func(d int, text string) {
		switch {
		case d > 180:
			add("F", text)
		case d > 90:
			add("D", text)
		case d > 30:
			add("C", text)
		}
	}
	asOf := r.AsOf.Time

	// Time since the last update, and the last security update.
	switch {
	case r.DaysSinceLastUpdate == nil && haveHistory:
		add("C", "The update history given shows no package ever being installed or upgraded.")
	case r.DaysSinceLastUpdate == nil:
		reasons = append(reasons, "vigil was not given this server's update history (apt's history.log), so it cannot say when the server was last updated.")
	default:
		stale(*r.DaysSinceLastUpdate, fmt.Sprintf("This server has not been updated for %s (last update on %s).", age(r.LastUpdate.Time, asOf), longDate(r.LastUpdate.Time)))
	}
	fixable := 0
	for _, f := range r.Findings {
		if f.FixedVersion != "" {
			fixable++
		}
	}
	if r.DaysSinceLastSecurityUpdate != nil && fixable > 0 {
		stale(*r.DaysSinceLastSecurityUpdate, fmt.Sprintf("No security update has been installed for %s (the last one was on %s), while %s waiting.",
			age(r.LastSecurityUpdate.Time, asOf), longDate(r.LastSecurityUpdate.Time), plural(fixable, "security fix is", "security fixes are")))
	}

	// Exploited vulnerabilities.
	var kevOver, kevOpen []Finding
	for _, f := range r.Findings {
		switch {
		case f.KEV && f.Overdue && strings.HasPrefix(f.OverdueReason, "exploited"):
			kevOver = append(kevOver, f)
		case f.KEV:
			kevOpen = append(kevOpen, f)
		}
	}
	if len(kevOver) > 0 {
		add("F", fmt.Sprintf("Criminals are known to be exploiting %s on this server (CISA's Known Exploited Vulnerabilities list), and the deadline to fix %s has passed: %s.",
			plural(len(kevOver), "weakness", "weaknesses"), them(len(kevOver)), listFindings(kevOver, true)))
	}
	if len(kevOpen) > 0 {
		add("D", fmt.Sprintf("Criminals are known to be exploiting %s on this server (CISA's Known Exploited Vulnerabilities list); fix %s before the due date: %s.",
			plural(len(kevOpen), "weakness", "weaknesses"), them(len(kevOpen)), listFindings(kevOpen, true)))
	}
	for _, f := range append(kevOver, kevOpen...) {
		if f.KEVRansomware {
			add("F", fmt.Sprintf("%s is used by ransomware gangs; install the %s update now.", primaryCVE(f), f.Package))
			break
		}
	}

	// SLA breaches by severity.
	bySev := map[vulndb.Severity][]Finding{}
	for _, f := range r.Findings {
		if f.Overdue && !strings.HasPrefix(f.OverdueReason, "exploited") {
			bySev[f.Severity] = append(bySev[f.Severity], f)
		}
	}
	for _, s := range []vulndb.Severity{vulndb.SeverityCritical, vulndb.SeverityHigh, vulndb.SeverityMedium, vulndb.SeverityLow} {
		fs := bySev[s]
		if len(fs) == 0 {
			continue
		}
		to := map[vulndb.Severity]string{vulndb.SeverityCritical: "F", vulndb.SeverityHigh: "D", vulndb.SeverityMedium: "C", vulndb.SeverityLow: "C"}[s]
		add(to, fmt.Sprintf("%s for %s problems %s overdue (the deadline is %d days after a fix comes out): %s.",
			capital(plural(len(fs), "security fix", "security fixes")), s, isAre(len(fs)), fs[0].SLADays, listFindings(fs, false)))
	}
	if fixable > 0 && r.Overdue == 0 {
		add("B", fmt.Sprintf("%s waiting to be installed, none of them overdue yet.", capital(plural(fixable, "security fix is", "security fixes are"))))
	}
	if u := r.UnattendedUpgrades; u != nil && u.Known && !u.Enabled {
		add("C", fmt.Sprintf("Automatic security updates are switched off (%s).", u.File))
	} else if u != nil && u.Known && u.Enabled && r.DaysSinceLastUpdate != nil && *r.DaysSinceLastUpdate > 30 {
		reasons = append(reasons, fmt.Sprintf("Automatic updates are configured (%s), yet nothing was installed for %d days: check that they run.", u.File, *r.DaysSinceLastUpdate))
	}
	if len(reasons) == 0 || g == "A" {
		reasons = append(reasons, "No known security fixes are waiting to be installed.")
	}
	r.Grade, r.Verdict, r.Reasons = g, verdicts[g], reasons
	r.Advice = advice(r)
}

// advice says what to do first, in a sentence.
func advice(r *Report) string {
	if r.Grade <= "B" {
		return ""
	}
	base, _, _ := strings.Cut(r.OS, ":")
	var s string
	switch base {
	case "Debian", "Ubuntu":
		s = "Install the waiting updates now (apt update, then apt upgrade) and switch on automatic security updates (the unattended-upgrades package)."
	case "Alpine":
		s = "Install the waiting updates now (apk update, then apk upgrade) and schedule them to run daily."
	case "AlmaLinux", "Rocky Linux", "Red Hat":
		s = "Install the waiting updates now (dnf upgrade --security) and switch on dnf-automatic."
	default:
		s = "Install the waiting security updates now, and schedule them to run automatically."
	}
	for _, f := range r.Findings {
		if f.Ecosystem == vulndb.ExchangeEcosystem && f.FixedVersion != "" {
			s += " For Exchange, install the security updates listed (Microsoft's Exchange Server build numbers page says which build each one brings)."
			break
		}
	}
	return s
}

// age says how long from a to b in words: "13 months", "3 weeks", "5 days".
func age(a, b time.Time) string {
	months := (b.Year()-a.Year())*12 + int(b.Month()) - int(a.Month())
	if b.Day() < a.Day() {
		months--
	}
	d := days(a, b)
	switch {
	case months >= 24 && months%12 == 0:
		return fmt.Sprintf("%d years", months/12)
	case months >= 24:
		return fmt.Sprintf("%d years and %s", months/12, plural(months%12, "month", "months"))
	case months >= 2:
		return fmt.Sprintf("%d months", months)
	case d >= 14:
		return fmt.Sprintf("%d weeks", d/7)
	}
	return plural(d, "day", "days")
}

func longDate(t time.Time) string { return t.Format("2 January 2006") }

func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}

func isAre(n int) string {
	if n == 1 {
		return "is"
	}
	return "are"
}

func them(n int) string {
	if n == 1 {
		return "it"
	}
	return "them"
}

func capital(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

func primaryCVE(f Finding) string {
	for _, a := range f.Aliases {
		if strings.HasPrefix(a, "CVE-") {
			return a
		}
	}
	return f.ID
}

// listFindings names up to five findings: "openssl (CVE-2021-3449, fix
// available for 510 days)".
func listFindings(fs []Finding, withDue bool) string {
	var parts []string
	for i, f := range fs {
		if i == 5 {
			parts = append(parts, fmt.Sprintf("and %d more", len(fs)-5))
			break
		}
		var detail []string
		if withDue && f.KEVCVE != "" {
			detail = append(detail, f.KEVCVE)
		} else {
			detail = append(detail, primaryCVE(f))
		}
		if withDue && f.KEVDueDate != nil {
			detail = append(detail, "due "+longDate(f.KEVDueDate.Time))
		}
		if f.PatchLagDays != nil {
			detail = append(detail, fmt.Sprintf("fix available for %d days", *f.PatchLagDays))
		}
		parts = append(parts, fmt.Sprintf("%s (%s)", f.SourcePackage, strings.Join(detail, ", ")))
	}
	return strings.Join(parts, "; ")
}
