package event_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"net/netip"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/vigilhq/vigil/internal/event"
	"github.com/vigilhq/vigil/internal/parse"
	"github.com/vigilhq/vigil/internal/shareddata"
)

// realLines are every line of the shared Dovecot lab log, the Dovecot event
// exporter's JSON and the fail2ban Dovecot, Postfix and Roundcube samples.
func realLines(t testing.TB) []string {
	t.Helper()
	var out []string
	for _, rel := range []string{"dovecot-2.3-lab/dovecot-info.log", "dovecot-2.3-lab/events-http.jsonl"} {
		b, err := os.ReadFile(shareddata.Path(t, rel))
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, strings.Split(string(b), "\n")...)
	}
	for _, rel := range []string{"fail2ban-mail/dovecot.jsonl", "fail2ban-mail/postfix.jsonl", "fail2ban-mail/roundcube-auth.jsonl"} {
		f, err := os.Open(shareddata.Path(t, rel))
		if err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(f)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			var v struct {
				Line string `json:"line"`
			}
			if err := json.Unmarshal(sc.Bytes(), &v); err != nil {
				t.Fatalf("%s: %v", rel, err)
			}
			out = append(out, v.Line)
		}
		_ = f.Close() // read-only
		if err := sc.Err(); err != nil {
			t.Fatal(err)
		}
	}
	return out
}

func sameJSON(t *testing.T, what string, e *event.Event) {
	t.Helper()
	want, err := e.MarshalJSON()
	if err != nil {
		t.Fatalf("%s: MarshalJSON: %v", what, err)
	}
	got, err := e.AppendJSON([]byte("prefix"))
	if err != nil {
		t.Fatalf("%s: AppendJSON: %v", what, err)
	}
	if !bytes.Equal(got[len("prefix"):], want) {
		t.Fatalf("%s:\nAppendJSON  %s\nMarshalJSON %s", what, got[len("prefix"):], want)
	}
}

// TestAppendJSONMatchesMarshalJSON checks the hand-written encoder against
// encoding/json on every event the shared real logs give, and on events
// whose strings need every kind of escaping.
func TestAppendJSONMatchesMarshalJSON(t *testing.T) {
	dec, err := parse.NewDecoder(parse.Options{Location: time.UTC, Reference: time.Date(2026, 11, 29, 0, 0, 0, 0, time.UTC)})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for i, l := range realLines(t) {
		var e event.Event
		if _, err := dec.Decode(l, &e); err != nil {
			continue
		}
		e.LogName, e.LogLine = "/var/log/mail.log", int64(i+1)
		sameJSON(t, l, &e)
		n++
	}
	if n < 150 {
		t.Fatalf("only %d real events compared", n)
	}

	odd := []string{"a\"b\\c", "<script>&amp;", "tab\there\nnl\r\x00\x01\x1f\x7f", "caf\u00e9 \u2028\u2029 \U0001F600",
		"bad\xffutf8\xc3", "\b\f"}
	for _, s := range odd {
		e := event.Event{Time: time.Date(2026, 1, 2, 3, 4, 5, 600, time.FixedZone("x", 3600)), Class: event.ClassAuthentication,
			Status: event.Failure, StatusDetail: s, Product: s, Service: s, Host: s, User: s, AuthMethod: s, Session: s,
			Src: event.Endpoint{IP: netip.MustParseAddr("fe80::1%" + strings.ReplaceAll(s, "\x00", "")), Port: 993, Hostname: s},
			Dst: event.Endpoint{Port: 1}, Secured: true, Mailbox: s, UID: 7, Seq: 9, MessageID: s, MailAgeDays: -3, HasMailAge: true,
			Command: s, CommandArgs: s, Reason: s, QueueID: s, Sender: s, Recipient: s, LogName: s, LogLine: -1}
		e.Counts = event.Counts{Has: event.HasTraffic | event.HasIMAPRead | event.HasIMAPChange | event.HasPOP3 | event.HasMail | event.HasAuth,
			BytesIn: 1, BytesOut: -2, HdrCount: 3, HdrBytes: 4, BodyCount: 5, BodyBytes: 6, Deleted: 7, Expunged: 8, Trashed: 9,
			TopCount: 10, TopBytes: 11, RetrCount: 12, RetrBytes: 13, DelCount: 14, MsgCount: 15, Size: 16, Recipients: 17,
			AuthAttempts: 18, AuthFailures: 19}
		sameJSON(t, s, &e)
	}
	var zero event.Event
	sameJSON(t, "zero event", &zero)
	only := event.Event{Src: event.Endpoint{Hostname: "h"}, Counts: event.Counts{Has: event.HasMail, Size: 5}}
	sameJSON(t, "hostname only, mail size", &only)
	far := event.Event{Time: time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)}
	if _, err := far.AppendJSON(nil); err == nil {
		t.Fatal("AppendJSON accepted year 10000; MarshalJSON rejects it")
	}
}

// BenchmarkEncode compares MarshalJSON with AppendJSON on the real events of
// the shared logs:
//
//	go test ./internal/event -run '^$' -bench Encode -benchmem -cpu 1
func BenchmarkEncode(b *testing.B) {
	dec, err := parse.NewDecoder(parse.Options{Location: time.UTC})
	if err != nil {
		b.Fatal(err)
	}
	var evs []event.Event
	for _, l := range realLines(b) {
		var e event.Event
		if _, err := dec.Decode(l, &e); err == nil {
			e.LogName, e.LogLine = "/var/log/mail.log", int64(len(evs)+1)
			evs = append(evs, e)
		}
	}
	b.Run("MarshalJSON", func(b *testing.B) {
		for i := range b.N {
			if _, err := evs[i%len(evs)].MarshalJSON(); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("AppendJSON", func(b *testing.B) {
		var buf []byte
		for i := range b.N {
			var err error
			if buf, err = evs[i%len(evs)].AppendJSON(buf[:0]); err != nil {
				b.Fatal(err)
			}
		}
	})
}
