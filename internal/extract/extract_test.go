package extract

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"encoding/base64"
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/vigilhq/vigil/internal/clinicmail"
)

func allText(r *Result) string {
	var b strings.Builder
	for _, p := range r.Parts {
		b.Write(p.Text)
		b.WriteByte('\n')
	}
	return b.String()
}

// TestGeneratedCorpus: every identifier the generator wrote is in the text
// extracted from its message, whatever part (PDF, DOCX, CSV, forwarded
// message, ISO-8859-1 or base64 body) it was written to.
func TestGeneratedCorpus(t *testing.T) {
	c := clinicmail.Generate(clinicmail.Options{Seed: 11, Patients: 80, Messages: 300})
	x := New(Limits{})
	kinds := map[string]int{}
	for _, m := range c.Messages {
		res, err := x.Extract(bytes.NewReader(m.Raw))
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Incomplete) > 0 {
			t.Errorf("%s: incomplete %v", m.MessageID, res.Incomplete)
		}
		if "<"+res.MessageID+">" != m.MessageID {
			t.Errorf("Message-ID %q, want %q", res.MessageID, m.MessageID)
		}
		for _, p := range res.Parts {
			kinds[p.Name[strings.LastIndexByte(p.Name, '.')+1:]]++
		}
		text := allText(res)
		for _, tr := range m.Truth {
			var want string
			switch tr.Type {
			case clinicmail.TypeNINO:
				want = tr.Value[:2]
			case clinicmail.TypeName:
				want = strings.Fields(tr.Value)[0] // first name: always written whole
			case clinicmail.TypeEmail:
				want = tr.Value
			default:
				continue
			}
			if !strings.Contains(text, want) {
				t.Errorf("%s: %s %q not in the extracted text", m.MessageID, tr.Type, want)
			}
		}
	}
	for _, k := range []string{"pdf", "docx", "csv", "html"} {
		if kinds[k] == 0 {
			t.Errorf("no %s part extracted (parts by kind: %v)", k, kinds)
		}
	}
}

func TestPDFAndDOCXText(t *testing.T) {
	lines := []string{"Patient: Zoë O'Neill (test)", "NHS number 999 313 1342", `Back\slash`}
	pdf, reason := pdfText(clinicmail.PDF(lines), 1<<20)
	if reason != "" || string(pdf) != strings.Join(lines, "\n")+"\n" {
		t.Errorf("PDF text %q (%s)", pdf, reason)
	}
	docx, reason := docxText(clinicmail.DOCX(lines), 1<<20)
	if reason != "" || string(docx) != strings.Join(lines, "\n")+"\n" {
		t.Errorf("DOCX text %q (%s)", docx, reason)
	}
}

func rawMsg(ct, body string) []byte {
	return []byte("From: a@example.org\r\nMessage-Id: <h@example.org>\r\nMIME-Version: 1.0\r\nContent-Type: " + ct + "\r\n\r\n" + body)
}

func withAttachment(name string, data []byte) []byte {
	var b bytes.Buffer
	b.WriteString("--b\r\nContent-Type: text/plain\r\n\r\nsee attached\r\n--b\r\nContent-Type: application/octet-stream\r\nContent-Disposition: attachment; filename=" + name + "\r\nContent-Transfer-Encoding: base64\r\n\r\n")
	enc := make([]byte, (len(data)+2)/3*4)
	base64.StdEncoding.Encode(enc, data)
	for len(enc) > 76 {
		b.Write(enc[:76])
		b.WriteString("\r\n")
		enc = enc[76:]
	}
	b.Write(enc)
	b.WriteString("\r\n--b--\r\n")
	return rawMsg("multipart/mixed; boundary=b", b.String())
}

func zipOf(t testing.TB, members map[string][]byte) []byte {
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	zw.RegisterCompressor(zip.Deflate, func(w io.Writer) (io.WriteCloser, error) { return flate.NewWriter(w, flate.BestCompression) })
	for name, data := range members {
		w, err := zw.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write(data); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func hasIncomplete(r *Result, part, reason string) bool {
	for _, in := range r.Incomplete {
		if strings.Contains(in.Part, part) && strings.Contains(in.Reason, reason) {
			return true
		}
	}
	return false
}

// TestHostile: each hostile input ends normally, with the part recorded as
// not fully scanned, and what could be read still read.
func TestHostile(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a 100 MB zip bomb")
	}
	zeros := make([]byte, 100<<20)
	inner := zipOf(t, map[string][]byte{"zeros.txt": zeros})
	nested := map[string][]byte{}
	for i := range 10 {
		nested[fmt.Sprintf("layer%d.zip", i)] = inner
	}
	bomb := zipOf(t, nested)
	t.Logf("zip bomb: %d bytes holding %d MB", len(bomb), 10*len(zeros)>>20)
	res, err := New(Limits{}).Extract(bytes.NewReader(withAttachment("bomb.zip", bomb)))
	if err != nil {
		t.Fatal(err)
	}
	if !hasIncomplete(res, "bomb.zip/", "limit") {
		t.Errorf("zip bomb: incomplete = %v", res.Incomplete)
	}
	testHostileSmall(t)
}

func TestHostileSmall(t *testing.T) { testHostileSmall(t) }

func testHostileSmall(t *testing.T) {
	x := New(Limits{})
	// 10,000 nested multiparts.
	var deep strings.Builder
	for i := range 10000 {
		fmt.Fprintf(&deep, "--b%d\r\nContent-Type: multipart/mixed; boundary=b%d\r\n\r\n", i, i+1)
	}
	deep.WriteString("--b10000\r\nContent-Type: text/plain\r\n\r\nNHS 999 313 1342\r\n--b10000--\r\n")
	res, err := x.Extract(bytes.NewReader(rawMsg("multipart/mixed; boundary=b0", deep.String())))
	if err != nil || !hasIncomplete(res, "body", "nested deeper") {
		t.Errorf("10,000 nested parts: err %v, incomplete %v", err, res.Incomplete)
	}
	// 10,000 sibling parts.
	var wide strings.Builder
	for range 10000 {
		wide.WriteString("--b\r\nContent-Type: text/plain\r\n\r\nx\r\n")
	}
	wide.WriteString("--b--\r\n")
	res, err = x.Extract(bytes.NewReader(rawMsg("multipart/mixed; boundary=b", wide.String())))
	if err != nil || !hasIncomplete(res, "", "more than 1000 parts") {
		t.Errorf("10,000 sibling parts: err %v, incomplete %v", err, res.Incomplete)
	}
	// A truncated PDF: its text up to the cut is still read.
	pdf := clinicmail.PDF([]string{"NHS number 999 313 1342"})
	pdf = pdf[:len(pdf)*2/3]
	res, err = x.Extract(bytes.NewReader(withAttachment("letter.pdf", pdf)))
	if err != nil || !hasIncomplete(res, "letter.pdf", "truncated PDF") {
		t.Errorf("truncated PDF: err %v, incomplete %v", err, res.Incomplete)
	}
	// An unknown charset: recorded, and the bytes scanned as they are.
	res, err = x.Extract(bytes.NewReader(rawMsg("text/plain; charset=x-klingon", "NHS 999 313 1342\r\n")))
	if err != nil || !hasIncomplete(res, "body", "unknown charset") || !strings.Contains(allText(res), "999 313 1342") {
		t.Errorf("unknown charset: err %v, incomplete %v, text %q", err, res.Incomplete, allText(res))
	}
	// A damaged DOCX and an image: recorded, not fatal.
	res, _ = x.Extract(bytes.NewReader(withAttachment("notes.docx", []byte("PK\x03\x04garbage"))))
	if !hasIncomplete(res, "notes.docx", "damaged DOCX") {
		t.Errorf("damaged DOCX: %v", res.Incomplete)
	}
}

func FuzzExtract(f *testing.F) {
	c := clinicmail.Generate(clinicmail.Options{Seed: 2, Patients: 10, Messages: 12})
	for _, m := range c.Messages {
		f.Add(m.Raw)
	}
	x := New(Limits{MaxBytes: 1 << 20})
	f.Fuzz(func(_ *testing.T, raw []byte) {
		_, _ = x.Extract(bytes.NewReader(raw))
	})
}

func FuzzPDF(f *testing.F) {
	f.Add(clinicmail.PDF([]string{"Patient: A (b) \\ c"}))
	f.Fuzz(func(_ *testing.T, data []byte) {
		_, _ = pdfText(data, 1<<20)
	})
}
