package inventory

import (
	"bufio"
	"errors"
	"io"
)

// maxLine is the longest line the text parsers accept; a longer one is
// reported and skipped (a dpkg Description line is a few hundred bytes).
const maxLine = 1 << 20

// lineReader yields lines with their numbers, skipping over-long ones.
type lineReader struct {
	r    *bufio.Reader
	n    int
	long bool // the last line returned by next was cut short
	err  error
}

func newLineReader(r io.Reader) *lineReader {
	return &lineReader{r: bufio.NewReaderSize(r, 64<<10)}
}

// next returns the next line without its end of line. ok is false at the
// end of input (or on a read error, kept in lr.err).
func (lr *lineReader) next() (line []byte, ok bool) {
	lr.long = false
	var buf []byte
	for {
		frag, err := lr.r.ReadSlice('\n')
		if len(buf)+len(frag) <= maxLine {
			buf = append(buf, frag...)
		} else {
			lr.long = true
		}
		if errors.Is(err, bufio.ErrBufferFull) {
			continue
		}
		if err != nil && !errors.Is(err, io.EOF) {
			lr.err = err
			return nil, false
		}
		if err != nil && len(buf) == 0 && !lr.long {
			return nil, false
		}
		lr.n++
		if n := len(buf); n > 0 && buf[n-1] == '\n' {
			buf = buf[:n-1]
		}
		if n := len(buf); n > 0 && buf[n-1] == '\r' {
			buf = buf[:n-1]
		}
		return buf, true
	}
}
