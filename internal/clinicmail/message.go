package clinicmail

import (
	"bytes"
	"fmt"
	"html"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/emersion/go-message"
	"github.com/emersion/go-message/mail"
	"golang.org/x/text/encoding/charmap"
)

// clinic staff and outside colleagues: names that are not patients.
var (
	staff = []*mail.Address{
		{Name: "Dr Alan Reid", Address: "a.reid@harbour-medical.example"},
		{Name: "Dr Sarah Okonjo", Address: "s.okonjo@harbour-medical.example"},
		{Name: "Reception", Address: "reception@harbour-medical.example"},
		{Name: "Practice Manager", Address: "manager@harbour-medical.example"},
	}
	consultants = []*mail.Address{
		{Name: "Cardiology Secretaries", Address: "cardio.sec@hospital.example"},
		{Name: "Mr David Lennox", Address: "d.lennox@hospital.example"},
		{Name: "Dermatology", Address: "derm@hospital.example"},
	}
	clinical = []string{
		"History of type 2 diabetes (E11.9), on metformin 500 mg twice daily.",
		"Known hypertension (I10), currently taking amlodipine 5 mg.",
		"Asthma (J45.9); uses salbutamol and beclometasone inhalers.",
		"Recurrent chest pain, ECG shows sinus rhythm. SNOMED CT 29857009.",
		"Depressive episode (F32.1), started sertraline 50 mg.",
		"Atrial fibrillation (I48.9), anticoagulated with apixaban.",
		"Hypothyroidism (E03.9), levothyroxine 100 micrograms daily.",
	}
	dobLabels  = []string{"DOB: ", "D.O.B. ", "Date of birth: ", "born ", "Date of Birth ", "DoB "}
	nhsLabels  = []string{"NHS No: ", "NHS number ", "NHS: ", "NHS Number: "}
	ninoLabels = []string{"NI number: ", "NINO ", "National Insurance No. "}
)

type msgGen struct {
	r     *rand.Rand
	c     *Corpus
	n     int
	date  time.Time
	truth []Truth
}

func (g *msgGen) pick() *Patient { return &g.c.Patients[g.r.IntN(len(g.c.Patients))] }

func (g *msgGen) add(p *Patient, typ, value string) {
	g.truth = append(g.truth, Truth{p.ID, typ, value})
}

func (g *msgGen) name(p *Patient) string {
	g.add(p, TypeName, p.FullName())
	switch g.r.IntN(4) {
	case 0:
		return strings.ToUpper(p.Last) + ", " + p.First
	case 1:
		return p.Last + ", " + p.First
	case 2:
		return p.Title + " " + p.FullName()
	}
	return p.FullName()
}

func (g *msgGen) dob(p *Patient) string {
	g.add(p, TypeDOB, p.DOB.Format("2006-01-02"))
	f := []string{"02/01/2006", "02.01.2006", "2006-01-02", "2 January 2006", "02 Jan 2006", "2/1/2006"}[g.r.IntN(6)]
	return dobLabels[g.r.IntN(len(dobLabels))] + p.DOB.Format(f)
}

func (g *msgGen) nhs(p *Patient) string {
	g.add(p, TypeNHS, p.NHS)
	v := p.NHS
	switch g.r.IntN(3) {
	case 0:
		v = spacedNHS(v)
	case 1:
		v = v[:3] + "-" + v[3:6] + "-" + v[6:]
	}
	return nhsLabels[g.r.IntN(len(nhsLabels))] + v
}

func (g *msgGen) chi(p *Patient) string {
	g.add(p, TypeCHI, p.CHI)
	return "CHI: " + p.CHI
}

func (g *msgGen) nino(p *Patient) string {
	g.add(p, TypeNINO, p.NINO)
	v := p.NINO
	if g.r.IntN(2) == 0 {
		v = v[:2] + " " + v[2:4] + " " + v[4:6] + " " + v[6:8] + " " + v[8:]
	}
	return ninoLabels[g.r.IntN(len(ninoLabels))] + v
}

func (g *msgGen) address(p *Patient) string {
	g.add(p, TypePost, strings.ReplaceAll(p.Postcode, " ", ""))
	return p.Street + ", " + p.Town + ", " + p.Postcode
}

func (g *msgGen) phone(p *Patient) string {
	g.add(p, TypePhone, strings.ReplaceAll(p.Phone, " ", ""))
	return []string{"Tel: ", "Mobile: ", "Phone "}[g.r.IntN(3)] + p.Phone
}

// patientBlock is the usual header block of a clinical letter.
func (g *msgGen) patientBlock(p *Patient, full bool) []string {
	lines := []string{"Patient: " + g.name(p), g.dob(p), g.nhs(p)}
	if p.CHI != "" {
		lines = append(lines, g.chi(p))
	}
	if full {
		lines = append(lines, "Address: "+g.address(p), g.phone(p))
		if g.r.IntN(3) == 0 {
			lines = append(lines, g.nino(p))
		}
	}
	return lines
}

// distractors are numbers and dates that look like identifiers but are not.
func (g *msgGen) distractors() []string {
	return []string{
		fmt.Sprintf("Order reference %s (supplier invoice dated %s).", badNHS(g.r), g.date.AddDate(0, 0, -3).Format("02/01/2006")),
		fmt.Sprintf("Room booking 0%d, extension %d.", 100+g.r.IntN(900), 2000+g.r.IntN(8000)),
	}
}

type part struct {
	filename, contentType string
	data                  []byte
}

func (g *msgGen) build() Message {
	from := staff[g.r.IntN(len(staff))]
	to := consultants[g.r.IntN(len(consultants))]
	var subject string
	var body []string
	var atts []part
	kind := g.r.IntN(100)
	switch {
	case kind < 30: // referral
		p := g.pick()
		subject = "Referral: " + []string{"cardiology", "dermatology", "respiratory", "endocrinology"}[g.r.IntN(4)] + " opinion"
		body = append([]string{"Dear colleague,", "", "I would be grateful if you could see this patient.", ""}, g.patientBlock(p, true)...)
		body = append(body, "", clinical[g.r.IntN(len(clinical))], "", "Kind regards,", from.Name)
		if g.r.IntN(2) == 0 {
			letter := append([]string{"Harbour Medical Practice - Referral letter", ""}, g.patientBlock(p, true)...)
			letter = append(letter, "", clinical[g.r.IntN(len(clinical))], "Signed: "+from.Name)
			atts = append(atts, part{fmt.Sprintf("referral-%d.pdf", g.n), "application/pdf", PDF(letter)})
		}
	case kind < 52: // results
		p := g.pick()
		subject = "Results " + g.date.Format("02 Jan")
		body = append([]string{"Results received today:", ""}, g.patientBlock(p, false)...)
		body = append(body, fmt.Sprintf("HbA1c %d mmol/mol, eGFR %d.", 38+g.r.IntN(40), 45+g.r.IntN(50)), clinical[g.r.IntN(len(clinical))])
		if g.r.IntN(2) == 0 {
			summary := append([]string{"Discharge summary", ""}, g.patientBlock(p, true)...)
			summary = append(summary, clinical[g.r.IntN(len(clinical))])
			atts = append(atts, part{fmt.Sprintf("summary-%d.docx", g.n), "application/vnd.openxmlformats-officedocument.wordprocessingml.document", DOCX(summary)})
		}
	case kind < 75: // appointment, to the patient
		p := g.pick()
		to = &mail.Address{Name: p.FullName(), Address: p.Email}
		g.add(p, TypeName, p.FullName())
		g.add(p, TypeEmail, p.Email)
		subject = "Your appointment"
		when := g.date.AddDate(0, 0, 7+g.r.IntN(30))
		body = []string{"Dear " + p.Title + " " + p.Last + ",", "",
			"Your appointment with " + from.Name + " is on " + when.Format("02/01/2006") + " at 10:30.",
			g.nhs(p), "If you cannot attend, please call the practice on 01534 612345.", "", "Reception"}
	case kind < 82: // clinic list, several patients in a CSV
		subject = "Clinic list " + g.date.Format("Monday 2 January")
		body = []string{"Attached is the list for the clinic.", "", "Thanks"}
		var csv bytes.Buffer
		csv.WriteString("name,dob,nhs_number,postcode\n")
		for i, k := 0, 3+g.r.IntN(6); i < k; i++ {
			p := g.pick()
			g.add(p, TypeName, p.FullName())
			g.add(p, TypeDOB, p.DOB.Format("2006-01-02"))
			g.add(p, TypeNHS, p.NHS)
			g.add(p, TypePost, strings.ReplaceAll(p.Postcode, " ", ""))
			fmt.Fprintf(&csv, "%s,%s,%s,%s\n", p.FullName(), p.DOB.Format("02/01/2006"), p.NHS, p.Postcode)
		}
		atts = append(atts, part{fmt.Sprintf("clinic-%d.csv", g.n), "text/csv", csv.Bytes()})
	case kind < 86: // forwarded referral
		p := g.pick()
		inner := &msgGen{r: g.r, c: g.c, n: g.n, date: g.date}
		innerBody := append([]string{"Please see:"}, inner.patientBlock(p, true)...)
		raw := render(staff[0], consultants[0], "Referral", fmt.Sprintf("<fwd-%d@hospital.example>", g.n), g.date, innerBody, nil, 0)
		g.truth = append(g.truth, inner.truth...)
		subject = "Fwd: Referral"
		body = []string{"Forwarding the referral below, please action.", "", from.Name}
		atts = append(atts, part{"referral.eml", "message/rfc822", raw})
	default: // admin mail without patients
		subject = []string{"Staff rota", "Supplier invoice", "Fire drill", "IT maintenance"}[g.r.IntN(4)]
		body = append([]string{"Hello all,", ""}, g.distractors()...)
		body = append(body, "", "Meeting on "+g.date.AddDate(0, 0, 2).Format("02/01/2006")+" at 13:00.", from.Name)
	}
	if kind < 75 && g.r.IntN(4) == 0 {
		body = append(body, g.distractors()[0])
	}
	id := fmt.Sprintf("<m%05d.%d@harbour-medical.example>", g.n, g.date.Unix())
	raw := render(from, to, subject, id, g.date, body, atts, g.r.IntN(6))
	return Message{MessageID: id, Subject: subject, Date: g.date, Raw: raw, HasAttachment: len(atts) > 0, Truth: dedupe(g.truth)}
}

func dedupe(ts []Truth) []Truth {
	seen := map[Truth]bool{}
	var out []Truth
	for _, t := range ts {
		if !seen[t] {
			seen[t] = true
			out = append(out, t)
		}
	}
	return out
}

// render writes a message with go-message. style picks the body's form:
// 0 quoted-printable UTF-8, 1 base64, 2 ISO-8859-1, 3 HTML alternative, else 8bit.
func render(from, to *mail.Address, subject, id string, date time.Time, body []string, atts []part, style int) []byte {
	var h mail.Header
	h.SetDate(date)
	h.SetAddressList("From", []*mail.Address{from})
	h.SetAddressList("To", []*mail.Address{to})
	h.SetSubject(subject)
	h.Set("Message-Id", id)
	text := strings.Join(body, "\r\n") + "\r\n"
	var buf bytes.Buffer
	textHeader := func() (mail.InlineHeader, []byte) {
		var th mail.InlineHeader
		data := []byte(text)
		switch style {
		case 1:
			th.SetContentType("text/plain", map[string]string{"charset": "utf-8"})
			th.Set("Content-Transfer-Encoding", "base64")
		case 2:
			// go-message writes only UTF-8 text parts: encode here, declare
			// UTF-8 to the writer and fix the label afterwards (latin1Label).
			if enc, err := charmap.ISO8859_1.NewEncoder().Bytes(data); err == nil {
				data = enc
			}
			th.SetContentType("text/plain", map[string]string{"charset": "utf-8"})
			th.Set("Content-Transfer-Encoding", "quoted-printable")
		case 4, 5:
			th.SetContentType("text/plain", map[string]string{"charset": "utf-8"})
			th.Set("Content-Transfer-Encoding", "8bit")
		default:
			th.SetContentType("text/plain", map[string]string{"charset": "utf-8"})
			th.Set("Content-Transfer-Encoding", "quoted-printable")
		}
		return th, data
	}
	if len(atts) == 0 && style != 3 {
		th, data := textHeader()
		mt, params, _ := th.ContentType()
		h.SetContentType(mt, params)
		h.Set("Content-Transfer-Encoding", th.Get("Content-Transfer-Encoding"))
		w, err := mail.CreateSingleInlineWriter(&buf, h)
		if err != nil {
			panic(err) // only invalid headers fail, and these are ours
		}
		_, _ = w.Write(data)
		_ = w.Close()
		return latin1Label(buf.Bytes(), style)
	}
	// go-message's mail.CreateWriter draws random boundaries; the corpus must
	// be deterministic, so the multipart structure is built with fixed ones.
	h.SetContentType("multipart/mixed", map[string]string{"boundary": boundary(id, "mixed")})
	mw, err := message.CreateWriter(&buf, h.Header)
	if err != nil {
		panic(err)
	}
	var alt message.Header
	alt.SetContentType("multipart/alternative", map[string]string{"boundary": boundary(id, "alt")})
	iw, err := mw.CreatePart(alt)
	if err != nil {
		panic(err)
	}
	th, data := textHeader()
	pw, err := iw.CreatePart(th.Header)
	if err != nil {
		panic(err)
	}
	_, _ = pw.Write(data)
	_ = pw.Close()
	if style == 3 {
		var hh message.Header
		hh.SetContentType("text/html", map[string]string{"charset": "utf-8"})
		hh.Set("Content-Transfer-Encoding", "quoted-printable")
		hw, err := iw.CreatePart(hh)
		if err != nil {
			panic(err)
		}
		var b strings.Builder
		b.WriteString("<html><body>")
		for _, l := range body {
			b.WriteString("<p>" + html.EscapeString(l) + "</p>\r\n")
		}
		b.WriteString("</body></html>\r\n")
		_, _ = hw.Write([]byte(b.String()))
		_ = hw.Close()
	}
	_ = iw.Close()
	for _, a := range atts {
		var ah mail.AttachmentHeader
		ah.SetContentType(a.contentType, nil)
		ah.SetFilename(a.filename)
		if a.contentType == "message/rfc822" {
			ah.Set("Content-Transfer-Encoding", "8bit")
		} else {
			ah.Set("Content-Transfer-Encoding", "base64")
		}
		aw, err := mw.CreatePart(ah.Header)
		if err != nil {
			panic(err)
		}
		_, _ = aw.Write(a.data)
		_ = aw.Close()
	}
	_ = mw.Close()
	return latin1Label(buf.Bytes(), style)
}

// latin1Label relabels the text part of a style-2 message, whose bytes are
// ISO-8859-1, with its real charset.
func latin1Label(raw []byte, style int) []byte {
	if style != 2 {
		return raw
	}
	return bytes.Replace(raw, []byte("charset=utf-8"), []byte("charset=iso-8859-1"), 1)
}

func boundary(id, kind string) string {
	return fmt.Sprintf("=_%s_%x", kind, fnv32(id))
}

func fnv32(s string) uint32 {
	h := uint32(2166136261)
	for i := 0; i < len(s); i++ {
		h ^= uint32(s[i])
		h *= 16777619
	}
	return h
}
