package phi_test

import (
	"bytes"
	"testing"

	"github.com/vigilhq/vigil/internal/clinicmail"
	"github.com/vigilhq/vigil/internal/extract"
	"github.com/vigilhq/vigil/internal/phi"
)

// plainBodies is the text of the generated corpus's bodies and attachments,
// as the scanner sees it after extraction.
func plainBodies(b *testing.B) (*clinicmail.Corpus, []byte) {
	c := clinicmail.Generate(clinicmail.Options{Seed: 9, Messages: 1000})
	x := extract.New(extract.Limits{})
	var text bytes.Buffer
	for _, m := range c.Messages {
		res, err := x.Extract(bytes.NewReader(m.Raw))
		if err != nil {
			b.Fatal(err)
		}
		for _, p := range res.Parts {
			text.Write(p.Text)
		}
	}
	return c, text.Bytes()
}

// BenchmarkScanPlainText: every detector on, with and without a register,
// over plain-text bodies; MB/s is the figure (run with -cpu 1).
func BenchmarkScanPlainText(b *testing.B) {
	c, text := plainBodies(b)
	reg, err := phi.LoadRegister(bytes.NewReader(c.Register()), "register.csv")
	if err != nil {
		b.Fatal(err)
	}
	for _, bc := range []struct {
		name string
		reg  *phi.Register
	}{{"register", reg}, {"no-register", nil}} {
		s, err := phi.New(phi.Options{Register: bc.reg, MRN: []string{"RX######"}})
		if err != nil {
			b.Fatal(err)
		}
		b.Run(bc.name, func(b *testing.B) {
			b.SetBytes(int64(len(text)))
			n := 0
			for b.Loop() {
				s.Scan(text, func(phi.Finding) { n++ })
			}
		})
	}
}
