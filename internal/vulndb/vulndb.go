// Package vulndb holds the vulnerability data vigil matches inventories
// against, offline: OSV records (a directory of JSON files or the
// per-ecosystem all.zip files OSV publishes) indexed by ecosystem and package,
// the CISA Known Exploited Vulnerabilities catalogue joined through CVE
// aliases, and a small curated table of Microsoft Exchange security updates.
//
// It must not fetch anything from the network (the user downloads the data)
// and must not grade hosts: it answers "which records affect this version".
package vulndb

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/google/osv-scalibr/semantic"
)

// ErrFormat is wrapped by every error about data vigil cannot read.
var ErrFormat = errors.New("vulnerability data format")

// ErrEcosystem is returned for an ecosystem whose versions vigil cannot compare.
var ErrEcosystem = errors.New("unsupported ecosystem")

// Vuln is one OSV record, reduced to what matching and reporting need.
type Vuln struct {
	ID      string
	Aliases []string // aliases and upstream IDs (CVE-…)
	Summary string
	// Published is when the record was published: for distribution advisories
	// (DSA, DLA, USN, ALSA) the day the fixed package shipped.
	Published time.Time
	Modified  time.Time
	Withdrawn time.Time
	Severity  Severity
	// CVSS is the CVSS v3 base score when the record carries a vector.
	CVSS     float64
	affected []affected
}

// IDs returns the record's ID followed by its aliases.
func (v *Vuln) IDs() []string { return append([]string{v.ID}, v.Aliases...) }

type affected struct {
	eco, pkg string
	ranges   []vrange
	versions []string
	severity Severity // from ecosystem_specific/database_specific of this entry
}

type vrange struct {
	events []event
}

type eventKind uint8

const (
	introduced eventKind = iota
	fixed
	lastAffected
	limit
)

type event struct {
	kind eventKind
	v    string
}

// Match is a record that affects an installed version.
type Match struct {
	Vuln *Vuln
	// Fixed is the first version that fixes it, "" when no fix exists.
	Fixed string
	// Severity is the record's, or the affected entry's when the record has none.
	Severity Severity
}

// NormalizeEcosystem makes ecosystem names from records and inventories
// comparable: "Ubuntu:22.04:LTS" → "Ubuntu:22.04".
func NormalizeEcosystem(eco string) string {
	return strings.TrimSuffix(eco, ":LTS")
}

// usesSourcePackages reports whether an ecosystem's records name source
// packages (Debian, Ubuntu) or origin packages (Alpine).
func usesSourcePackages(eco string) bool {
	base, _, _ := strings.Cut(eco, ":")
	return base == "Debian" || base == "Ubuntu" || base == "Alpine"
}

// UsesSourcePackages reports whether packages of eco are matched by their
// source (or origin) package name and version.
func UsesSourcePackages(eco string) bool { return usesSourcePackages(eco) }

// contains reports whether version v (parsed) is in the range, and the
// first fixed version above it.
func (r vrange) contains(v semantic.Version, eco string) (bool, string, error) {
	type ev struct {
		event
		cmp int // v compared with the event's version
	}
	evs := make([]ev, 0, len(r.events))
	for _, e := range r.events {
		c := 1
		if !(e.kind == introduced && e.v == "0") {
			var err error
			if c, err = v.CompareStr(e.v); err != nil {
				return false, "", fmt.Errorf("%w: version %q: %w", ErrFormat, e.v, err)
			}
		}
		evs = append(evs, ev{e, c})
	}
	// Events at or below v decide whether v is affected; the lowest fixed
	// event above v after an introduction is the fix. Event order in the
	// record is not guaranteed, so events are ordered by version first.
	if !(len(evs) == 2 && evs[0].kind == introduced && evs[1].kind != introduced) {
		sortEvents(evs, func(a, b ev) (int, error) {
			if a.kind == introduced && a.v == "0" {
				return -1, nil
			}
			if b.kind == introduced && b.v == "0" {
				return 1, nil
			}
			pa, err := semantic.Parse(a.v, eco)
			if err != nil {
				return 0, err
			}
			return pa.CompareStr(b.v)
		})
	}
	aff := false
	for _, e := range evs {
		if e.cmp < 0 || (e.cmp == 0 && e.kind == lastAffected) {
			// The event is above v (last_affected equal to v still affects it).
			if e.kind == lastAffected && e.cmp == 0 {
				continue
			}
			if aff && e.kind == fixed {
				return true, e.v, nil
			}
			break
		}
		switch e.kind {
		case introduced:
			aff = true
		case fixed, limit:
			aff = false
		case lastAffected:
			aff = false // v is above the last affected version
		}
	}
	return aff, "", nil
}

// sortEvents is an insertion sort (ranges hold a handful of events) that
// keeps record order where versions cannot be compared.
func sortEvents[T any](s []T, cmp func(a, b T) (int, error)) {
	for i := 1; i < len(s); i++ {
		for j := i; j > 0; j-- {
			c, err := cmp(s[j-1], s[j])
			if err != nil || c <= 0 {
				break
			}
			s[j-1], s[j] = s[j], s[j-1]
		}
	}
}
