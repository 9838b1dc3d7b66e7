package clinicmail

import (
	"bytes"
	"testing"

	_ "github.com/emersion/go-message/charset" // ISO-8859-1 bodies
	"github.com/emersion/go-message/mail"
)

func TestGenerateDeterministic(t *testing.T) {
	a := Generate(Options{Seed: 7, Patients: 50, Messages: 60})
	b := Generate(Options{Seed: 7, Patients: 50, Messages: 60})
	for i := range a.Messages {
		if !bytes.Equal(a.Messages[i].Raw, b.Messages[i].Raw) {
			t.Fatalf("message %d differs between runs with the same seed", i)
		}
	}
}

func TestIdentifiersValid(t *testing.T) {
	c := Generate(Options{Seed: 1, Patients: 300, Messages: 10})
	for _, p := range c.Patients {
		if p.NHS < "9990000000" || len(p.NHS) != 10 {
			t.Errorf("NHS %s outside the test range", p.NHS)
		}
		var d [9]int
		for i := range d {
			d[i] = int(p.NHS[i] - '0')
		}
		if nhsCheck(d) != int(p.NHS[9]-'0') {
			t.Errorf("NHS %s fails mod 11", p.NHS)
		}
		if p.CHI != "" && p.CHI[:6] != p.DOB.Format("020106") {
			t.Errorf("CHI %s does not start with DOB %s", p.CHI, p.DOB.Format("020106"))
		}
	}
	// The weights 10..2 and a known valid number from NHS Digital's guidance.
	if got := nhsCheck([9]int{9, 4, 3, 4, 7, 6, 5, 9, 1}); got != 9 {
		t.Errorf("check digit of 943 476 591 = %d, want 9", got)
	}
}

func TestMessagesParse(t *testing.T) {
	c := Generate(Options{Seed: 3, Patients: 100, Messages: 300})
	withAtt := 0
	for _, m := range c.Messages {
		r, err := mail.CreateReader(bytes.NewReader(m.Raw))
		if err != nil {
			t.Fatalf("%s: %v", m.MessageID, err)
		}
		for {
			_, err := r.NextPart()
			if err != nil {
				break
			}
		}
		if m.HasAttachment {
			withAtt++
		}
	}
	if withAtt*3 < len(c.Messages) {
		t.Errorf("%d of %d messages have attachments, want at least a third", withAtt, len(c.Messages))
	}
}
