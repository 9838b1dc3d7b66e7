package vulndb

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
	"time"
)

// KEVEntry is one entry of CISA's Known Exploited Vulnerabilities catalogue.
type KEVEntry struct {
	CVE            string
	VendorProject  string
	Product        string
	Name           string
	DateAdded      time.Time
	DueDate        time.Time
	Ransomware     bool // knownRansomwareCampaignUse is "Known"
	RequiredAction string
}

// KEV is the catalogue, keyed by CVE ID.
type KEV struct {
	Version  string
	Released time.Time
	byCVE    map[string]*KEVEntry
}

type kevFile struct {
	CatalogVersion  string `json:"catalogVersion"`
	DateReleased    string `json:"dateReleased"`
	Vulnerabilities []struct {
		CVEID                      string `json:"cveID"`
		VendorProject              string `json:"vendorProject"`
		Product                    string `json:"product"`
		VulnerabilityName          string `json:"vulnerabilityName"`
		DateAdded                  string `json:"dateAdded"`
		DueDate                    string `json:"dueDate"`
		KnownRansomwareCampaignUse string `json:"knownRansomwareCampaignUse"`
		RequiredAction             string `json:"requiredAction"`
	} `json:"vulnerabilities"`
}

// LoadKEV reads known_exploited_vulnerabilities.json as CISA publishes it.
func LoadKEV(path string) (*KEV, error) {
	f, err := os.Open(path) //nolint:gosec // the user names the catalogue file
	if err != nil {
		return nil, err
	}
	defer func() { _ = f.Close() }() // read-only
	return ReadKEV(f, path)
}

// ReadKEV reads the catalogue from r; name is used in errors.
func ReadKEV(r io.Reader, name string) (*KEV, error) {
	var kf kevFile
	dec := json.NewDecoder(io.LimitReader(r, 256<<20))
	if err := dec.Decode(&kf); err != nil {
		return nil, fmt.Errorf("%s: %w: %w", name, ErrFormat, err)
	}
	if kf.CatalogVersion == "" || len(kf.Vulnerabilities) == 0 {
		return nil, fmt.Errorf("%s: %w: no catalogVersion or no vulnerabilities: not CISA's KEV JSON", name, ErrFormat)
	}
	k := &KEV{Version: kf.CatalogVersion, byCVE: make(map[string]*KEVEntry, len(kf.Vulnerabilities))}
	k.Released, _ = time.Parse(time.RFC3339, kf.DateReleased) // informational only
	for i, v := range kf.Vulnerabilities {
		id := strings.ToUpper(strings.TrimSpace(v.CVEID))
		if !strings.HasPrefix(id, "CVE-") {
			return nil, fmt.Errorf("%s: %w: vulnerability %d has cveID %q", name, ErrFormat, i, v.CVEID)
		}
		added, err1 := time.Parse("2006-01-02", v.DateAdded)
		due, err2 := time.Parse("2006-01-02", v.DueDate)
		if err1 != nil || err2 != nil {
			return nil, fmt.Errorf("%s: %w: %s: dateAdded or dueDate is not YYYY-MM-DD", name, ErrFormat, id)
		}
		k.byCVE[id] = &KEVEntry{
			CVE: id, VendorProject: v.VendorProject, Product: v.Product, Name: v.VulnerabilityName,
			DateAdded: added, DueDate: due, Ransomware: strings.EqualFold(v.KnownRansomwareCampaignUse, "Known"),
			RequiredAction: v.RequiredAction,
		}
	}
	return k, nil
}

// Len returns the number of entries.
func (k *KEV) Len() int { return len(k.byCVE) }

// Lookup returns the entry of the first of ids that the catalogue lists and
// that was added on or before asOf (so a report "as of" a past date does not
// use knowledge from after it); nil when none.
func (k *KEV) Lookup(asOf time.Time, ids ...string) *KEVEntry {
	if k == nil {
		return nil
	}
	var best *KEVEntry
	for _, id := range ids {
		e := k.byCVE[strings.ToUpper(id)]
		if e == nil || (!asOf.IsZero() && e.DateAdded.After(asOf)) {
			continue
		}
		if best == nil || e.DueDate.Before(best.DueDate) {
			best = e
		}
	}
	return best
}
