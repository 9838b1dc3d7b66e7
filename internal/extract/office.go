package extract

import (
	"archive/zip"
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/xuri/excelize/v2"
)

// docxText reads word/document.xml of a DOCX: the text of its w:t runs,
// one line per paragraph, with tabs and breaks kept.
func docxText(data []byte, limit int64) ([]byte, string) {
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return nil, "damaged DOCX (not a zip archive); not scanned"
	}
	for _, f := range zr.File {
		if f.Name != "word/document.xml" {
			continue
		}
		rc, err := f.Open()
		if err != nil {
			return nil, "damaged DOCX; not scanned"
		}
		defer func() { _ = rc.Close() }() // read-only
		lr := &io.LimitedReader{R: rc, N: limit}
		var out bytes.Buffer
		dec := xml.NewDecoder(lr)
		inText := false
		for {
			tok, err := dec.Token()
			if err != nil {
				if lr.N <= 0 {
					return out.Bytes(), "DOCX text over the size limit; only the start scanned"
				}
				if !errors.Is(err, io.EOF) {
					return out.Bytes(), "damaged DOCX XML; scanned what was readable"
				}
				return out.Bytes(), ""
			}
			switch t := tok.(type) {
			case xml.StartElement:
				switch t.Name.Local {
				case "t":
					inText = true
				case "tab":
					out.WriteByte('\t')
				case "br", "cr":
					out.WriteByte('\n')
				}
			case xml.EndElement:
				switch t.Name.Local {
				case "t":
					inText = false
				case "p":
					out.WriteByte('\n')
				}
			case xml.CharData:
				if inText {
					out.Write(t)
				}
			}
		}
	}
	return nil, "DOCX without word/document.xml; not scanned"
}

// xlsxText reads every sheet of a workbook, one line per row, cells
// separated by commas.
func xlsxText(data []byte, limit int64) (text []byte, reason string) {
	f, err := excelize.OpenReader(bytes.NewReader(data), excelize.Options{UnzipSizeLimit: limit, UnzipXMLSizeLimit: limit})
	if err != nil {
		return nil, "damaged or oversized XLSX; not scanned"
	}
	defer func() { _ = f.Close() }() // in memory
	var out bytes.Buffer
	for _, sheet := range f.GetSheetList() {
		rows, err := f.GetRows(sheet)
		if err != nil {
			reason = "damaged XLSX sheet; skipped"
			continue
		}
		for _, row := range rows {
			out.WriteString(strings.Join(row, ","))
			out.WriteByte('\n')
			if int64(out.Len()) > limit {
				return out.Bytes(), "XLSX text over the size limit; only the start scanned"
			}
		}
	}
	return out.Bytes(), reason
}

// zip scans the members of a ZIP archive within the message's limits.
func (w *walk) zip(name string, data []byte, depth int) {
	if depth+1 > w.x.lim.MaxDepth {
		w.incomplete(name, fmt.Sprintf("archives nested deeper than %d levels; not scanned", w.x.lim.MaxDepth))
		return
	}
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		w.incomplete(name, "damaged ZIP archive; not scanned")
		return
	}
	for _, f := range zr.File {
		member := name + "/" + cleanName(f.Name)
		if f.FileInfo().IsDir() {
			continue
		}
		if !w.countPart(member) {
			return
		}
		if w.budget <= 0 {
			w.incomplete(member, "expanded size over the limit; not scanned")
			continue
		}
		rc, err := f.Open()
		if err != nil {
			w.incomplete(member, "damaged or encrypted archive member; not scanned")
			continue
		}
		body, cut, err := w.read(rc)
		_ = rc.Close() // read-only
		if err != nil {
			w.incomplete(member, "damaged archive member; scanned what was readable")
		}
		if cut {
			w.incomplete(member, "expanded size over the limit (archive bomb?); only the start scanned")
		}
		w.content(member, "", f.Name, body, depth+1)
	}
}
