package parse

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"github.com/vigilhq/vigil/internal/shareddata"
	"net/netip"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/vigilhq/vigil/internal/event"
)

// seedLines adds the real lines of a shared data file to a fuzz corpus. JSONL
// files of fail2ban cases contribute their "line" field.
func seedLines(f *testing.F, rel string) {
	f.Helper()
	data, err := os.ReadFile(shareddata.Path(f, rel))
	if err != nil {
		f.Fatal(err)
	}
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasSuffix(rel, ".jsonl") && strings.HasPrefix(line, `{"expect"`) {
			var c fail2banCase
			if err := json.Unmarshal([]byte(line), &c); err != nil {
				f.Fatal(err)
			}
			line = c.Line
		}
		f.Add(line)
	}
}

// fuzzDecode runs one fuzz input through a decoder fixed to format and checks
// what must hold for any input: no panic, an error of the documented kind or
// an event whose address was in the line and which survives a JSON round trip.
func fuzzDecode(t *testing.T, format, line string) {
	d, err := NewDecoder(Options{Format: format, Location: time.UTC, Reference: time.Date(2026, 11, 29, 0, 0, 0, 0, time.UTC)})
	if err != nil {
		t.Fatal(err)
	}
	var ev event.Event
	done := make(chan struct{})
	go func() {
		defer close(done)
		_, err = d.Decode(line, &ev)
	}()
	select {
	case <-done:
	case <-time.After(2 * time.Second):
		t.Fatalf("Decode hung on %q", line)
	}
	if err != nil {
		var le *LineError
		if !errors.As(err, &le) || !(errors.Is(err, ErrIgnored) || errors.Is(err, ErrUnparsed)) {
			t.Fatalf("error of unexpected kind %T: %v", err, err)
		}
		if le.Reason == "" {
			t.Fatal("a line error needs a reason")
		}
		return
	}
	if ev.Src.IP.IsValid() && !addrInLine(line, ev.Src.IP) {
		t.Fatalf("source %s is not in the line", ev.Src.IP)
	}
	b, err := json.Marshal(&ev)
	if err != nil {
		t.Fatalf("marshal: %v", err)
	}
	var back event.Event
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatalf("unmarshal %s: %v", b, err)
	}
	// JSON carries time to the nanosecond in UTC; strings with invalid UTF-8
	// cannot occur (Decode rejects such lines).
	if !reflect.DeepEqual(normalize(ev), normalize(back)) {
		t.Fatalf("JSON round trip changed the event:\n%+v\n%+v", ev, back)
	}
}

// addrInLine reports whether some run of address characters in line is a
// spelling of a (::010 and ::10, ::ffff:1.2.3.4 and 1.2.3.4, fe80::1%eth0 and
// fe80::1 are the same address).
func addrInLine(line string, a netip.Addr) bool {
	isAddrByte := func(c byte) bool {
		return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F' || c == ':' || c == '.'
	}
	for i := 0; i < len(line); {
		if !isAddrByte(line[i]) {
			i++
			continue
		}
		j := i
		for j < len(line) && isAddrByte(line[j]) {
			j++
		}
		// Any sub-run may be the address (a trailing "." ends a sentence).
		for k := i; k < j; k++ {
			for l := min(j, k+64); l > k; l-- { // no address is longer than 64 bytes
				if b, err := netip.ParseAddr(line[k:l]); err == nil && b.Unmap() == a {
					return true
				}
			}
		}
		i = j
	}
	return false
}

func normalize(e event.Event) event.Event {
	e.Time = e.Time.UTC()
	return e
}

func FuzzDovecot(f *testing.F) {
	seedLines(f, "dovecot-2.3-lab/dovecot-info.log")
	seedLines(f, "fail2ban-mail/dovecot.jsonl")
	f.Add("2026-11-29T06:18:31 imap(a)<1><s>: Info: Disconnected: Logged out in=1 out=2 hdr_count=3/4 body_count=")
	f.Add("auth: Info: passwd-file(a,1.2.3.4): Password mismatch): x,5.6.7.8): y")
	f.Fuzz(func(t *testing.T, line string) { fuzzDecode(t, "dovecot", line) })
}

func FuzzDovecotExporter(f *testing.F) {
	seedLines(f, "dovecot-2.3-lab/events-http.jsonl")
	f.Add(`{"event":"mail_opened","fields":{"uid":1e99,"seq":-1,"mail_age_days":"x"}}`)
	f.Add(`2026-11-29T06:18:31 stats: Info: {"event":"imap_command_finished","fields":{"remote_ip":"::ffff:1.2.3.4"}}`)
	f.Fuzz(func(t *testing.T, line string) { fuzzDecode(t, "dovecot-exporter", line) })
}

func FuzzPostfix(f *testing.F) {
	seedLines(f, "fail2ban-mail/postfix.jsonl")
	f.Add("Nov 29 06:33:24 mx postfix/submission/smtpd[15186]: D2491986670: client=unknown[127.0.0.44], sasl_method=LOGIN, sasl_username=bob")
	f.Add("Nov 29 06:33:24 mx postfix/smtpd[1]: disconnect from a[1.2.3.4]:99999 auth=5/1 commands=/")
	f.Fuzz(func(t *testing.T, line string) { fuzzDecode(t, "postfix", line) })
}

func FuzzRoundcube(f *testing.F) {
	seedLines(f, "fail2ban-mail/roundcube-auth.jsonl")
	f.Add("[29-Nov-2026 06:00:00 +0000]: <abc> Successful login for u (ID: 1) from 192.0.2.1 in session s")
	f.Fuzz(func(t *testing.T, line string) { fuzzDecode(t, "roundcube", line) })
}

// FuzzPrefix exercises every timestamp style and the autodetection.
func FuzzPrefix(f *testing.F) {
	for _, s := range []string{
		"<34>1 2003-10-11T22:14:15.003Z mymachine.example.com su - ID47 - BOM'su root' failed",
		"<13>1 2026-11-29T06:00:00+01:00 mx dovecot 12 - [a b=\"c\\\"]\"] imap-login: Login: user=<u>, rip=1.2.3.4",
		"@400000004c91b044077a9e94 imap-login: Info: Aborted login (auth failed, 1 attempts): rip=1.2.3.4",
		"[22-Jan-2013 22:28:21 +0200]: FAILED login for user1 from 192.0.43.10",
		"Feb 29 12:00:00 host postfix/smtpd[1]: connect from x[1.2.3.4]",
		"2013-08-11 03:56:40,123-0530 auth-worker(default): Info: pam(u,1.2.3.4): unknown user",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, line string) { fuzzDecode(t, "auto", line) })
}

// FuzzLineReader checks that the reader returns every byte of the input
// exactly once, split at newlines, whatever the input.
func FuzzLineReader(f *testing.F) {
	f.Add([]byte("a\nb\r\n\nc"))
	f.Add([]byte("\n\n\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		lr := NewLineReader(bytes.NewReader(data))
		var got [][]byte
		for {
			line, _, err := lr.Next()
			if err != nil {
				break
			}
			got = append(got, append([]byte(nil), line...))
		}
		want := bytes.Split(data, []byte("\n"))
		if len(want) > 0 && len(want[len(want)-1]) == 0 {
			want = want[:len(want)-1]
		}
		if len(got) != len(want) {
			t.Fatalf("got %d lines, want %d", len(got), len(want))
		}
		for i := range want {
			if !bytes.Equal(got[i], bytes.TrimSuffix(want[i], []byte("\r"))) {
				t.Fatalf("line %d: %q, want %q", i+1, got[i], want[i])
			}
		}
	})
}

func TestHostileInput(t *testing.T) {
	d, err := NewDecoder(Options{})
	if err != nil {
		t.Fatal(err)
	}
	var ev event.Event
	huge := "Nov 29 06:33:24 mx postfix/smtpd[1]: connect from x[1.2.3.4] " + strings.Repeat("a", MaxLineBytes)
	if _, err := d.Decode(huge, &ev); !errors.Is(err, ErrUnparsed) || err.Error() != errTooLong.Reason {
		t.Fatalf("over-long line: %v", err)
	}
	bad := "Nov 29 06:33:24 mx postfix/smtpd[1]: connect from \xff\xfe[1.2.3.4]"
	if _, err := d.Decode(bad, &ev); !errors.Is(err, ErrUnparsed) || err.Error() != errInvalidUTF8.Reason {
		t.Fatalf("invalid UTF-8: %v", err)
	}
	// The reader skips an over-long line and goes on with the next.
	input := "first\n" + strings.Repeat("x", MaxLineBytes+10) + "\nthird\n"
	lr := NewLineReader(strings.NewReader(input))
	var lines []string
	var errs []int64
	for {
		line, num, err := lr.Next()
		if err != nil {
			if errors.Is(err, ErrUnparsed) {
				errs = append(errs, num)
				continue
			}
			break
		}
		lines = append(lines, string(line))
	}
	if !reflect.DeepEqual(lines, []string{"first", "third"}) || !reflect.DeepEqual(errs, []int64{2}) {
		t.Fatalf("lines %q, too-long errors at %v", lines, errs)
	}
}
