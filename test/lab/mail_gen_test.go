package lab

import (
	"archive/zip"
	"bytes"
	"errors"
	"io"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-message/mail"
)

// TestMailbox checks the stand-in generator without servers: valid MIME,
// PDFs whose xref points where it says, DOCX zips Word can open, and NHS
// numbers from the test range with valid check digits.
func TestMailbox(t *testing.T) {
	for _, p := range patients {
		if !nhsCheck(p.NHS) || !strings.HasPrefix(p.NHS, "999") {
			t.Errorf("NHS number %s: not a valid test-range number", p.NHS)
		}
	}
	if nhsCheck("9990000019") {
		t.Error("nhsCheck accepts a wrong check digit")
	}
	msgs := mailbox("dr.smith", 6, time.Date(2026, 11, 1, 9, 0, 0, 0, time.UTC))
	kinds := map[string]int{}
	for _, m := range msgs {
		r, err := mail.CreateReader(bytes.NewReader(m.Raw))
		if err != nil {
			t.Fatalf("%s: %v", m.MessageID, err)
		}
		if id := r.Header.Get("Message-Id"); id != m.MessageID {
			t.Errorf("Message-Id %q, want %q", id, m.MessageID)
		}
		for {
			p, err := r.NextPart()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				t.Fatalf("%s: %v", m.MessageID, err)
			}
			h, ok := p.Header.(*mail.AttachmentHeader)
			if !ok {
				continue
			}
			body, err := io.ReadAll(p.Body)
			if err != nil {
				t.Fatal(err)
			}
			name, _ := h.Filename()
			switch {
			case strings.HasSuffix(name, ".pdf"):
				kinds["pdf"]++
				checkPDF(t, name, body)
			case strings.HasSuffix(name, ".docx"):
				kinds["docx"]++
				checkDOCX(t, name, body)
			}
		}
	}
	if kinds["pdf"] != 2 || kinds["docx"] != 2 {
		t.Errorf("attachments %v, want 2 PDF and 2 DOCX in 6 messages", kinds)
	}
}

func checkPDF(t *testing.T, name string, b []byte) {
	t.Helper()
	s := string(b)
	if !strings.HasPrefix(s, "%PDF-1.4\n") || !strings.HasSuffix(s, "%%EOF\n") {
		t.Errorf("%s: not a PDF", name)
		return
	}
	i := strings.LastIndex(s, "startxref\n")
	off, err := strconv.Atoi(strings.Fields(s[i+len("startxref\n"):])[0])
	if err != nil || !strings.HasPrefix(s[off:], "xref\n") {
		t.Errorf("%s: startxref does not point at the xref table", name)
	}
	// Each object offset in the table points at "N 0 obj".
	lines := strings.Split(s[off:], "\n")
	for n := 1; n <= 5; n++ {
		o, _ := strconv.Atoi(strings.Fields(lines[2+n])[0])
		if !strings.HasPrefix(s[o:], strconv.Itoa(n)+" 0 obj") {
			t.Errorf("%s: xref entry %d does not point at object %d", name, n, n)
		}
	}
}

func checkDOCX(t *testing.T, name string, b []byte) {
	t.Helper()
	z, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	found := map[string]bool{}
	for _, f := range z.File {
		found[f.Name] = true
		if f.Name == "word/document.xml" {
			rc, err := f.Open()
			if err != nil {
				t.Fatal(err)
			}
			x, _ := io.ReadAll(rc)
			_ = rc.Close()
			if !strings.Contains(string(x), "NHS 999") {
				t.Errorf("%s: document.xml lacks the patient text", name)
			}
		}
	}
	for _, want := range []string{"[Content_Types].xml", "_rels/.rels", "word/document.xml"} {
		if !found[want] {
			t.Errorf("%s: no %s", name, want)
		}
	}
}
