package lab

import (
	"archive/zip"
	"bytes"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/emersion/go-message/mail"
)

// This is a small stand-in for internal/clinicmail (issue 6): once that
// generator is merged, the lab takes its messages from it instead.

// patientMail is one message the lab delivers, and what it is.
type patientMail struct {
	MessageID string
	Subject   string
	Raw       []byte
}

// patient is an invented patient; NHS numbers are from the test range
// 999 000 0000 – 999 999 9999 with a valid check digit.
type patient struct {
	Name, NHS, DOB string
}

var patients = []patient{
	{"Ada Whitcombe", "9990000018", "1961-03-14"},
	{"Basil Ormerod", "9990000026", "1948-11-02"},
	{"Cora Pendle", "9990000034", "1990-07-29"},
	{"Desmond Ashby", "9990000042", "1975-01-08"},
	{"Elsie Trask", "9990000050", "2001-05-17"},
	{"Felix Harrow", "9990000069", "1983-09-23"},
}

// nhsCheck reports whether an NHS number's check digit is right (mod 11).
func nhsCheck(n string) bool {
	if len(n) != 10 {
		return false
	}
	sum := 0
	for i := 0; i < 9; i++ {
		sum += int(n[i]-'0') * (10 - i)
	}
	c := 11 - sum%11
	if c == 11 {
		c = 0
	}
	return c != 10 && int(n[9]-'0') == c
}

// mailbox builds n messages for user: referral letters with a PDF,
// results with a DOCX, and appointment mail, in turn.
func mailbox(user string, n int, at time.Time) []patientMail {
	var out []patientMail
	for i := 0; i < n; i++ {
		p := patients[i%len(patients)]
		id := fmt.Sprintf("<%s-%d.lab@clinic.test>", user, i+1)
		var m patientMail
		switch i % 3 {
		case 0:
			m = build(id, user, "Referral: "+p.Name, at.Add(time.Duration(i)*time.Minute),
				fmt.Sprintf("Dear colleague,\r\nplease see %s (NHS %s, born %s) for a cardiology opinion.\r\nThe referral letter is attached.\r\n", p.Name, p.NHS, p.DOB),
				attachment{"referral-" + p.NHS + ".pdf", "application/pdf", minimalPDF("Referral letter for " + p.Name + " NHS " + p.NHS)})
		case 1:
			m = build(id, user, "Results: "+p.Name, at.Add(time.Duration(i)*time.Minute),
				fmt.Sprintf("Blood results for %s (NHS %s) attached.\r\n", p.Name, p.NHS),
				attachment{"results-" + p.NHS + ".docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
					minimalDOCX("Full blood count for " + p.Name + ", NHS " + p.NHS + ", born " + p.DOB + ": within normal limits.")})
		default:
			m = build(id, user, "Appointment for "+p.Name, at.Add(time.Duration(i)*time.Minute),
				fmt.Sprintf("%s (NHS %s) is booked on %s at 10:30 in clinic 4.\r\n", p.Name, p.NHS, at.AddDate(0, 0, 14).Format("2 January 2006")))
		}
		out = append(out, m)
	}
	return out
}

type attachment struct {
	name, ctype string
	data        []byte
}

func build(msgID, user, subject string, date time.Time, text string, atts ...attachment) patientMail {
	var h mail.Header
	h.SetDate(date)
	h.SetAddressList("From", []*mail.Address{{Name: "Clinic Admin", Address: "admin@clinic.test"}})
	h.SetAddressList("To", []*mail.Address{{Address: user + "@clinic.test"}})
	h.SetSubject(subject)
	h.Set("Message-Id", msgID)
	var b bytes.Buffer
	var w io.WriteCloser
	var mw *mail.Writer
	var err error
	if len(atts) == 0 {
		w, err = mail.CreateSingleInlineWriter(&b, h)
		must(err)
		_, err = io.WriteString(w, text)
		must(err)
		must(w.Close())
		return patientMail{MessageID: msgID, Subject: subject, Raw: b.Bytes()}
	}
	mw, err = mail.CreateWriter(&b, h)
	must(err)
	var th mail.InlineHeader
	th.Set("Content-Type", "text/plain; charset=utf-8")
	w, err = mw.CreateSingleInline(th)
	must(err)
	_, err = io.WriteString(w, text)
	must(err)
	must(w.Close())
	for _, a := range atts {
		var ah mail.AttachmentHeader
		ah.Set("Content-Type", a.ctype)
		ah.SetFilename(a.name)
		w, err = mw.CreateAttachment(ah)
		must(err)
		_, err = w.Write(a.data)
		must(err)
		must(w.Close())
	}
	must(mw.Close())
	return patientMail{MessageID: msgID, Subject: subject, Raw: b.Bytes()}
}

func must(err error) {
	if err != nil {
		panic(err)
	}
}

// minimalPDF is a one-page PDF 1.4 showing text, with a correct xref table.
func minimalPDF(text string) []byte {
	text = strings.NewReplacer(`\`, `\\`, "(", `\(`, ")", `\)`).Replace(text)
	content := fmt.Sprintf("BT /F1 12 Tf 72 720 Td (%s) Tj ET", text)
	objs := []string{
		"<< /Type /Catalog /Pages 2 0 R >>",
		"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
		"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>",
		fmt.Sprintf("<< /Length %d >>\nstream\n%s\nendstream", len(content), content),
		"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
	}
	var b bytes.Buffer
	b.WriteString("%PDF-1.4\n")
	offs := make([]int, len(objs))
	for i, o := range objs {
		offs[i] = b.Len()
		fmt.Fprintf(&b, "%d 0 obj\n%s\nendobj\n", i+1, o)
	}
	xref := b.Len()
	fmt.Fprintf(&b, "xref\n0 %d\n0000000000 65535 f \n", len(objs)+1)
	for _, o := range offs {
		fmt.Fprintf(&b, "%010d 00000 n \n", o)
	}
	fmt.Fprintf(&b, "trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n", len(objs)+1, xref)
	return b.Bytes()
}

// minimalDOCX is a Word document (OOXML zip) with one paragraph.
func minimalDOCX(text string) []byte {
	var b bytes.Buffer
	z := zip.NewWriter(&b)
	files := []struct{ name, body string }{
		{"[Content_Types].xml", `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>`},
		{"_rels/.rels", `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/></Relationships>`},
		{"word/document.xml", `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body><w:p><w:r><w:t>` + xmlEscape(text) + `</w:t></w:r></w:p></w:body></w:document>`},
	}
	for _, f := range files {
		w, err := z.Create(f.name)
		must(err)
		_, err = io.WriteString(w, f.body)
		must(err)
	}
	must(z.Close())
	return b.Bytes()
}

func xmlEscape(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace(s)
}
