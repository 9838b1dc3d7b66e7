// Package posture turns a host's inventory and update history, matched
// against the vulnerability data, into findings (each vulnerable package
// with its fix, severity, KEV due date and patch lag), figures (days since
// the last update and the last security update), SLA breaches, a grade with
// its reasons in plain words, and alert-shaped records for thresholds.
//
// It must not read files or the network (callers load inventories, history
// and data) and must not use the wall clock: "now" is passed in.
package posture

import (
	"cmp"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"github.com/vigilhq/vigil/internal/history"
	"github.com/vigilhq/vigil/internal/inventory"
	"github.com/vigilhq/vigil/internal/vulndb"
)

// Policy is the patching SLA a host is held to. A zero number of days
// means no deadline for that severity.
type Policy struct {
	// KEVPastDue makes a finding overdue once its KEV due date has passed.
	KEVPastDue bool `yaml:"kev_past_due"`
	// Days from a fix being available to it being overdue, per severity.
	CriticalDays int `yaml:"critical_days"`
	HighDays     int `yaml:"high_days"`
	MediumDays   int `yaml:"medium_days"`
	LowDays      int `yaml:"low_days"`
}

// DefaultPolicy is vigil's default: KEV past due date, critical 14 days,
// high 30 days.
func DefaultPolicy() Policy {
	return Policy{KEVPastDue: true, CriticalDays: 14, HighDays: 30}
}

// slaDays returns the deadline for a severity, 0 for none.
func (p Policy) slaDays(s vulndb.Severity) int {
	switch s {
	case vulndb.SeverityCritical:
		return p.CriticalDays
	case vulndb.SeverityHigh:
		return p.HighDays
	case vulndb.SeverityMedium:
		return p.MediumDays
	case vulndb.SeverityLow:
		return p.LowDays
	}
	return 0
}

// Matcher is the vulnerability data posture needs: records affecting a
// package version. *vulndb.DB implements it.
type Matcher interface {
	Affecting(eco, name, version string) ([]vulndb.Match, error)
}

// BuildMatcher judges Exchange builds. *vulndb.Exchange implements it.
type BuildMatcher interface {
	Affecting(build string) ([]vulndb.Match, error)
}

var (
	_ Matcher      = (*vulndb.DB)(nil)
	_ BuildMatcher = (*vulndb.Exchange)(nil)
)

// Options configures an Assessor. Now is required: reports are as of it.
type Options struct {
	Policy   Policy
	Now      time.Time
	OSV      Matcher      // nil: no OSV data
	KEV      *vulndb.KEV  // nil: no KEV catalogue
	Exchange BuildMatcher // nil: Exchange builds are not judged
	Logger   *slog.Logger // nil: discard
}

// ErrNoNow is returned by New when Options.Now is zero.
var ErrNoNow = errors.New("posture: Options.Now is required")

// Assessor grades hosts.
type Assessor struct {
	opts Options
	log  *slog.Logger
}

// New returns an Assessor; a zero Policy becomes DefaultPolicy.
func New(opts Options) (*Assessor, error) {
	if opts.Now.IsZero() {
		return nil, ErrNoNow
	}
	if opts.Policy == (Policy{}) {
		opts.Policy = DefaultPolicy()
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Assessor{opts: opts, log: log}, nil
}

// Finding is one vulnerability affecting one installed package.
type Finding struct {
	ID            string   `json:"id"`
	Aliases       []string `json:"aliases"`
	Summary       string   `json:"summary,omitempty"`
	Package       string   `json:"package"`
	Binaries      []string `json:"binaries,omitempty"`
	SourcePackage string   `json:"source_package"`
	Ecosystem     string   `json:"ecosystem"`
	// InstalledVersion is the version compared with the record: the source
	// package's for Debian, Ubuntu and Alpine (records name source packages),
	// which differs from the binary's only for binary-only rebuilds (+b1).
	InstalledVersion string `json:"installed_version"`
	// InstalledSince is when the installed version arrived, if known.
	InstalledSince *Date `json:"installed_since"`
	// FixedVersion is "" when no fix exists yet.
	FixedVersion string          `json:"fixed_version"`
	Severity     vulndb.Severity `json:"severity"`
	// FixAvailableSince is when the fixed version was published.
	FixAvailableSince *Date `json:"fix_available_since"`
	KEV               bool  `json:"kev"`
	KEVDueDate        *Date `json:"kev_due_date"`
	// KEVCVE is the CVE the KEV catalogue lists.
	KEVCVE        string `json:"kev_cve,omitempty"`
	KEVRansomware bool   `json:"kev_ransomware"`
	// PatchLagDays is days since the fix became available; nil without a fix.
	PatchLagDays *int `json:"patch_lag_days"`
	// SLADays is the deadline the policy sets for this severity, 0 for none.
	SLADays       int    `json:"sla_days"`
	Overdue       bool   `json:"overdue"`
	OverdueReason string `json:"overdue_reason,omitempty"`
}

// Date is a calendar date, written as YYYY-MM-DD.
type Date struct{ time.Time }

// MarshalJSON writes "YYYY-MM-DD" (and overrides time.Time's own).
func (d Date) MarshalJSON() ([]byte, error) { return []byte(`"` + d.Format(time.DateOnly) + `"`), nil }

func datePtr(t time.Time) *Date {
	if t.IsZero() {
		return nil
	}
	return &Date{t}
}

// days returns the whole days from a to b (negative when b is before a).
func days(a, b time.Time) int {
	return int(b.Sub(a).Hours() / 24)
}

// Report is a host's posture.
type Report struct {
	Host           string `json:"host"`
	OS             string `json:"os,omitempty"`
	InternetFacing bool   `json:"internet_facing"`
	AsOf           Date   `json:"as_of"`
	// Grade is A (good) to F (failing); Verdict says it in a word.
	Grade   string   `json:"grade"`
	Verdict string   `json:"verdict"`
	Reasons []string `json:"reasons"`
	// Advice says what to do first; empty for grades A and B.
	Advice string `json:"advice,omitempty"`
	// DaysSinceLastUpdate is nil when no history says.
	DaysSinceLastUpdate         *int                `json:"days_since_last_update"`
	LastUpdate                  *Date               `json:"last_update"`
	DaysSinceLastSecurityUpdate *int                `json:"days_since_last_security_update"`
	LastSecurityUpdate          *Date               `json:"last_security_update"`
	UnattendedUpgrades          *history.Unattended `json:"unattended_upgrades,omitempty"`
	Packages                    int                 `json:"packages"`
	Findings                    []Finding           `json:"findings"`
	Overdue                     int                 `json:"overdue"`
	Alerts                      []Alert             `json:"alerts,omitempty"`
}

// Host is what Assess needs to know about one host.
type Host struct {
	Inventory  *inventory.Inventory
	History    *history.History    // nil: none given
	Unattended *history.Unattended // nil: unknown
}

// Assess matches the host's packages and grades it. Errors about single
// packages (a version the data cannot compare) are returned in errs; the
// report covers the rest.
func (a *Assessor) Assess(h Host) (*Report, []error) {
	inv := h.Inventory
	now := a.opts.Now
	r := &Report{Host: inv.Host, OS: inv.OS, InternetFacing: inv.InternetFacing, AsOf: Date{now}, Packages: len(inv.Packages), UnattendedUpgrades: h.Unattended}
	findings, errs := a.match(inv)
	hist := h.History
	if hist == nil {
		hist = historyFromInventory(inv)
	}
	binVersion := make(map[string]string, len(inv.Packages))
	for _, p := range inv.Packages {
		binVersion[p.Name] = p.Version
	}
	for i := range findings {
		f := &findings[i]
		if t := hist.Arrived(f.Package, binVersion[f.Package]); !t.IsZero() {
			f.InstalledSince = datePtr(t)
		}
	}
	r.Findings = findings
	for _, f := range findings {
		if f.Overdue {
			r.Overdue++
		}
	}
	if last, ok := hist.LastChange(); ok {
		r.LastUpdate = datePtr(last.Time)
		d := days(last.Time, now)
		r.DaysSinceLastUpdate = &d
	}
	if t, ok := a.lastSecurityUpdate(inv, hist); ok {
		r.LastSecurityUpdate = datePtr(t)
		d := days(t, now)
		r.DaysSinceLastSecurityUpdate = &d
	}
	grade(r, len(hist.Changes) > 0)
	return r, errs
}

// historyFromInventory makes a history from install times in the inventory
// (RPM records them), for hosts without history files.
func historyFromInventory(inv *inventory.Inventory) *history.History {
	h := &history.History{}
	for _, p := range inv.Packages {
		if !p.InstalledAt.IsZero() {
			h.Changes = append(h.Changes, history.Change{Time: p.InstalledAt, Package: p.Name, To: p.Version, Action: history.Install})
		}
	}
	h.Add()
	return h
}

// match finds the records affecting each package, one finding per source
// package, version and record.
func (a *Assessor) match(inv *inventory.Inventory) ([]Finding, []error) {
	type key struct{ eco, src, ver, id string }
	seen := map[key]int{}
	var out []Finding
	var errs []error
	unsupported := map[string]bool{}
	for _, p := range inv.Packages {
		var ms []vulndb.Match
		var err error
		name, ver := p.Name, p.Version
		if vulndb.UsesSourcePackages(p.Ecosystem) {
			name, ver = p.SourceName(), p.SourceVer()
		}
		switch {
		case p.Ecosystem == vulndb.ExchangeEcosystem:
			if a.opts.Exchange == nil {
				continue
			}
			ms, err = a.opts.Exchange.Affecting(p.Version)
		case a.opts.OSV == nil || p.Ecosystem == "":
			continue
		default:
			ms, err = a.opts.OSV.Affecting(p.Ecosystem, name, ver)
		}
		if err != nil {
			if errors.Is(err, vulndb.ErrEcosystem) {
				if !unsupported[p.Ecosystem] {
					unsupported[p.Ecosystem] = true
					errs = append(errs, fmt.Errorf("%s: %w", inv.Host, err))
				}
			} else {
				errs = append(errs, fmt.Errorf("%s: package %s %s: %w", inv.Host, p.Name, p.Version, err))
			}
		}
		for _, m := range ms {
			if m.Vuln.Published.After(a.opts.Now) {
				continue // not yet known as of now (reports for a past date stay true to it)
			}
			k := key{p.Ecosystem, name, ver, m.Vuln.ID}
			if i, ok := seen[k]; ok {
				out[i].Binaries = append(out[i].Binaries, p.Name)
				continue
			}
			seen[k] = len(out)
			out = append(out, a.finding(p, name, ver, m))
		}
	}
	slices.SortFunc(out, func(x, y Finding) int {
		return cmp.Or(
			-cmpBool(x.Overdue, y.Overdue),
			-cmpBool(x.KEV, y.KEV),
			-cmp.Compare(x.Severity, y.Severity),
			-cmp.Compare(lag(x), lag(y)),
			cmp.Compare(x.Package, y.Package),
			cmp.Compare(x.ID, y.ID),
		)
	})
	return out, errs
}

func lag(f Finding) int {
	if f.PatchLagDays == nil {
		return -1
	}
	return *f.PatchLagDays
}

func cmpBool(a, b bool) int {
	switch {
	case a == b:
		return 0
	case a:
		return 1
	}
	return -1
}

func (a *Assessor) finding(p inventory.Package, src, ver string, m vulndb.Match) Finding {
	now := a.opts.Now
	v := m.Vuln
	f := Finding{
		ID: v.ID, Aliases: v.Aliases, Summary: v.Summary, Package: p.Name, Binaries: []string{p.Name},
		SourcePackage: src, Ecosystem: p.Ecosystem, InstalledVersion: ver,
		FixedVersion: m.Fixed, Severity: m.Severity,
	}
	if f.Aliases == nil {
		f.Aliases = []string{}
	}
	if m.Fixed != "" && !v.Published.IsZero() {
		f.FixAvailableSince = datePtr(v.Published)
		d := max(days(v.Published, now), 0)
		f.PatchLagDays = &d
	}
	if k := a.opts.KEV.Lookup(now, v.IDs()...); k != nil {
		f.KEV = true
		f.KEVDueDate = datePtr(k.DueDate)
		f.KEVCVE = k.CVE
		f.KEVRansomware = k.Ransomware
		if a.opts.Policy.KEVPastDue && now.After(k.DueDate) {
			f.Overdue = true
			f.OverdueReason = fmt.Sprintf("exploited in the wild (%s on CISA's KEV list); its due date %s has passed", k.CVE, k.DueDate.Format(time.DateOnly))
		}
	}
	f.SLADays = a.opts.Policy.slaDays(f.Severity)
	if !f.Overdue && f.SLADays > 0 && f.PatchLagDays != nil && *f.PatchLagDays > f.SLADays {
		f.Overdue = true
		f.OverdueReason = fmt.Sprintf("%s fix available for %d days; the deadline is %d days", f.Severity, *f.PatchLagDays, f.SLADays)
	}
	return f
}

// lastSecurityUpdate is the newest change that replaced a version affected
// by a record with a version the record no longer affects.
func (a *Assessor) lastSecurityUpdate(inv *inventory.Inventory, hist *history.History) (time.Time, bool) {
	if a.opts.OSV == nil || inv.OS == "" {
		return time.Time{}, false
	}
	src := map[string]string{}
	for _, p := range inv.Packages {
		src[p.Name] = p.SourceName()
	}
	useSrc := vulndb.UsesSourcePackages(inv.OS)
	type key struct{ name, from, to string }
	cache := map[key]bool{}
	for i := len(hist.Changes) - 1; i >= 0; i-- {
		c := hist.Changes[i]
		if c.From == "" || c.To == "" {
			continue
		}
		name := c.Package
		if s, ok := src[name]; ok && useSrc {
			name = s
		}
		k := key{name, c.From, c.To}
		sec, ok := cache[k]
		if !ok {
			sec = a.fixesSomething(inv.OS, name, c.From, c.To)
			cache[k] = sec
		}
		if sec {
			return c.Time, true
		}
	}
	return time.Time{}, false
}

func (a *Assessor) fixesSomething(eco, name, from, to string) bool {
	before, err := a.opts.OSV.Affecting(eco, name, from)
	if err != nil || len(before) == 0 {
		return false
	}
	after, err := a.opts.OSV.Affecting(eco, name, to)
	if err != nil {
		return false
	}
	still := map[string]bool{}
	for _, m := range after {
		still[m.Vuln.ID] = true
	}
	for _, m := range before {
		if !still[m.Vuln.ID] {
			return true
		}
	}
	return false
}

// Wanted returns the packages of the given inventories as vulndb indexes
// them (by source package where the ecosystem's records name source
// packages), for vulndb.Options.Want: a run then holds only the data it can
// use.
func Wanted(invs ...*inventory.Inventory) *vulndb.PackageSet {
	set := vulndb.NewPackageSet()
	for _, inv := range invs {
		for _, p := range inv.Packages {
			name := p.Name
			if vulndb.UsesSourcePackages(p.Ecosystem) {
				name = p.SourceName()
			}
			set.Add(p.Ecosystem, name)
		}
	}
	return set
}
