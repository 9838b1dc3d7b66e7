package source

import (
	"bufio"
	"bytes"
	"fmt"
	"testing"
)

// FuzzSyslogFrames feeds hostile TCP streams to the RFC 6587 framer: it must
// never panic and never return a frame over the limit. (That a well-formed
// stream reads back exactly its frames is TestSyslogFrames's check.)
func FuzzSyslogFrames(f *testing.F) {
	f.Add([]byte("12 <34>1 hello\n"))
	f.Add([]byte("<22>Nov 29 06:18:31 mail dovecot: imap-login: Login: user=<a>\n<22>Nov 29 06:18:32 x\n"))
	f.Add([]byte("99999999999 x"))
	f.Add([]byte("5 abc"))
	f.Add([]byte("0 \n"))
	f.Fuzz(func(t *testing.T, stream []byte) {
		br := bufio.NewReaderSize(bytes.NewReader(stream), 16)
		for range 10000 {
			fr, err := nextFrame(br)
			if err != nil {
				return
			}
			if len(fr) > maxFrame+1 {
				t.Fatalf("frame of %d bytes", len(fr))
			}
		}
	})
}

// TestSyslogFrames reads a stream mixing both framings.
func TestSyslogFrames(t *testing.T) {
	msgs := []string{"<34>1 2026-11-29T06:18:31Z mail dovecot - - - a b", "<22>Nov 29 06:18:31 mail dovecot: x\ny", "plain"}
	var b bytes.Buffer
	_, _ = fmt.Fprintf(&b, "%d %s", len(msgs[0]), msgs[0])
	_, _ = fmt.Fprintf(&b, "%d %s", len(msgs[1]), msgs[1]) // an octet-counted frame may hold a newline
	_, _ = b.WriteString(msgs[2] + "\n")
	br := bufio.NewReaderSize(&b, 16)
	for i, want := range msgs {
		fr, err := nextFrame(br)
		if err != nil {
			t.Fatalf("frame %d: %v", i, err)
		}
		if got := string(trimFrame(fr)); got != want {
			t.Errorf("frame %d = %q, want %q", i, got, want)
		}
	}
	if _, err := nextFrame(br); err == nil {
		t.Error("read past the end")
	}
}
