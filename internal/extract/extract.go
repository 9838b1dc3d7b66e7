// Package extract turns one raw mail message into the texts a PHI scanner
// reads: decoded headers, bodies (transfer encodings, charsets, HTML to text),
// nested message/rfc822 parts, and attachments (PDF, DOCX, XLSX, CSV, plain
// text, ZIP archives). Limits on depth, part count and expanded size stop
// archive bombs and hostile nesting; whatever is cut short is reported as a
// part not fully scanned, never as a crash.
//
// It must not detect or judge personal data (internal/phi does), log message
// content, or write anything anywhere.
package extract

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"mime"
	"path"
	"strings"

	"github.com/emersion/go-message"
	_ "github.com/emersion/go-message/charset" // decode the charsets mail uses (ISO-8859-*, Windows-125x, …)
	"github.com/emersion/go-message/mail"
)

// Limits bound the work spent on one message. Zero fields take defaults.
type Limits struct {
	MaxDepth     int   // nesting of multiparts, attached messages and archives; default 12
	MaxParts     int   // parts and archive members; default 1000
	MaxBytes     int64 // decoded bytes read for the whole message; default 64 MiB
	MaxPartBytes int64 // decoded bytes of one part; default 16 MiB
}

func (l Limits) withDefaults() Limits {
	if l.MaxDepth == 0 {
		l.MaxDepth = 12
	}
	if l.MaxParts == 0 {
		l.MaxParts = 1000
	}
	if l.MaxBytes == 0 {
		l.MaxBytes = 64 << 20
	}
	if l.MaxPartBytes == 0 {
		l.MaxPartBytes = 16 << 20
	}
	return l
}

// Part is one text to scan. Name says where it came from: "headers", "body",
// "body.html", an attachment's file name, or archive/member paths.
type Part struct {
	Name string
	Text []byte
}

// Incomplete records a part that was not fully scanned, and why.
type Incomplete struct {
	Part   string
	Reason string
}

// Result is what one message yields.
type Result struct {
	MessageID  string
	Subject    string
	Parts      []Part
	Incomplete []Incomplete
}

// Extractor extracts texts from messages; it is safe for use by one goroutine.
type Extractor struct {
	lim Limits
}

// New returns an Extractor with the given limits.
func New(lim Limits) *Extractor { return &Extractor{lim: lim.withDefaults()} }

type walk struct {
	x      *Extractor
	res    *Result
	parts  int
	budget int64
}

// Extract reads one message from r. It returns an error only when r itself
// fails or holds no message header at all; damaged parts become Incomplete.
func (x *Extractor) Extract(r io.Reader) (*Result, error) {
	w := &walk{x: x, res: &Result{}, budget: x.lim.MaxBytes}
	e, err := message.Read(r)
	if err != nil && e == nil {
		return nil, fmt.Errorf("extract: %w", err)
	}
	if err != nil {
		w.incomplete("body", charsetReason(err))
	}
	h := mail.Header{Header: e.Header}
	w.res.MessageID = strings.Trim(h.Get("Message-Id"), "<> ")
	w.res.Subject, _ = h.Subject()
	w.headers(h, "headers")
	w.entity(e, "body", 0)
	return w.res, nil
}

func (w *walk) incomplete(part, reason string) {
	w.res.Incomplete = append(w.res.Incomplete, Incomplete{Part: part, Reason: reason})
}

func (w *walk) emit(name string, text []byte) {
	if len(text) > 0 {
		w.res.Parts = append(w.res.Parts, Part{Name: name, Text: text})
	}
}

// headers makes the decoded address and subject headers one text.
func (w *walk) headers(h mail.Header, name string) {
	var b bytes.Buffer
	for _, k := range []string{"From", "To", "Cc", "Reply-To"} {
		if v := h.Get(k); v != "" {
			if list, err := h.AddressList(k); err == nil {
				b.WriteString(k + ": ")
				for i, a := range list {
					if i > 0 {
						b.WriteString(", ")
					}
					b.WriteString(a.Name + " <" + a.Address + ">")
				}
				b.WriteByte('\n')
			} else {
				b.WriteString(k + ": " + v + "\n")
			}
		}
	}
	if s, err := h.Subject(); err == nil {
		b.WriteString("Subject: " + s + "\n")
	}
	w.emit(name, b.Bytes())
}

func charsetReason(err error) string {
	if message.IsUnknownCharset(err) {
		return "unknown charset; scanned as raw bytes"
	}
	if message.IsUnknownEncoding(err) {
		return "unknown transfer encoding; scanned undecoded"
	}
	return "malformed: " + errorPhrase(err)
}

// errorPhrase keeps an error's text short; go-message's errors name no content.
func errorPhrase(err error) string {
	s := err.Error()
	if len(s) > 120 {
		s = s[:120]
	}
	return s
}

// read takes up to the part and message budgets from r. cut is true when a
// limit stopped it.
func (w *walk) read(r io.Reader) (data []byte, cut bool, err error) {
	limit := min(w.x.lim.MaxPartBytes, w.budget)
	data, err = io.ReadAll(io.LimitReader(r, limit+1))
	if int64(len(data)) > limit {
		data, cut = data[:limit], true
	}
	w.budget -= int64(len(data))
	return data, cut, err
}

func (w *walk) countPart(name string) bool {
	w.parts++
	if w.parts > w.x.lim.MaxParts {
		if w.parts == w.x.lim.MaxParts+1 {
			w.incomplete(name, fmt.Sprintf("more than %d parts; the rest not scanned", w.x.lim.MaxParts))
		}
		return false
	}
	return true
}

func (w *walk) entity(e *message.Entity, name string, depth int) {
	if !w.countPart(name) {
		return
	}
	if depth > w.x.lim.MaxDepth {
		w.incomplete(name, fmt.Sprintf("nested deeper than %d levels; not scanned", w.x.lim.MaxDepth))
		return
	}
	if mr := e.MultipartReader(); mr != nil {
		for i := 1; ; i++ {
			p, err := mr.NextPart()
			if errors.Is(err, io.EOF) {
				return
			}
			if err != nil && p == nil {
				w.incomplete(name, "malformed multipart: "+errorPhrase(err))
				return
			}
			child := partName(p.Header, name, i)
			if err != nil {
				w.incomplete(child, charsetReason(err))
			}
			w.entity(p, child, depth+1)
			if w.parts > w.x.lim.MaxParts {
				return
			}
		}
	}
	ct, params, _ := e.Header.ContentType()
	if ct == "" {
		ct = "text/plain"
	}
	filename := attachmentName(e.Header, params)
	data, cut, err := w.read(e.Body)
	if err != nil {
		w.incomplete(name, "body cut short: "+errorPhrase(err))
	}
	if cut {
		w.incomplete(name, "over the size limit; only the start scanned")
	}
	if ct == "message/rfc822" || ct == "message/global" {
		inner, err := message.Read(bytes.NewReader(data))
		if inner == nil {
			w.incomplete(name, "attached message unreadable: "+errorPhrase(err))
			w.emit(name, data)
			return
		}
		if err != nil {
			w.incomplete(name, charsetReason(err))
		}
		w.headers(mail.Header{Header: inner.Header}, name+"/headers")
		w.entity(inner, name+"/body", depth+1)
		return
	}
	w.content(name, ct, filename, data, depth)
}

// content extracts text from one decoded part or archive member.
func (w *walk) content(name, ct, filename string, data []byte, depth int) {
	ext := strings.ToLower(path.Ext(filename))
	switch {
	case ct == "text/html" || ext == ".html" || ext == ".htm":
		w.emit(name, htmlText(data))
	case ct == "application/pdf" || ext == ".pdf":
		text, reason := pdfText(data, w.x.lim.MaxPartBytes)
		if reason != "" {
			w.incomplete(name, reason)
		}
		w.emit(name, text)
	case ext == ".docx" || ct == "application/vnd.openxmlformats-officedocument.wordprocessingml.document":
		text, reason := docxText(data, w.x.lim.MaxPartBytes)
		if reason != "" {
			w.incomplete(name, reason)
		}
		w.emit(name, text)
	case ext == ".xlsx" || ct == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet":
		text, reason := xlsxText(data, w.x.lim.MaxPartBytes)
		if reason != "" {
			w.incomplete(name, reason)
		}
		w.emit(name, text)
	case ext == ".zip" || ct == "application/zip" || ct == "application/x-zip-compressed":
		w.zip(name, data, depth)
	case strings.HasPrefix(ct, "text/") || ext == ".csv" || ext == ".txt" || ext == ".eml" || ct == "application/csv":
		w.emit(name, data)
	case strings.HasPrefix(ct, "multipart/"):
		w.incomplete(name, "multipart without a usable boundary; scanned as text")
		w.emit(name, data)
	default:
		w.incomplete(name, "no text extractor for "+ct+"; not scanned")
	}
}

func partName(h message.Header, parent string, i int) string {
	_, params, _ := h.ContentType()
	if f := attachmentName(h, params); f != "" {
		return f
	}
	if parent == "body" && i == 1 {
		return "body"
	}
	ct, _, _ := h.ContentType()
	if ct == "text/html" {
		return parent + ".html"
	}
	return fmt.Sprintf("%s.%d", parent, i)
}

func attachmentName(h message.Header, ctParams map[string]string) string {
	if _, p, err := h.ContentDisposition(); err == nil && p["filename"] != "" {
		return cleanName(p["filename"])
	}
	if ctParams["name"] != "" {
		return cleanName(ctParams["name"])
	}
	return ""
}

// cleanName keeps only the last path element of a sender-chosen file name.
func cleanName(s string) string {
	if d, err := new(mime.WordDecoder).DecodeHeader(s); err == nil {
		s = d
	}
	s = strings.ReplaceAll(s, "\\", "/")
	return path.Base(s)
}
