package inventory

import (
	"bufio"
	"errors"
	"io"
)

// maxLine is the longest line the text parsers accept; a longer one is
// reported and skipped (a dpkg Description line is a few hundred bytes).
const maxLine = 1 << 20

// lineReader yields lines with their numbers. It skips over-long lines,
// reporting each as a LineError of file in *errs, and keeps a read error for
// finish to report.
type lineReader struct {
	r    *bufio.Reader
	file string
	errs *[]error
	n    int
	err  error
}

func newLineReader(r io.Reader, file string, errs *[]error) *lineReader {
	return &lineReader{r: bufio.NewReaderSize(r, 64<<10), file: file, errs: errs}
}

// next returns the next line without its end of line. ok is false at the
// end of input (or on a read error, kept in lr.err).
func (lr *lineReader) next() (line []byte, ok bool) {
	for {
		line, long, ok := lr.read()
		if !ok || !long {
			return line, ok
		}
		*lr.errs = append(*lr.errs, &LineError{File: lr.file, Line: lr.n, Reason: "line longer than 1 MiB, skipped"})
	}
}

// finish reports a read error that ended the input early, if there was one.
func (lr *lineReader) finish() {
	if lr.err != nil {
		*lr.errs = append(*lr.errs, &LineError{File: lr.file, Line: lr.n, Reason: "read error: " + lr.err.Error()})
	}
}

// read returns the next line, long telling whether it was over maxLine
// (and so cut short).
func (lr *lineReader) read() (line []byte, long, ok bool) {
	var buf []byte
	for {
		frag, err := lr.r.ReadSlice('\n')
		if len(buf)+len(frag) <= maxLine {
			buf = append(buf, frag...)
		} else {
			long = true
		}
		if errors.Is(err, bufio.ErrBufferFull) {
			continue
		}
		if err != nil && !errors.Is(err, io.EOF) {
			lr.err = err
			return nil, false, false
		}
		if err != nil && len(buf) == 0 && !long {
			return nil, false, false
		}
		lr.n++
		if n := len(buf); n > 0 && buf[n-1] == '\n' {
			buf = buf[:n-1]
		}
		if n := len(buf); n > 0 && buf[n-1] == '\r' {
			buf = buf[:n-1]
		}
		return buf, long, true
	}
}
