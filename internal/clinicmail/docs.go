package clinicmail

import (
	"archive/zip"
	"bytes"
	"compress/zlib"
	"fmt"
	"html"
	"strings"

	"golang.org/x/text/encoding/charmap"
)

// PDF returns a minimal, valid PDF 1.4 document with one page showing lines
// in Helvetica (WinAnsi encoding), its content stream Flate-compressed.
func PDF(lines []string) []byte {
	var content bytes.Buffer
	content.WriteString("BT\n/F1 11 Tf\n14 TL\n72 770 Td\n")
	for _, l := range lines {
		enc, err := charmap.Windows1252.NewEncoder().String(l)
		if err != nil {
			enc = l
		}
		content.WriteByte('(')
		for i := 0; i < len(enc); i++ {
			switch c := enc[i]; {
			case c == '(' || c == ')' || c == '\\':
				content.WriteByte('\\')
				content.WriteByte(c)
			case c >= 0x80:
				fmt.Fprintf(&content, "\\%03o", c)
			default:
				content.WriteByte(c)
			}
		}
		content.WriteString(") Tj T*\n")
	}
	content.WriteString("ET\n")
	var z bytes.Buffer
	zw := zlib.NewWriter(&z)
	_, _ = zw.Write(content.Bytes())
	_ = zw.Close()

	var b bytes.Buffer
	var offsets []int
	obj := func(body string) {
		offsets = append(offsets, b.Len())
		fmt.Fprintf(&b, "%d 0 obj\n%s\nendobj\n", len(offsets), body)
	}
	b.WriteString("%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
	obj("<< /Type /Catalog /Pages 2 0 R >>")
	obj("<< /Type /Pages /Kids [3 0 R] /Count 1 >>")
	obj("<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>")
	obj("<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>")
	obj(fmt.Sprintf("<< /Length %d /Filter /FlateDecode >>\nstream\n%s\nendstream", z.Len(), z.Bytes()))
	xref := b.Len()
	fmt.Fprintf(&b, "xref\n0 %d\n0000000000 65535 f \n", len(offsets)+1)
	for _, o := range offsets {
		fmt.Fprintf(&b, "%010d 00000 n \n", o)
	}
	fmt.Fprintf(&b, "trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n", len(offsets)+1, xref)
	return b.Bytes()
}

// DOCX returns a minimal Word document with one paragraph per line. Each
// line is split into two runs mid-text, as Word itself often does.
func DOCX(lines []string) []byte {
	var doc strings.Builder
	doc.WriteString(`<?xml version="1.0" encoding="UTF-8" standalone="yes"?>` + "\n" +
		`<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>`)
	for _, l := range lines {
		cut := len(l) / 2
		for cut > 0 && cut < len(l) && l[cut]&0xC0 == 0x80 {
			cut++
		}
		doc.WriteString(`<w:p><w:r><w:t xml:space="preserve">` + html.EscapeString(l[:cut]) + `</w:t></w:r><w:r><w:rPr><w:b/></w:rPr><w:t xml:space="preserve">` +
			html.EscapeString(l[cut:]) + `</w:t></w:r></w:p>`)
	}
	doc.WriteString(`<w:sectPr/></w:body></w:document>`)
	files := []struct{ name, body string }{
		{"[Content_Types].xml", `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>`},
		{"_rels/.rels", `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/></Relationships>`},
		{"word/document.xml", doc.String()},
	}
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	for _, f := range files {
		w, err := zw.Create(f.name)
		if err != nil {
			panic(err) // writing to memory does not fail
		}
		_, _ = w.Write([]byte(f.body))
	}
	_ = zw.Close()
	return b.Bytes()
}
