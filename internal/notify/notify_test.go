package notify

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"github.com/vigilhq/vigil/internal/alert"
)

func sample() *alert.Alert {
	t := time.Date(2026, 11, 29, 6, 19, 50, 0, time.UTC)
	a := &alert.Alert{
		Time: t, Rule: "source-reads-many-mailboxes", Severity: alert.High, User: "reception", SrcIP: "127.0.0.2",
		Attack: []string{"T1114.002", "T1078"}, FirstSeen: t.Add(-78 * time.Second), LastSeen: t,
		Summary:  "127.0.0.2 read the mailboxes of 2 accounts (dr.smith, reception) within a day|=\\ odd\ncharacters",
		Incident: "inc-1",
		Evidence: alert.Evidence{Count: 2, Reads: []alert.Read{{Session: "s7/ZR2Rh8ax/AAAC", User: "reception", Mailbox: "INBOX", UIDs: "1:3", Exact: true, Messages: 3}}},
	}
	a.SetID()
	return a
}

func TestJSONLines(t *testing.T) {
	var b bytes.Buffer
	if err := NewJSONLines(&b).Notify(context.Background(), sample()); err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b.Bytes(), &m); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"id", "time", "rule", "severity", "user", "src_ip", "attack", "summary", "first_seen", "last_seen", "evidence"} {
		if _, ok := m[k]; !ok {
			t.Errorf("alert JSON has no %q: %s", k, b.String())
		}
	}
	if m["severity"] != "high" || !strings.HasSuffix(b.String(), "}\n") {
		t.Fatalf("%s", b.String())
	}
}

// The webhook talks to a real HTTP server (httptest listens on loopback).
func TestWebhook(t *testing.T) {
	var mu sync.Mutex
	var bodies []map[string]any
	status := http.StatusOK
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var m map[string]any
		raw, _ := io.ReadAll(r.Body)
		if r.Method != http.MethodPost || r.Header.Get("Content-Type") != "application/json" || json.Unmarshal(raw, &m) != nil {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		mu.Lock()
		bodies = append(bodies, m)
		mu.Unlock()
		w.WriteHeader(status)
	}))
	defer srv.Close()
	ctx := context.Background()
	a := sample()
	for _, f := range []string{"json", "slack", "teams"} {
		if err := (&Webhook{URL: srv.URL, Format: f}).Notify(ctx, a); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
	}
	if bodies[0]["id"] != a.ID || bodies[0]["src_ip"] != "127.0.0.2" {
		t.Fatalf("generic JSON: %v", bodies[0])
	}
	for _, b := range bodies[1:] {
		text, _ := b["text"].(string)
		if !strings.Contains(text, "[HIGH]") || !strings.Contains(text, "account reception") || !strings.Contains(text, "UIDs 1:3") {
			t.Fatalf("chat text: %q", text)
		}
	}
	status = http.StatusInternalServerError
	if err := (&Webhook{URL: srv.URL}).Notify(ctx, a); !errors.Is(err, ErrDelivery) {
		t.Fatalf("a 500 must be a delivery failure: %v", err)
	}
	if err := (&Webhook{URL: srv.URL, Format: "xml"}).Notify(ctx, a); !errors.Is(err, ErrDelivery) {
		t.Fatal("unknown format accepted")
	}
}

func TestCEF(t *testing.T) {
	got := CEF(sample(), "1.0")
	want := `CEF:0|vigil|vigil|1.0|source-reads-many-mailboxes|127.0.0.2 read the mailboxes of 2 accounts (dr.smith, reception) within a day\|=\\ odd characters|8|`
	if !strings.HasPrefix(got, want) {
		t.Fatalf("header:\n got %s\nwant %s", got, want)
	}
	for _, kv := range []string{"rt=1795933190000", "suser=reception", "src=127.0.0.2", "cs1=T1114.002,T1078", "cs2=inc-1", "cnt=2"} {
		if !strings.Contains(got, " "+kv) && !strings.Contains(got, "|"+kv) {
			t.Errorf("no %s in %s", kv, got)
		}
	}
}

// Syslog over real UDP and TCP sockets on loopback.
func TestSyslog(t *testing.T) {
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = pc.Close() }()
	s := &Syslog{Addr: pc.LocalAddr().String(), Hostname: "mail"}
	defer func() { _ = s.Close() }()
	if err := s.Notify(context.Background(), sample()); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 4096)
	_ = pc.SetReadDeadline(time.Now().Add(5 * time.Second))
	n, _, err := pc.ReadFrom(buf)
	if err != nil {
		t.Fatal(err)
	}
	msg := string(buf[:n])
	if !strings.HasPrefix(msg, "<35>1 2026-11-29T06:19:50Z mail vigil - alert - CEF:0|vigil|") {
		t.Fatalf("udp: %s", msg)
	}

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = ln.Close() }()
	got := make(chan string, 1)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			got <- err.Error()
			return
		}
		defer func() { _ = c.Close() }()
		r := bufio.NewReader(c)
		size, _ := r.ReadString(' ')
		rest := make([]byte, 4096)
		k, _ := r.Read(rest)
		got <- size + string(rest[:k])
	}()
	ts := &Syslog{Network: "tcp", Addr: ln.Addr().String()}
	defer func() { _ = ts.Close() }()
	a := sample()
	a.Severity = alert.Critical
	if err := ts.Notify(context.Background(), a); err != nil {
		t.Fatal(err)
	}
	frame := <-got
	size, msg, _ := strings.Cut(frame, " ")
	if size == "" || !strings.HasPrefix(msg, "<34>1 ") || !strings.Contains(msg, "|10|") {
		t.Fatalf("tcp frame: %q", frame)
	}
}

// smtpBackend is a real SMTP server's backend that keeps what it receives.
type smtpBackend struct {
	mu   sync.Mutex
	msgs []receivedMail
}

type receivedMail struct {
	from string
	to   []string
	data string
}

type smtpSession struct {
	b   *smtpBackend
	cur receivedMail
}

func (b *smtpBackend) NewSession(*smtp.Conn) (smtp.Session, error) { return &smtpSession{b: b}, nil }
func (s *smtpSession) Reset()                                      { s.cur = receivedMail{} }
func (s *smtpSession) Logout() error                               { return nil }
func (s *smtpSession) Mail(from string, _ *smtp.MailOptions) error { s.cur.from = from; return nil }
func (s *smtpSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	s.cur.to = append(s.cur.to, to)
	return nil
}
func (s *smtpSession) Data(r io.Reader) error {
	raw, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	s.cur.data = string(raw)
	s.b.mu.Lock()
	s.b.msgs = append(s.b.msgs, s.cur)
	s.b.mu.Unlock()
	return nil
}

func TestEmail(t *testing.T) {
	be := &smtpBackend{}
	srv := smtp.NewServer(be)
	srv.Domain = "localhost"
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = srv.Serve(ln) }()
	defer func() { _ = srv.Close() }()
	e := &Email{Addr: ln.Addr().String(), From: "vigil@clinic.example", To: []string{"it@clinic.example", "dpo@clinic.example"},
		Now: func() time.Time { return time.Date(2026, 11, 29, 7, 0, 0, 0, time.UTC) }}
	a := sample()
	a.User = "reception\r\nBcc: evil@example.com"
	if err := e.Notify(context.Background(), a); err != nil {
		t.Fatal(err)
	}
	be.mu.Lock()
	defer be.mu.Unlock()
	if len(be.msgs) != 1 {
		t.Fatalf("%d messages", len(be.msgs))
	}
	m := be.msgs[0]
	if m.from != "vigil@clinic.example" || len(m.to) != 2 {
		t.Fatalf("envelope: %+v", m)
	}
	head, body, _ := strings.Cut(m.data, "\r\n\r\n")
	if !strings.Contains(head, "Subject: [vigil HIGH] source-reads-many-mailboxes: reception  Bcc: evil@example.com") || strings.Contains(head, "\r\nBcc:") {
		t.Fatalf("headers (a user name must not add headers):\n%s", head)
	}
	if !strings.Contains(body, "UIDs 1:3") || !strings.Contains(body, "127.0.0.2") {
		t.Fatalf("body:\n%s", body)
	}
	if err := (&Email{Addr: ln.Addr().String(), From: "x@y"}).Notify(context.Background(), a); !errors.Is(err, ErrDelivery) {
		t.Fatal("no recipients accepted")
	}
}

func TestFanout(t *testing.T) {
	var low, high bytes.Buffer
	f := &Fanout{Targets: []Target{{NewJSONLines(&low), alert.Low}, {NewJSONLines(&high), alert.Critical}, {&Webhook{URL: "http://127.0.0.1:1/"}, alert.Low}}}
	err := f.Notify(context.Background(), sample())
	if low.Len() == 0 || high.Len() != 0 {
		t.Fatalf("low=%d high=%d", low.Len(), high.Len())
	}
	if !errors.Is(err, ErrDelivery) || !strings.Contains(err.Error(), "webhook") {
		t.Fatalf("the failed target is not reported: %v", err)
	}
}

// A password is never sent to a server without TLS.
func TestEmailRefusesCleartextPassword(t *testing.T) {
	srv := smtp.NewServer(&smtpBackend{})
	srv.Domain = "localhost"
	srv.AllowInsecureAuth = true
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = srv.Serve(ln) }()
	defer func() { _ = srv.Close() }()
	e := &Email{Addr: ln.Addr().String(), From: "vigil@clinic.example", To: []string{"it@clinic.example"}, Username: "vigil", Password: "secret"}
	if err := e.Notify(context.Background(), sample()); !errors.Is(err, ErrDelivery) || !strings.Contains(err.Error(), "STARTTLS") {
		t.Fatalf("password over cleartext: %v", err)
	}
}
