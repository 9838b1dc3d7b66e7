package phi_test

import (
	"bytes"
	"fmt"
	"sort"
	"strings"
	"testing"

	"github.com/vigilhq/vigil/internal/clinicmail"
	"github.com/vigilhq/vigil/internal/extract"
	"github.com/vigilhq/vigil/internal/phi"
)

// score counts, per type, true and false positives and false negatives.
type score map[phi.Type]*[3]int

func (s score) add(t phi.Type, i int) {
	if s[t] == nil {
		s[t] = &[3]int{}
	}
	s[t][i]++
}

func (s score) table() string {
	var types []string
	for t := range s {
		types = append(types, string(t))
	}
	sort.Strings(types)
	var b strings.Builder
	fmt.Fprintf(&b, "\n%-14s %6s %6s %6s %8s %9s\n", "type", "TP", "FP", "FN", "recall", "precision")
	for _, t := range types {
		c := s[phi.Type(t)]
		fmt.Fprintf(&b, "%-14s %6d %6d %6d %7.2f%% %8.2f%%\n", t, c[0], c[1], c[2], pct(c[0], c[0]+c[2]), pct(c[0], c[0]+c[1]))
	}
	return b.String()
}

func pct(a, b int) float64 {
	if b == 0 {
		return 100
	}
	return 100 * float64(a) / float64(b)
}

func norm(t phi.Type, v string) string {
	switch t {
	case phi.Phone:
		return strings.TrimPrefix(v, "+")
	case phi.PersonName, phi.Email:
		return strings.ToLower(v)
	}
	return v
}

// corpusScore scans a generated corpus and scores findings against its truth.
func corpusScore(t testing.TB, c *clinicmail.Corpus, reg *phi.Register) score {
	s, err := phi.New(phi.Options{Register: reg})
	if err != nil {
		t.Fatal(err)
	}
	x := extract.New(extract.Limits{})
	sc := score{}
	measured := map[phi.Type]bool{phi.NHS: true, phi.CHI: true, phi.NINO: true, phi.DOB: true, phi.PersonName: true, phi.Email: true, phi.Phone: true, phi.Postcode: true}
	for _, m := range c.Messages {
		res, err := x.Extract(bytes.NewReader(m.Raw))
		if err != nil {
			t.Fatal(err)
		}
		want := map[[2]string]bool{}
		for _, tr := range m.Truth {
			want[[2]string{tr.Type, norm(phi.Type(tr.Type), tr.Value)}] = true
		}
		got := map[[2]string]bool{}
		for _, p := range res.Parts {
			s.Scan(p.Text, func(f phi.Finding) {
				if f.Confidence >= 0.5 && measured[f.Type] {
					got[[2]string{string(f.Type), norm(f.Type, f.Value)}] = true
				}
			})
		}
		for k := range got {
			if want[k] {
				sc.add(phi.Type(k[0]), 0)
			} else {
				sc.add(phi.Type(k[0]), 1)
				if testing.Verbose() && k[0] != string(phi.Phone) && k[0] != string(phi.Email) {
					t.Logf("FP %s %s in %s", k[0], phi.Mask(k[1]), m.MessageID)
				}
			}
		}
		for k := range want {
			if !got[k] {
				sc.add(phi.Type(k[0]), 2)
				if testing.Verbose() {
					t.Logf("FN %s %s in %s", k[0], k[1], m.MessageID)
				}
			}
		}
	}
	return sc
}

func TestCorpusAccuracy(t *testing.T) {
	n := 2100
	if testing.Short() {
		n = 400
	}
	c := clinicmail.Generate(clinicmail.Options{Seed: 2026, Messages: n})
	reg, err := phi.LoadRegister(bytes.NewReader(c.Register()), "register.csv")
	if err != nil {
		t.Fatal(err)
	}
	withAtt := 0
	for _, m := range c.Messages {
		if m.HasAttachment {
			withAtt++
		}
	}
	sc := corpusScore(t, c, reg)
	t.Logf("corpus: %d messages, %d with attachments, %d patients; with the register:%s"+
		"(truth lists patients' identifiers only: the email and phone \"false positives\" are staff, colleagues' and the practice's own,\n"+
		"personal data but not patients')", len(c.Messages), withAtt, len(c.Patients), sc.table())
	if !testing.Short() {
		t.Logf("the same corpus without the register (names from labels and salutations only):%s", corpusScore(t, c, nil).table())
	}
	for typ, minRecall := range map[phi.Type]float64{phi.NHS: 99, phi.CHI: 99, phi.NINO: 99, phi.PersonName: 95, phi.DOB: 95} {
		cnt := sc[typ]
		if cnt == nil {
			t.Errorf("%s: nothing found", typ)
			continue
		}
		if r := pct(cnt[0], cnt[0]+cnt[2]); r < minRecall {
			t.Errorf("%s recall %.2f%%, want ≥ %.0f%%", typ, r, minRecall)
		}
		if p := pct(cnt[0], cnt[0]+cnt[1]); p < 95 {
			t.Errorf("%s precision %.2f%%, want ≥ 95%%", typ, p)
		}
	}
}
