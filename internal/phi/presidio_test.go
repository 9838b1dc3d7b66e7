package phi_test

import (
	"encoding/json"
	"github.com/vigilhq/vigil/internal/shareddata"
	"os"
	"testing"

	"github.com/vigilhq/vigil/internal/phi"
)

// TestPresidioSynth measures person names, emails, phones, cards and IBANs
// on presidio-research's labelled synthetic set (not written by this
// project), without a register. A finding counts when it overlaps a label of
// its kind.
func TestPresidioSynth(t *testing.T) {
	data, err := os.ReadFile(shareddata.Path(t, "presidio-synth/synth_dataset_v2.json"))
	if err != nil {
		t.Fatal(err)
	}
	var records []struct {
		FullText string `json:"full_text"`
		Spans    []struct {
			Type  string `json:"entity_type"`
			Start int    `json:"start_position"`
			End   int    `json:"end_position"`
		} `json:"spans"`
	}
	if err := json.Unmarshal(data, &records); err != nil {
		t.Fatal(err)
	}
	kinds := map[string]phi.Type{"PERSON": phi.PersonName, "EMAIL_ADDRESS": phi.Email, "PHONE_NUMBER": phi.Phone, "CREDIT_CARD": phi.PaymentCard, "IBAN_CODE": phi.IBAN}
	s, err := phi.New(phi.Options{})
	if err != nil {
		t.Fatal(err)
	}
	sc := score{}
	for _, r := range records {
		// Character offsets to byte offsets.
		byteAt := make([]int, 0, len(r.FullText)+1)
		for i := range r.FullText {
			byteAt = append(byteAt, i)
		}
		byteAt = append(byteAt, len(r.FullText))
		type span struct {
			typ        phi.Type
			start, end int
			hit        bool
		}
		var spans []*span
		for _, sp := range r.Spans {
			if typ, ok := kinds[sp.Type]; ok && sp.End < len(byteAt) {
				spans = append(spans, &span{typ, byteAt[sp.Start], byteAt[sp.End], false})
			}
		}
		s.Scan([]byte(r.FullText), func(f phi.Finding) {
			if f.Confidence < 0.5 {
				return
			}
			if _, measured := map[phi.Type]bool{phi.PersonName: true, phi.Email: true, phi.Phone: true, phi.PaymentCard: true, phi.IBAN: true}[f.Type]; !measured {
				return
			}
			matched := false
			for _, sp := range spans {
				if sp.typ == f.Type && f.Offset < sp.end && f.Offset+f.Len > sp.start {
					sp.hit, matched = true, true
				}
			}
			if matched {
				sc.add(f.Type, 0)
			} else {
				sc.add(f.Type, 1)
			}
		})
		for _, sp := range spans {
			if !sp.hit {
				sc.add(sp.typ, 2)
			}
		}
	}
	t.Logf("presidio-synth, %d records, no register:%s", len(records), sc.table())
	if sc[phi.Email] == nil || pct(sc[phi.Email][0], sc[phi.Email][0]+sc[phi.Email][2]) < 90 {
		t.Errorf("email recall below 90%%: %v", sc[phi.Email])
	}
}
