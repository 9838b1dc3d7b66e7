package extract

import (
	"bytes"
	"compress/zlib"
	"io"
	"strconv"

	"golang.org/x/text/encoding/charmap"
)

// pdfText extracts the text drawn by a PDF's content streams: literal and
// hex strings shown with Tj, TJ, ' and ", with line breaks where the text
// moves down a line. Flate-compressed and uncompressed streams are read;
// images, fonts and streams with other filters are skipped. Strings are
// decoded as WinAnsi (the encoding of the standard fonts); text in fonts with
// custom or CID encodings comes out garbled, and is not reported as such.
// reason is non-empty when the file was cut short or a stream was damaged.
func pdfText(data []byte, limit int64) (text []byte, reason string) {
	var out bytes.Buffer
	if !bytes.HasPrefix(data, []byte("%PDF-")) {
		return nil, "not a PDF file; not scanned"
	}
	if !bytes.Contains(data[max(0, len(data)-1024):], []byte("%%EOF")) {
		reason = "truncated PDF (no %%EOF); scanned what was readable"
	}
	rest := data
	for {
		i := bytes.Index(rest, []byte("stream"))
		if i < 0 {
			break
		}
		// "endstream" also contains "stream": skip it.
		if i >= 3 && string(rest[i-3:i]) == "end" {
			rest = rest[i+6:]
			continue
		}
		dictStart := bytes.LastIndex(rest[:i], []byte("obj"))
		dict := rest[max(0, dictStart):i]
		body := rest[i+6:]
		if len(body) > 0 && body[0] == '\r' {
			body = body[1:]
		}
		if len(body) > 0 && body[0] == '\n' {
			body = body[1:]
		}
		end := bytes.Index(body, []byte("endstream"))
		truncated := end < 0
		if truncated {
			end = len(body)
			reason = "truncated PDF (a stream has no end); scanned what was readable"
		}
		stream := body[:end]
		rest = body[end:]
		if bytes.Contains(dict, []byte("/Image")) || bytes.Contains(dict, []byte("/FontFile")) ||
			bytes.Contains(dict, []byte("/Length1")) || bytes.Contains(dict, []byte("/XRef")) {
			continue
		}
		switch {
		case bytes.Contains(dict, []byte("/FlateDecode")):
			zr, err := zlib.NewReader(bytes.NewReader(stream))
			if err != nil {
				reason = "damaged compressed stream in PDF; skipped"
				continue
			}
			plain, err := io.ReadAll(io.LimitReader(zr, limit-int64(out.Len())+1))
			if err != nil && !truncated {
				reason = "damaged compressed stream in PDF; scanned what was readable"
			}
			if int64(out.Len()+len(plain)) > limit {
				return out.Bytes(), "PDF text over the size limit; only the start scanned"
			}
			stream = plain
		case bytes.Contains(dict, []byte("/Filter")):
			continue // DCT, LZW, ASCII85, …: images or rare; skipped
		}
		if bytes.Contains(dict, []byte("/ObjStm")) {
			continue
		}
		contentText(stream, &out)
		if truncated {
			break
		}
	}
	return out.Bytes(), reason
}

// contentText interprets the text operators of one content stream.
func contentText(s []byte, out *bytes.Buffer) {
	var pending [][]byte // strings since the last operator
	var nums [2]float64  // the last two numeric operands
	flush := func() {
		for _, p := range pending {
			decodeWinAnsi(p, out)
		}
		pending = pending[:0]
	}
	newline := func() {
		if out.Len() > 0 && out.Bytes()[out.Len()-1] != '\n' {
			out.WriteByte('\n')
		}
	}
	inArray := false
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == '(':
			str, n := literalString(s[i:])
			pending = append(pending, str)
			i += n
		case c == '<' && i+1 < len(s) && s[i+1] != '<':
			str, n := hexString(s[i:])
			pending = append(pending, str)
			i += n
		case c == '[':
			inArray = true
			i++
		case c == ']':
			inArray = false
			i++
		case c == '%':
			for i < len(s) && s[i] != '\n' && s[i] != '\r' {
				i++
			}
		case c == '-' || c == '.' || c == '+' || (c >= '0' && c <= '9'):
			j := i + 1
			for j < len(s) && (s[j] == '.' || (s[j] >= '0' && s[j] <= '9')) {
				j++
			}
			v, _ := strconv.ParseFloat(string(s[i:j]), 64)
			if inArray && v < -180 && len(pending) > 0 {
				pending = append(pending, []byte(" ")) // a wide kern is a word gap
			}
			nums[0], nums[1] = nums[1], v
			i = j
		case (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '\'' || c == '"' || c == '*':
			j := i + 1
			for j < len(s) && ((s[j] >= 'a' && s[j] <= 'z') || (s[j] >= 'A' && s[j] <= 'Z') || s[j] == '*') {
				j++
			}
			switch string(s[i:j]) {
			case "Tj", "TJ":
				flush()
			case "'", "\"":
				newline()
				flush()
			case "T*", "ET":
				newline()
			case "Td", "TD":
				if nums[1] != 0 {
					newline()
				} else {
					out.WriteByte(' ')
				}
			case "Tm":
				newline()
			}
			pending = pending[:0]
			i = j
		default:
			i++
		}
	}
	newline()
}

// literalString reads a PDF literal string at s[0] == '('.
func literalString(s []byte) ([]byte, int) {
	var b []byte
	depth := 0
	i := 0
	for i < len(s) {
		c := s[i]
		switch {
		case c == '(':
			if depth > 0 {
				b = append(b, c)
			}
			depth++
		case c == ')':
			depth--
			if depth == 0 {
				return b, i + 1
			}
			b = append(b, c)
		case c == '\\' && i+1 < len(s):
			i++
			switch e := s[i]; e {
			case 'n':
				b = append(b, '\n')
			case 'r':
				b = append(b, '\r')
			case 't':
				b = append(b, '\t')
			case 'b', 'f':
			case '\r', '\n':
			default:
				if e >= '0' && e <= '7' {
					v := 0
					k := 0
					for k < 3 && i < len(s) && s[i] >= '0' && s[i] <= '7' {
						v = v*8 + int(s[i]-'0')
						i++
						k++
					}
					b = append(b, byte(v&0xff))
					continue
				}
				b = append(b, e)
			}
		default:
			b = append(b, c)
		}
		i++
	}
	return b, i
}

func hexString(s []byte) ([]byte, int) {
	var b []byte
	hi, have := byte(0), false
	for i := 1; i < len(s); i++ {
		c := s[i]
		var v byte
		switch {
		case c == '>':
			if have {
				b = append(b, hi<<4)
			}
			return b, i + 1
		case c >= '0' && c <= '9':
			v = c - '0'
		case c >= 'a' && c <= 'f':
			v = c - 'a' + 10
		case c >= 'A' && c <= 'F':
			v = c - 'A' + 10
		default:
			continue
		}
		if have {
			b = append(b, hi<<4|v)
			have = false
		} else {
			hi, have = v, true
		}
	}
	return b, len(s)
}

var winAnsi = charmap.Windows1252.NewDecoder()

func decodeWinAnsi(p []byte, out *bytes.Buffer) {
	ascii := true
	for _, c := range p {
		if c >= 0x80 {
			ascii = false
			break
		}
	}
	if ascii {
		out.Write(p)
		return
	}
	if u, err := winAnsi.Bytes(p); err == nil {
		out.Write(u)
	}
}
