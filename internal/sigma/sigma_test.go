package sigma

import (
	"errors"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/vigilhq/vigil/internal/alert"
	"github.com/vigilhq/vigil/internal/event"
	"github.com/vigilhq/vigil/internal/parse"
	"github.com/vigilhq/vigil/rules"
)

// Real lines from the Dovecot 2.3 lab log and the Postfix capture.
const (
	lineFetchAll  = `2026-11-29T06:18:32 stats: Info: {"event":"imap_command_finished","hostname":"vm","start_time":"2026-11-29T06:18:32.942431Z","end_time":"2026-11-29T06:18:32.943704Z","categories":["service:imap","imap"],"fields":{"user":"dr.smith","local_ip":"127.0.0.1","local_port":10143,"remote_ip":"127.0.0.2","remote_port":52661,"session":"Z5k8Q2Rhtc1/AAAC","duration":970,"cmd_name":"FETCH","reason_code":["imap:cmd_fetch","imap:fetch_body"],"mailbox":"INBOX","cmd_tag":"CNEE4","cmd_input_name":"FETCH","cmd_args":"1:* (UID RFC822.SIZE BODY.PEEK[])","cmd_human_args":"1:* (UID RFC822.SIZE BODY.PEEK[])","tagged_reply_state":"OK","tagged_reply":"OK Fetch completed.","last_run_time":"2026-11-29T06:18:32.942437Z","running_usecs":959,"lock_wait_usecs":0,"bytes_in":35,"bytes_out":3842}}`
	lineFetchHdr  = `2026-11-29T06:18:31 stats: Info: {"event":"imap_command_finished","hostname":"vm","start_time":"2026-11-29T06:18:31.924167Z","end_time":"2026-11-29T06:18:31.924707Z","categories":["service:imap","imap"],"fields":{"user":"dr.smith","local_ip":"127.0.0.1","local_port":10143,"remote_ip":"127.0.0.1","remote_port":33605,"session":"ngstQ2RhRYN/AAAB","duration":325,"cmd_name":"UID FETCH","reason_code":["imap:cmd_uid_fetch","imap:fetch_header_fields"],"mailbox":"INBOX","cmd_tag":"BGII6","cmd_input_name":"UID FETCH","cmd_args":"1 (BODY.PEEK[HEADER.FIELDS (SUBJECT MESSAGE-ID) ])","cmd_human_args":"1 (BODY.PEEK[HEADER.FIELDS (SUBJECT MESSAGE-ID) ])","tagged_reply_state":"OK","tagged_reply":"OK Fetch completed.","last_run_time":"2026-11-29T06:18:31.924176Z","running_usecs":311,"lock_wait_usecs":4,"bytes_in":51,"bytes_out":154}}`
	lineMismatch  = `2026-11-29T06:18:33 auth: Info: passwd-file(reception,127.0.0.3,<3ypMQ2RhV6V/AAAD>): Password mismatch`
	lineLogin     = `2026-11-29T06:18:32 imap-login: Info: Login: user=<dr.smith>, method=PLAIN, rip=127.0.0.2, lip=127.0.0.1, mpid=8893, session=<Z5k8Q2Rhtc1/AAAC>`
	lineLogout    = `2026-11-29T06:18:32 imap(dr.smith)<8893><Z5k8Q2Rhtc1/AAAC>: Info: Disconnected: Logged out in=127 out=8536 deleted=0 expunged=0 trashed=0 hdr_count=0 hdr_bytes=0 body_count=12 body_bytes=7084`
	linePostfixNo = `Nov 29 06:33:22 mx postfix/submission/smtpd[15093]: warning: unknown[127.0.0.41]: SASL PLAIN authentication failed: (reason unavailable), sasl_username=alice`
	lineOpenedOld = `2026-11-29T06:19:50 stats: Info: {"event":"mail_opened","hostname":"vm","start_time":"2026-11-29T06:19:50.348796Z","end_time":"2026-11-29T06:19:50.348911Z","categories":["mail","storage","service:pop3","maildir","mailbox"],"fields":{"reason_code":["pop3:cmd_retr"],"duration":46,"user":"reception","session":"s7/ZR2Rh8ax/AAAC","mailbox":"INBOX","reason":"access","seq":1,"uid":1,"mail_age_days":0}}`
)

func decode(t *testing.T, line string) *event.Event {
	t.Helper()
	dec, err := parse.NewDecoder(parse.Options{Location: time.UTC, Reference: time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)})
	if err != nil {
		t.Fatal(err)
	}
	var ev event.Event
	if _, err := dec.Decode(line, &ev); err != nil {
		t.Fatalf("%v: %s", err, line)
	}
	return &ev
}

func rule(t *testing.T, body string) *Rule {
	t.Helper()
	r, err := Parse("test.yml", []byte("title: Test rule\nname: t\nlevel: high\ntags: [attack.t1110.003]\n"+body))
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestMatching(t *testing.T) {
	cases := []struct {
		name   string
		rule   string
		line   string
		expect bool
	}{
		{"equals is case-insensitive", "detection:\n  s:\n    user: DR.SMITH\n  condition: s", lineLogin, true},
		{"equals other", "detection:\n  s:\n    user: reception\n  condition: s", lineLogin, false},
		{"wildcard", "detection:\n  s:\n    user: 'dr.*'\n  condition: s", lineLogin, true},
		{"contains", "detection:\n  s:\n    command_args|contains: 'peek[]'\n  condition: s", lineFetchAll, true},
		{"contains list is OR", "detection:\n  s:\n    command_args|contains: ['nothing', 'RFC822.SIZE']\n  condition: s", lineFetchAll, true},
		{"contains all", "detection:\n  s:\n    command_args|contains|all: ['1:*', 'nothing']\n  condition: s", lineFetchAll, false},
		{"contains all ok", "detection:\n  s:\n    command_args|contains|all: ['1:*', 'BODY.PEEK[]']\n  condition: s", lineFetchAll, true},
		{"startswith", "detection:\n  s:\n    command_args|startswith: '1:*'\n  condition: s", lineFetchAll, true},
		{"endswith", "detection:\n  s:\n    command|endswith: fetch\n  condition: s", lineFetchHdr, true},
		{"re", "detection:\n  s:\n    command_args|re: '^1:\\*\\s'\n  condition: s", lineFetchHdr, false},
		{"cidr", "detection:\n  s:\n    src_ip|cidr: 127.0.0.0/30\n  condition: s", lineMismatch, true},
		{"cidr outside", "detection:\n  s:\n    src_ip|cidr: 10.0.0.0/8\n  condition: s", lineMismatch, false},
		{"exists", "detection:\n  s:\n    mail_age_days|exists: true\n  condition: s", lineOpenedOld, true},
		{"exists false", "detection:\n  s:\n    mail_age_days|exists: false\n  condition: s", lineLogin, true},
		{"gte", "detection:\n  s:\n    body_count|gte: 12\n  condition: s", lineLogout, true},
		{"gt", "detection:\n  s:\n    body_count|gt: 12\n  condition: s", lineLogout, false},
		{"not", "detection:\n  s:\n    user: dr.smith\n  f:\n    src_ip: 127.0.0.1\n  condition: s and not f", lineLogin, true},
		{"parentheses", "detection:\n  a:\n    user: x\n  b:\n    user: dr.smith\n  c:\n    service: pop3\n  condition: (a or b) and not c", lineLogin, true},
		{"1 of", "detection:\n  sel_a:\n    user: x\n  sel_b:\n    service: imap\n  condition: 1 of sel_*", lineLogin, true},
		{"all of", "detection:\n  sel_a:\n    user: x\n  sel_b:\n    service: imap\n  condition: all of sel_*", lineLogin, false},
		{"all of them", "detection:\n  a:\n    user: dr.smith\n  b:\n    service: imap\n  condition: all of them", lineLogin, true},
		{"list of maps is OR", "detection:\n  s:\n    - user: x\n    - status_detail: password mismatch\n  condition: s", lineMismatch, true},
		{"logsource product", "logsource:\n  product: postfix\ndetection:\n  s:\n    user: reception\n  condition: s", lineMismatch, false},
		{"logsource category", "logsource:\n  category: authentication\ndetection:\n  s:\n    status: Failure\n  condition: s", linePostfixNo, true},
		{"alias SourceIp", "detection:\n  s:\n    SourceIp: 127.0.0.41\n  condition: s", linePostfixNo, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := rule(t, c.rule)
			got := r.Eval(decode(t, c.line))
			if (len(got) == 1) != c.expect {
				t.Fatalf("matched=%v, want %v", len(got) == 1, c.expect)
			}
			if c.expect {
				a := got[0]
				if a.Rule != "sigma:t" || a.Severity != alert.High || len(a.Attack) != 1 || a.Attack[0] != "T1110.003" || !strings.HasPrefix(a.Summary, "Test rule") {
					t.Fatalf("alert: %+v", a)
				}
			}
		})
	}
}

func TestCountedWindow(t *testing.T) {
	r := rule(t, "detection:\n  f:\n    status: Failure\n  condition: f | count() by src_ip > 2\n  timeframe: 1m")
	ev := decode(t, lineMismatch)
	fire := func(at time.Time, ip string) bool {
		ev.Time, ev.Src.IP = at, netip.MustParseAddr(ip)
		return len(r.Eval(ev)) > 0
	}
	t0 := ev.Time
	if fire(t0, "127.0.0.3") || fire(t0.Add(10*time.Second), "127.0.0.3") || fire(t0.Add(20*time.Second), "127.0.0.9") {
		t.Fatal("fired before the count")
	}
	if !fire(t0.Add(30*time.Second), "127.0.0.3") {
		t.Fatal("3 failures from one source in 1m did not fire")
	}
	if fire(t0.Add(5*time.Minute), "127.0.0.3") {
		t.Fatal("the window did not slide")
	}
	d := rule(t, "detection:\n  f:\n    status: Failure\n  condition: f | count(user) by src_ip >= 2\n  timeframe: 1h")
	ev.Time = t0
	first, second := d.Eval(ev), d.Eval(ev)
	if len(first) > 0 || len(second) > 0 {
		t.Fatal("one user counted twice as distinct")
	}
	ev.User = "someone.else"
	if len(d.Eval(ev)) != 1 {
		t.Fatal("two distinct users did not fire")
	}
}

func TestBadRules(t *testing.T) {
	cases := map[string]string{
		"unknown top-level key": "title: x\ncolour: high\ndetection:\n  s:\n    user: a\n  condition: s",
		"unknown field":         "title: x\ndetection:\n  s:\n    usr: a\n  condition: s",
		"unknown modifier":      "title: x\ndetection:\n  s:\n    user|base64: a\n  condition: s",
		"bad regexp":            "title: x\ndetection:\n  s:\n    user|re: '('\n  condition: s",
		"bad cidr":              "title: x\ndetection:\n  s:\n    src_ip|cidr: 300.1.1.1/8\n  condition: s",
		"cidr on text":          "title: x\ndetection:\n  s:\n    user|cidr: 10.0.0.0/8\n  condition: s",
		"undefined selection":   "title: x\ndetection:\n  s:\n    user: a\n  condition: s and t",
		"no condition":          "title: x\ndetection:\n  s:\n    user: a",
		"count without window":  "title: x\ndetection:\n  s:\n    user: a\n  condition: s | count() > 3",
		"bad level":             "title: x\nlevel: severe\ndetection:\n  s:\n    user: a\n  condition: s",
		"keywords":              "title: x\ndetection:\n  k:\n    - foo\n  condition: k",
		"bad category":          "title: x\nlogsource:\n  category: process_creation\ndetection:\n  s:\n    user: a\n  condition: s",
		"unbalanced":            "title: x\ndetection:\n  s:\n    user: a\n  condition: (s",
	}
	for name, body := range cases {
		if _, err := Parse("bad.yml", []byte(body)); !errors.Is(err, ErrRule) || !strings.Contains(err.Error(), "bad.yml") {
			t.Errorf("%s: err = %v, want ErrRule naming the file", name, err)
		}
	}
}

// vigil's own rules compile, and the full-download rule tells the lab's
// attacker command from a mail program's header fetch.
func TestOwnRules(t *testing.T) {
	rs, err := Load(rules.FS, ".")
	if err != nil {
		t.Fatal(err)
	}
	if len(rs) < 5 {
		t.Fatalf("%d rules", len(rs))
	}
	var full *Rule
	for _, r := range rs {
		if r.Name == "sigma:full-mailbox-download" {
			full = r
		}
	}
	if full == nil || len(full.Eval(decode(t, lineFetchAll))) != 1 || len(full.Eval(decode(t, lineFetchHdr))) != 0 {
		t.Fatal("full-mailbox-download does not tell the attacker's fetch from a header fetch")
	}
}

func BenchmarkEval(b *testing.B) {
	rs, err := Load(rules.FS, ".")
	if err != nil {
		b.Fatal(err)
	}
	dec, _ := parse.NewDecoder(parse.Options{Location: time.UTC})
	var ev event.Event
	if _, err := dec.Decode(lineFetchAll, &ev); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		for _, r := range rs {
			r.Eval(&ev)
		}
	}
}
