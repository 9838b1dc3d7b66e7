package demo

import (
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/vigilhq/vigil/internal/alert"
)

// section is one part of the story: a title and its lines, rendered as
// text (Story) or Markdown (Markdown).
type section struct {
	title string
	lines []string
}

const stamp = "2006-01-02 15:04 MST"

// kinds names the scanner's finding types in plain words.
var kinds = map[string]string{
	"nhs_number": "NHS numbers", "chi_number": "CHI numbers", "nino": "National Insurance numbers",
	"date_of_birth": "dates of birth", "postcode": "postcodes", "phone": "phone numbers", "email": "email addresses",
	"person_name": "names", "icd10": "diagnoses (ICD-10)", "snomed_ct": "clinical terms (SNOMED CT)",
	"medication": "medications", "payment_card": "payment cards", "iban": "bank accounts (IBAN)", "mrn": "hospital numbers",
}

// plural writes n and the noun, with an s unless n is 1.
func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

// span says a duration the way a manager would.
func span(d time.Duration) string {
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%d seconds", int(d.Seconds()))
	case d < 2*time.Hour:
		return plural(int(d.Minutes()), "minute")
	case d < 48*time.Hour:
		return plural(int(d.Hours()), "hour")
	default:
		return plural(int(d.Hours()/24), "day")
	}
}

func (r *Result) sections() []section {
	at, ex, po := r.Attack, r.Exposure, r.Posture
	days := int(r.Now.Sub(r.LogsFrom).Hours() / 24)
	var s []section
	s = append(s, section{"The clinic", []string{
		fmt.Sprintf("%d staff accounts (and a shared reception mailbox), %d patients, %d days of mail-server logs (%s to %s, %d lines),",
			r.Staff, r.Patients, days, r.LogsFrom.Format(time.DateOnly), r.Now.Format(time.DateOnly), r.LogLines),
		fmt.Sprintf("and %s's mailbox of %d messages with letters, results and referrals (PDF and DOCX attachments).", at.Account, r.Messages),
		"Detection ran on " + r.Pipeline + ".",
	}})
	if d := r.Detection; d != nil && d.Database != "" {
		s[len(s)-1].lines = append(s[len(s)-1].lines, fmt.Sprintf("vigil serve read all %d lines, stored %d events in SQLite and ran %d through detection, which stored %s and %s there.",
			d.Lines, d.Stored, d.Events, plural(len(d.Alerts), "alert"), plural(len(d.Incidents), "incident")))
	}

	delay := at.Alerted.Sub(at.Began)
	happened := []string{
		fmt.Sprintf("Attack began:  %s, the first trace of %s in vigil's alerts (%s).", at.Began.Format(stamp), at.Source, at.FirstRule),
		fmt.Sprintf("vigil alerted: %s, %s later: %s (%s).", at.Alerted.Format(stamp), span(delay), at.Rule, strings.TrimSuffix(at.Summary, ".")),
		fmt.Sprintf("Account:       %s, from %s; that address was still at it on %s (%s from it in all).", at.Account, at.Source, at.LastSeen.Format(stamp), plural(at.Alerts, "alert")),
		fmt.Sprintf("In the founding case nobody noticed for about three months; here the alert came %s after the first attempt.", span(delay)),
	}
	if after := at.LastSeen.Sub(at.Alerted); after > 48*time.Hour {
		happened = append(happened, fmt.Sprintf("Acting on it would have spared the %s of reading and downloading that followed.", span(after)))
	}
	s = append(s, section{"What happened", happened})

	if ex != nil {
		lines := []string{
			fmt.Sprintf("Messages read:    %d in %s (%d with personal data, %d with health data).", ex.MessagesRead, plural(ex.Sessions, "session"), ex.MessagesWithPersonalData, ex.MessagesWithHealthData),
			fmt.Sprintf("Patients exposed: %d distinct patients, %d of them with health data (special category data).", ex.DistinctSubjects, ex.SubjectsWithHealthData),
			"Kinds of data:    " + categories(ex.Categories) + ".",
		}
		if ex.Exact {
			lines = append(lines, "The counts are exact: every message the attacker opened was found in the mailbox and scanned in full.")
		} else {
			lines = append(lines, "The counts are NOT exact: "+strings.Join(ex.Why, "; ")+".")
		}
		s = append(s, section{"What the attacker saw", lines})
	}

	if po != nil {
		lines := []string{fmt.Sprintf("Grade %s (%s), as of %s.", po.Grade, po.Verdict, po.AsOf.Format(time.DateOnly))}
		for _, why := range po.Reasons {
			lines = append(lines, "- "+why)
		}
		if po.LastUpdate != nil && po.DaysSinceLastUpdate != nil {
			lines = append(lines, fmt.Sprintf("Last update: %s, %d days (%d months) before the attack was caught.",
				po.LastUpdate.Format(time.DateOnly), *po.DaysSinceLastUpdate, *po.DaysSinceLastUpdate*12/365))
		}
		kev := 0
		for _, f := range po.Findings {
			if f.KEV {
				kev++
			}
		}
		lines = append(lines, fmt.Sprintf("%d known vulnerabilities with a fix waiting, %d overdue, %d on CISA's list of exploited bugs as of that date (KEV data: %s).",
			len(po.Findings), po.Overdue, kev, r.KEVSource))
		s = append(s, section{"The mail server: " + po.Host, lines})
	}

	next := []string{
		fmt.Sprintf("1. Now: change %s's password, end its sessions, and block %s at the firewall.", at.Account, at.Source),
		"2. Today: check the account's forwarding rules and app passwords, and turn on two-factor sign-in for webmail.",
	}
	if po != nil && po.Advice != "" {
		next = append(next, "3. This week: patch the mail server. "+po.Advice)
	} else {
		next = append(next, "3. This week: patch the mail server.")
	}
	if ex != nil && ex.DistinctSubjects > 0 {
		next = append(next,
			"4. Within 72 hours of becoming aware: report the breach to the ICO (UK GDPR Article 33).",
			fmt.Sprintf("5. Tell the %d patients (Article 34): the encrypted notification list below names them.", ex.DistinctSubjects))
	}
	s = append(s, section{"What to do next", next})

	var other []string
	for _, sev := range []alert.Severity{alert.Critical, alert.High, alert.Medium, alert.Low} {
		if n := r.Other[sev.String()]; n > 0 {
			other = append(other, fmt.Sprintf("%d %s", n, sev))
		}
	}
	if len(other) > 0 {
		s = append(s, section{"Everything else vigil raised", []string{
			fmt.Sprintf("%s in other incidents (normal clinic life: phones changing networks, a doctor on holiday); all of them in the JSON report.", strings.Join(other, ", ")),
		}})
	}

	files := []string{
		"JSON report:        " + r.Files["json"],
		"Markdown report:    " + r.Files["markdown"],
	}
	if f := r.Files["notification_list"]; f != "" {
		files = append(files, "Notification list:  "+f+" (age-encrypted)",
			"Its key:            "+r.Files["notification_key"]+fmt.Sprintf(" (decrypt: age -d -i %s %s)", r.Files["notification_key"], f))
	}
	if f := r.Files["serve_config"]; f != "" {
		files = append(files,
			"Serve config:       "+f+" (vigil serve --config "+f+")",
			"SQLite store:       "+r.Files["store"])
	}
	files = append(files,
		"Exposure audit log: "+r.Files["exposure_audit_log"],
		"The clinic:         "+r.Clinic.Dir+" (logs/, mail/, patients.csv, server/)")
	s = append(s, section{"The full reports", files})
	return s
}

// categories lists the kinds of data found, most patients first.
func categories(m map[string]int) string {
	type kv struct {
		k string
		n int
	}
	var all []kv
	for k, n := range m {
		all = append(all, kv{k, n})
	}
	sort.Slice(all, func(i, j int) bool {
		if all[i].n != all[j].n {
			return all[i].n > all[j].n
		}
		return all[i].k < all[j].k
	})
	var parts []string
	for _, x := range all {
		name := kinds[x.k]
		if name == "" {
			name = x.k
		}
		parts = append(parts, fmt.Sprintf("%s (%d patients)", name, x.n))
	}
	if len(parts) == 0 {
		return "none found"
	}
	return strings.Join(parts, ", ")
}

// Story writes the story for a terminal. Write errors show at the caller's
// flush.
func (r *Result) Story(w io.Writer) {
	_, _ = fmt.Fprintln(w, "vigil demo: the founding case, replayed and caught")
	for _, s := range r.sections() {
		_, _ = fmt.Fprintf(w, "\n%s\n", s.title)
		for _, l := range s.lines {
			_, _ = fmt.Fprintf(w, "  %s\n", l)
		}
	}
}

// Markdown writes the story as Markdown, then the incidents as a table.
func (r *Result) Markdown(w io.Writer) {
	_, _ = fmt.Fprintln(w, "# vigil demo: the founding case, replayed and caught")
	for _, s := range r.sections() {
		_, _ = fmt.Fprintf(w, "\n## %s\n\n", s.title)
		for _, l := range s.lines {
			if !strings.HasPrefix(l, "- ") && (len(l) < 2 || l[1] != '.') {
				l = "- " + l
			}
			_, _ = fmt.Fprintln(w, l)
		}
	}
	_, _ = fmt.Fprintln(w, "\n## All incidents\n\n| first seen | last seen | severity | account | source | rules |\n|---|---|---|---|---|---|")
	for _, in := range r.Incidents {
		_, _ = fmt.Fprintf(w, "| %s | %s | %s | %s | %s | %s |\n", in.FirstSeen.Format(stamp), in.LastSeen.Format(stamp),
			in.Severity, in.User, in.SrcIP, strings.Join(in.Rules, ", "))
	}
	if r.Posture != nil {
		_, _ = fmt.Fprintln(w, "\n## The mail server's vulnerabilities\n\n| package | installed | fixed in | severity | KEV | fix waiting (days) | overdue |\n|---|---|---|---|---|---|---|")
		for _, f := range r.Posture.Findings {
			lag := "?"
			if f.PatchLagDays != nil {
				lag = fmt.Sprint(*f.PatchLagDays)
			}
			_, _ = fmt.Fprintf(w, "| %s | %s | %s | %s | %t | %s | %t |\n", f.Package, f.InstalledVersion, f.FixedVersion, f.Severity, f.KEV, lag, f.Overdue)
		}
	}
}
