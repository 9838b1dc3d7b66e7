package main

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vigilhq/vigil/internal/clinicmail"
)

func hostileMessage(name, contentType, body string) []byte {
	return []byte("From: a@example.org\r\nMessage-Id: <" + name + "@example.org>\r\nMIME-Version: 1.0\r\nContent-Type: " + contentType + "\r\n\r\n" + body)
}

func attach(name string, data []byte) []byte {
	enc := base64.StdEncoding.EncodeToString(data)
	var b strings.Builder
	b.WriteString("--b\r\nContent-Type: text/plain\r\n\r\nsee attached\r\n--b\r\nContent-Type: application/octet-stream\r\nContent-Disposition: attachment; filename=" + name + "\r\nContent-Transfer-Encoding: base64\r\n\r\n")
	for len(enc) > 76 {
		b.WriteString(enc[:76] + "\r\n")
		enc = enc[76:]
	}
	b.WriteString(enc + "\r\n--b--\r\n")
	return hostileMessage(name, "multipart/mixed; boundary=b", b.String())
}

// TestScanHostileInput: a zip bomb, 10,000 nested parts, a truncated PDF
// and an unknown charset each end the scan normally (exit 0), with the part
// reported as not_fully_scanned, and the other messages still scanned.
func TestScanHostileInput(t *testing.T) {
	if testing.Short() {
		t.Skip("compresses a 1 GB zip bomb")
	}
	dir := t.TempDir()
	var bomb bytes.Buffer
	zw := zip.NewWriter(&bomb)
	zw.RegisterCompressor(zip.Deflate, func(w io.Writer) (io.WriteCloser, error) { return flate.NewWriter(w, flate.BestCompression) })
	zeros := make([]byte, 1<<20)
	w, err := zw.Create("zeros.txt")
	if err != nil {
		t.Fatal(err)
	}
	for range 1024 { // 1 GB of zeros in about 1 MB
		if _, err := w.Write(zeros); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	var deep strings.Builder
	for i := range 10000 {
		fmt.Fprintf(&deep, "--b%d\r\nContent-Type: multipart/mixed; boundary=b%d\r\n\r\n", i, i+1)
	}
	pdf := clinicmail.PDF([]string{"NHS number 999 313 1342"})
	files := map[string][]byte{
		"bomb.eml":     attach("bomb.zip", bomb.Bytes()),
		"deep.eml":     hostileMessage("deep", "multipart/mixed; boundary=b0", deep.String()),
		"pdf.eml":      attach("letter.pdf", pdf[:bytes.LastIndex(pdf, []byte("xref"))]), // cut after the page: text readable, no %%EOF
		"pdfcut.eml":   attach("letter.pdf", pdf[:len(pdf)*2/3]),                         // cut inside the compressed stream
		"charset.eml":  hostileMessage("charset", "text/plain; charset=x-klingon", "NHS 999 313 1342\r\n"),
		"ordinary.eml": hostileMessage("ordinary", "text/plain", "Patient NHS No: 999 313 1342\r\n"),
	}
	for name, data := range files {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	stdout, stderr, code := runCLI(t, "", "scan", "--json", dir)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	incomplete := map[string]string{}
	nhs := map[string]bool{}
	for _, line := range strings.Split(strings.TrimSpace(stdout), "\n") {
		var r struct{ Type, Path, Part, Reason string }
		if err := json.Unmarshal([]byte(line), &r); err != nil {
			t.Fatalf("not JSON: %q", line)
		}
		switch r.Type {
		case "not_fully_scanned":
			incomplete[filepath.Base(r.Path)] = r.Reason
		case "nhs_number":
			nhs[filepath.Base(r.Path)] = true
		}
	}
	for _, name := range []string{"bomb.eml", "deep.eml", "pdf.eml", "pdfcut.eml", "charset.eml"} {
		if incomplete[name] == "" {
			t.Errorf("%s: no not_fully_scanned record (%v)", name, incomplete)
		}
	}
	t.Logf("not fully scanned: %v", incomplete)
	if !nhs["ordinary.eml"] || !nhs["charset.eml"] || !nhs["pdf.eml"] {
		t.Errorf("NHS numbers found in %v; want ordinary, charset and the readable part of the PDF", nhs)
	}
}
