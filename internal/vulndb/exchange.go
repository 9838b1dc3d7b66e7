package vulndb

import (
	_ "embed" // the curated Exchange table
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// ExchangeEcosystem is the inventory ecosystem of Exchange builds.
const ExchangeEcosystem = "Exchange"

//go:embed data/exchange.json
var exchangeJSON []byte

type exchangeData struct {
	CUs []struct {
		Product  string `json:"product"`
		CU       string `json:"cu"`
		Build    string `json:"build"`
		Released string `json:"released"`
	} `json:"cumulative_updates"`
	SUs []struct {
		ID          string   `json:"id"`
		Name        string   `json:"name"`
		Released    string   `json:"released"`
		Severity    string   `json:"severity"`
		CVEs        []string `json:"cves"`
		FixedBuilds []string `json:"fixed_builds"`
	} `json:"security_updates"`
}

// Exchange judges Exchange Server builds against the curated table
// (data/exchange.json, provenance in data/README.md).
type Exchange struct {
	cuReleased map[[3]int]time.Time // CU line → release date
	sus        []exchangeSU
}

type exchangeSU struct {
	vuln  *Vuln
	fixed map[[3]int][4]int // CU line → first fixed build
}

// NewExchange parses the embedded table.
func NewExchange() (*Exchange, error) {
	var d exchangeData
	if err := json.Unmarshal(exchangeJSON, &d); err != nil {
		return nil, fmt.Errorf("exchange table: %w", err)
	}
	x := &Exchange{cuReleased: map[[3]int]time.Time{}}
	for _, cu := range d.CUs {
		b, err := parseBuild(cu.Build)
		if err != nil {
			return nil, fmt.Errorf("exchange table: %s %s: %w", cu.Product, cu.CU, err)
		}
		t, err := time.Parse("2006-01-02", cu.Released)
		if err != nil {
			return nil, fmt.Errorf("exchange table: %s %s: %w", cu.Product, cu.CU, err)
		}
		x.cuReleased[line(b)] = t
	}
	for _, su := range d.SUs {
		t, err := time.Parse("2006-01-02", su.Released)
		if err != nil {
			return nil, fmt.Errorf("exchange table: %s: %w", su.ID, err)
		}
		s := exchangeSU{
			vuln:  &Vuln{ID: su.ID, Aliases: su.CVEs, Summary: su.Name, Published: t, Severity: ParseSeverity(su.Severity)},
			fixed: map[[3]int][4]int{},
		}
		for _, fb := range su.FixedBuilds {
			b, err := parseBuild(fb)
			if err != nil {
				return nil, fmt.Errorf("exchange table: %s: %w", su.ID, err)
			}
			s.fixed[line(b)] = b
		}
		x.sus = append(x.sus, s)
	}
	return x, nil
}

// Affecting returns the security updates a build lacks. Fixed is the build
// to reach on the same CU, or advice to move to a supported CU first.
func (x *Exchange) Affecting(build string) ([]Match, error) {
	b, err := parseBuild(build)
	if err != nil {
		return nil, fmt.Errorf("%w: Exchange build %q: %w", ErrFormat, build, err)
	}
	ln := line(b)
	var out []Match
	for _, su := range x.sus {
		fix, onLine := su.fixed[ln]
		switch {
		case onLine:
			if cmpBuild(b, fix) >= 0 {
				continue
			}
			out = append(out, Match{Vuln: su.vuln, Fixed: formatBuild(fix), Severity: su.vuln.Severity})
		case !x.cuReleased[ln].IsZero() && !x.cuReleased[ln].Before(su.vuln.Published):
			continue // a CU released after the SU includes its fixes
		default:
			older, newer := false, false
			for l := range su.fixed {
				if l[0] != ln[0] || l[1] != ln[1] {
					continue
				}
				if l[2] > ln[2] {
					older = true
				} else {
					newer = true
				}
			}
			if older && !newer {
				out = append(out, Match{Vuln: su.vuln, Fixed: "a supported CU, then " + su.vuln.ID, Severity: su.vuln.Severity})
			}
		}
	}
	return out, nil
}

func parseBuild(s string) ([4]int, error) {
	var b [4]int
	parts := strings.Split(strings.TrimSpace(s), ".")
	if len(parts) != 4 {
		return b, fmt.Errorf("not a build number like 15.2.792.10")
	}
	for i, p := range parts {
		n, err := strconv.Atoi(p)
		if err != nil || n < 0 {
			return b, fmt.Errorf("not a build number like 15.2.792.10")
		}
		b[i] = n
	}
	return b, nil
}

func line(b [4]int) [3]int { return [3]int{b[0], b[1], b[2]} }

func cmpBuild(a, b [4]int) int {
	for i := range a {
		if a[i] != b[i] {
			if a[i] < b[i] {
				return -1
			}
			return 1
		}
	}
	return 0
}

func formatBuild(b [4]int) string {
	return fmt.Sprintf("%d.%d.%d.%d", b[0], b[1], b[2], b[3])
}
