package parse

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"os"
	"time"
)

// LineReader reads lines of at most MaxLineBytes, numbering them from 1. A
// longer line is skipped to its end and reported as too long, so one bad line
// never stops the rest of the input.
type LineReader struct {
	br  *bufio.Reader
	num int64
}

// NewLineReader reads lines from r.
func NewLineReader(r io.Reader) *LineReader {
	return &LineReader{br: bufio.NewReaderSize(r, 64<<10)}
}

// Next returns the next line without its line ending and its number. The
// slice is valid until the next call. At the end of input it returns io.EOF;
// for an over-long line it returns the number and a *LineError.
func (l *LineReader) Next() ([]byte, int64, error) {
	var long []byte
	tooLong := false
	for {
		chunk, err := l.br.ReadSlice('\n')
		switch {
		case errors.Is(err, bufio.ErrBufferFull):
			if !tooLong {
				if len(long)+len(chunk) > MaxLineBytes {
					tooLong, long = true, nil
				} else {
					long = append(long, chunk...)
				}
			}
			continue
		case err != nil && !errors.Is(err, io.EOF):
			return nil, l.num, fmt.Errorf("reading line %d: %w", l.num+1, err)
		}
		if len(chunk) == 0 && len(long) == 0 && !tooLong && err != nil {
			return nil, l.num, io.EOF
		}
		l.num++
		if tooLong || len(long)+len(chunk) > MaxLineBytes+2 {
			return nil, l.num, errTooLong
		}
		line := chunk
		if long != nil {
			line = append(long, chunk...)
		}
		line = bytes.TrimSuffix(line, []byte("\n"))
		line = bytes.TrimSuffix(line, []byte("\r"))
		return line, l.num, nil
	}
}

// Open opens a log file, transparently decompressing gzip (by content, not
// name), and returns its modification time for year inference.
func Open(path string) (io.ReadCloser, time.Time, error) {
	f, err := os.Open(path) //nolint:gosec // G304: opening the log file the user named is this function's job
	if err != nil {
		return nil, time.Time{}, err
	}
	st, err := f.Stat()
	if err != nil {
		_ = f.Close() // read-only; the error being returned is the one that matters
		return nil, time.Time{}, err
	}
	if st.IsDir() {
		_ = f.Close() // read-only; the error being returned is the one that matters
		return nil, time.Time{}, fmt.Errorf("%s: is a directory", path)
	}
	br := bufio.NewReaderSize(f, 64<<10)
	magic, _ := br.Peek(2)
	if len(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b {
		zr, err := gzip.NewReader(br)
		if err != nil {
			_ = f.Close() // read-only; the error being returned is the one that matters
			return nil, time.Time{}, fmt.Errorf("%s: gzip: %w", path, err)
		}
		return &gzFile{Reader: zr, f: f}, st.ModTime(), nil
	}
	return &plainFile{Reader: br, f: f}, st.ModTime(), nil
}

type plainFile struct {
	*bufio.Reader
	f *os.File
}

func (p *plainFile) Close() error { return p.f.Close() }

type gzFile struct {
	*gzip.Reader
	f *os.File
}

func (g *gzFile) Close() error {
	err := g.Reader.Close()
	if cerr := g.f.Close(); err == nil {
		err = cerr
	}
	return err
}
