package clinicmail

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"strings"
	"time"
)

// Identifier types, named as the scanner names its findings.
const (
	TypeNHS   = "nhs_number"
	TypeCHI   = "chi_number"
	TypeNINO  = "nino"
	TypeDOB   = "date_of_birth"
	TypeName  = "person_name"
	TypeEmail = "email"
	TypePhone = "phone"
	TypePost  = "postcode"
)

// Truth says that a message holds one identifier of one patient. Value is
// normalised: digits only for numbers, upper case without spaces for NINOs
// and postcodes, YYYY-MM-DD for dates, "First Last" for names.
type Truth struct {
	Patient string
	Type    string
	Value   string
}

// Message is one generated mail with what it holds.
type Message struct {
	MessageID     string
	Subject       string
	Date          time.Time
	Raw           []byte
	HasAttachment bool
	Truth         []Truth
}

// Corpus is a generated clinic: its patients and its mail.
type Corpus struct {
	Patients []Patient
	Messages []Message
}

// Options sizes a corpus. Zero fields take the defaults.
type Options struct {
	Seed     uint64
	Patients int // default 600
	Messages int // default 2100
	// Start is the first message's date (default 2026-03-02 08:00 UTC);
	// each next one is 47 minutes later.
	Start time.Time
}

// Generate builds a corpus; the same options give the same bytes.
func Generate(opts Options) *Corpus {
	if opts.Patients == 0 {
		opts.Patients = 600
	}
	if opts.Messages == 0 {
		opts.Messages = 2100
	}
	r := rand.New(rand.NewPCG(opts.Seed, opts.Seed^0x9e3779b97f4a7c15)) //nolint:gosec // synthetic test data: predictability is the point
	c := &Corpus{}
	seenNHS := map[string]bool{}
	for i := 1; len(c.Patients) < opts.Patients; i++ {
		p := newPatient(r, i)
		if seenNHS[p.NHS] {
			continue
		}
		seenNHS[p.NHS] = true
		p.Registered = r.IntN(20) != 0 // one in twenty not (yet) on the register
		c.Patients = append(c.Patients, p)
	}
	base := opts.Start
	if base.IsZero() {
		base = time.Date(2026, 3, 2, 8, 0, 0, 0, time.UTC)
	}
	for i := 0; i < opts.Messages; i++ {
		g := &msgGen{r: r, c: c, n: i + 1, date: base.Add(time.Duration(i) * 47 * time.Minute)}
		c.Messages = append(c.Messages, g.build())
	}
	return c
}

// Register writes the clinic's patient register as CSV (registered patients only).
func (c *Corpus) Register() []byte {
	var b bytes.Buffer
	b.WriteString("id,first_name,last_name,date_of_birth,nhs_number,address,postcode,email,phone\n")
	for _, p := range c.Patients {
		if !p.Registered {
			continue
		}
		fmt.Fprintf(&b, "%s,%s,%s,%s,%s,%s,%s,%s,%s\n", p.ID, csvField(p.First), csvField(p.Last), p.DOB.Format("2006-01-02"),
			p.NHS, csvField(p.Street+", "+p.Town), p.Postcode, p.Email, p.Phone)
	}
	return b.Bytes()
}

func csvField(s string) string {
	if strings.ContainsAny(s, ",\"\n") {
		return `"` + strings.ReplaceAll(s, `"`, `""`) + `"`
	}
	return s
}

// Subjects returns the IDs of the distinct patients the corpus's mail mentions.
func (c *Corpus) Subjects() map[string]bool {
	m := map[string]bool{}
	for _, msg := range c.Messages {
		for _, t := range msg.Truth {
			m[t.Patient] = true
		}
	}
	return m
}

// Identifiers returns every identifier value of every patient in the corpus,
// as written in its messages, for tests that look for leaks.
func (c *Corpus) Identifiers() []string {
	var out []string
	for _, p := range c.Patients {
		out = append(out, p.NHS, spacedNHS(p.NHS), p.NINO, p.FullName(), p.Email)
		if p.CHI != "" {
			out = append(out, p.CHI)
		}
	}
	return out
}

func spacedNHS(n string) string { return n[:3] + " " + n[3:6] + " " + n[6:] }
