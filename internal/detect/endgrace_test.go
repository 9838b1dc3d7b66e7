package detect

import (
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/vigilhq/vigil/internal/alert"
	"github.com/vigilhq/vigil/internal/event"
	"github.com/vigilhq/vigil/internal/parse"
	"github.com/vigilhq/vigil/internal/shareddata"
)

// TestEndGraceWaitsForLateMailOpened: Dovecot's stats process can write a
// session's mail_opened lines after the logout line. With EndGrace the
// session stays open for them, and Tick ends it on the caller's clock when
// no more lines come; without it, the late line is not part of the session.
func TestEndGraceWaitsForLateMailOpened(t *testing.T) {
	lines := []string{
		`2026-06-12T22:50:00 pop3-login: Info: Login: user=<reception>, method=PLAIN, rip=127.77.0.3, lip=127.0.0.1, mpid=901, session=<PopQ2Rh8ax/AAAC>`,
		`2026-06-12T22:50:01 stats: Info: {"event":"mail_opened","hostname":"vm","start_time":"2026-06-12T22:50:01.348796Z","end_time":"2026-06-12T22:50:01.348911Z","categories":["mail","storage","service:pop3","maildir","mailbox"],"fields":{"reason_code":["pop3:cmd_retr"],"duration":46,"user":"reception","session":"PopQ2Rh8ax/AAAC","mailbox":"INBOX","reason":"access","seq":1,"uid":1,"mail_age_days":0}}`,
		`2026-06-12T22:50:01 stats: Info: {"event":"mail_opened","hostname":"vm","start_time":"2026-06-12T22:50:01.349796Z","end_time":"2026-06-12T22:50:01.349911Z","categories":["mail","storage","service:pop3","maildir","mailbox"],"fields":{"reason_code":["pop3:cmd_retr"],"duration":46,"user":"reception","session":"PopQ2Rh8ax/AAAC","mailbox":"INBOX","reason":"access","seq":2,"uid":2,"mail_age_days":0}}`,
		`2026-06-12T22:50:01 pop3(reception)<901><PopQ2Rh8ax/AAAC>: Info: Disconnected: Logged out top=0/0, retr=3/1344, del=0/3, size=1296`,
		`2026-06-12T22:50:01 stats: Info: {"event":"mail_opened","hostname":"vm","start_time":"2026-06-12T22:50:01.350796Z","end_time":"2026-06-12T22:50:01.350911Z","categories":["mail","storage","service:pop3","maildir","mailbox"],"fields":{"reason_code":["pop3:cmd_retr"],"duration":46,"user":"reception","session":"PopQ2Rh8ax/AAAC","mailbox":"INBOX","reason":"access","seq":3,"uid":3,"mail_age_days":0}}`,
	}
	run := func(grace time.Duration) (uids string, beforeTick int) {
		e, err := New(Options{Config: Config{EndGrace: grace}, Detectors: []Detector{mailboxDownload{}}})
		if err != nil {
			t.Fatal(err)
		}
		var got []*alert.Alert
		emit := func(a *alert.Alert) { got = append(got, a) }
		feed(t, e, emit, lines...)
		beforeTick = len(got)
		if err := e.Tick(time.Date(2026, 6, 12, 22, 50, 1, 0, time.UTC).Add(e.cfg.EndGrace), emit); err != nil {
			t.Fatal(err)
		}
		if len(got) != 1 {
			t.Fatalf("grace %s: %d alerts, want 1", grace, len(got))
		}
		return got[0].Evidence.Reads[0].UIDs, beforeTick
	}
	if uids, n := run(2 * time.Second); uids != "1:3" || n != 0 {
		t.Errorf("with grace: UIDs %q (alerts before Tick: %d), want 1:3 raised by Tick", uids, n)
	}
	if uids, n := run(0); uids != "1:3" || n != 0 {
		t.Errorf("default grace (%s): UIDs %q (alerts before Tick: %d), want 1:3 raised by Tick", DefaultEndGrace, uids, n)
	}
	if uids, _ := run(-1); !strings.HasPrefix(uids, "1:2") {
		t.Errorf("without grace: UIDs %q, want the two seen before the logout", uids)
	}
}

// TestDownloadWhenCommandComesFirst: Dovecot's http-post exporter sends
// events concurrently, so the FETCH 1:* command's event can reach vigil
// before the mail_opened events it caused (seen in test/lab). The download
// is then raised once enough of them have arrived, and only once.
func TestDownloadWhenCommandComesFirst(t *testing.T) {
	opened := func(uid string) string {
		return `{"event":"mail_opened","hostname":"vm","start_time":"2026-11-29T06:18:32.94` + uid + `796Z","end_time":"2026-11-29T06:18:32.94` + uid + `911Z","categories":["mail","storage","service:imap","maildir","mailbox"],"fields":{"reason_code":["imap:fetch_body"],"duration":46,"user":"dr.smith","session":"Z5k8Q2Rhtc1/AAAC","mailbox":"INBOX","reason":"access","seq":` + uid + `,"uid":` + uid + `,"mail_age_days":0}}`
	}
	lines := []string{
		`2026-11-29T06:18:32 imap-login: Info: Login: user=<dr.smith>, method=PLAIN, rip=127.0.0.2, lip=127.0.0.1, mpid=901, session=<Z5k8Q2Rhtc1/AAAC>`,
		`{"event":"imap_command_finished","hostname":"vm","start_time":"2026-11-29T06:18:32.942431Z","end_time":"2026-11-29T06:18:32.943704Z","categories":["service:imap","imap"],"fields":{"user":"dr.smith","local_ip":"127.0.0.1","local_port":10143,"remote_ip":"127.0.0.2","remote_port":52661,"session":"Z5k8Q2Rhtc1/AAAC","duration":970,"cmd_name":"FETCH","reason_code":["imap:cmd_fetch","imap:fetch_body"],"mailbox":"INBOX","cmd_tag":"CNEE4","cmd_input_name":"FETCH","cmd_args":"1:* (UID RFC822.SIZE BODY.PEEK[])","cmd_human_args":"1:* (UID RFC822.SIZE BODY.PEEK[])","tagged_reply_state":"OK","tagged_reply":"OK Fetch completed.","last_run_time":"2026-11-29T06:18:32.942437Z","running_usecs":959,"lock_wait_usecs":0,"bytes_in":35,"bytes_out":3842}}`,
		opened("1"), opened("2"), opened("3"), opened("4"),
	}
	e, err := New(Options{Detectors: []Detector{mailboxDownload{}}})
	if err != nil {
		t.Fatal(err)
	}
	dec, err := parse.NewDecoder(parse.Options{Location: time.UTC})
	if err != nil {
		t.Fatal(err)
	}
	var got []*alert.Alert
	for i, l := range lines {
		var ev event.Event
		if _, err := dec.Decode(l, &ev); err != nil {
			t.Fatalf("line %d: %v", i+1, err)
		}
		if err := e.Process(&ev, func(a *alert.Alert) { got = append(got, a) }); err != nil {
			t.Fatal(err)
		}
		if want := 0; i >= 4 {
			want = 1
			if len(got) != want {
				t.Fatalf("after line %d: %d alerts, want %d", i+1, len(got), want)
			}
		} else if len(got) != want {
			t.Fatalf("after line %d: %d alerts, want %d (the floor is %d messages)", i+1, len(got), want, downloadFloor)
		}
	}
	if got[0].Rule != "mailbox-download" || !strings.Contains(got[0].Summary, "3 messages so far") {
		t.Errorf("alert %s: %s", got[0].Rule, got[0].Summary)
	}
}

// TestEndPendingAtShutdown: a live reader stopping ends the sessions that
// logged out and wait out their grace (their download is raised), and
// leaves a session without a logout open.
func TestEndPendingAtShutdown(t *testing.T) {
	lines := []string{
		`2026-06-12T22:50:00 pop3-login: Info: Login: user=<reception>, method=PLAIN, rip=127.77.0.3, lip=127.0.0.1, mpid=901, session=<PopQ2Rh8ax/AAAC>`,
		`2026-06-12T22:50:01 pop3(reception)<901><PopQ2Rh8ax/AAAC>: Info: Disconnected: Logged out top=0/0, retr=3/1344, del=0/3, size=1296`,
		`2026-06-12T22:50:02 imap-login: Info: Login: user=<dr.smith>, method=PLAIN, rip=127.77.0.4, lip=127.0.0.1, mpid=902, session=<ImapQ2Rh8ax/AAAD>`,
	}
	e, err := New(Options{})
	if err != nil {
		t.Fatal(err)
	}
	var got []*alert.Alert
	emit := func(a *alert.Alert) { got = append(got, a) }
	feed(t, e, emit, lines...)
	if len(e.pending) != 1 || len(e.sessions) != 2 {
		t.Fatalf("before: %d pending, %d open sessions; want 1 and 2", len(e.pending), len(e.sessions))
	}
	if err := e.EndPending(emit); err != nil {
		t.Fatal(err)
	}
	if len(e.pending) != 0 || len(e.sessions) != 1 || e.sessions["ImapQ2Rh8ax/AAAD"] == nil {
		t.Errorf("after: %d pending, %d open sessions; want 0 and dr.smith's IMAP session", len(e.pending), len(e.sessions))
	}
	var rules []string
	for _, a := range got {
		rules = append(rules, a.Rule+":"+a.User)
	}
	if !strings.Contains(strings.Join(rules, " "), "mailbox-download:reception") {
		t.Errorf("alerts %v: want reception's POP3 download raised by EndPending", rules)
	}
}

// feed parses real log lines and runs their events through e, in order; a
// line the decoder ignores (a daemon starting up) yields no event, any other
// line that does not decode fails the test.
func feed(t *testing.T, e *Engine, emit func(*alert.Alert), lines ...string) {
	t.Helper()
	dec, err := parse.NewDecoder(parse.Options{Location: time.UTC})
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range lines {
		var ev event.Event
		if _, err := dec.Decode(l, &ev); errors.Is(err, parse.ErrIgnored) {
			continue // no event, as in a reader
		} else if err != nil {
			t.Fatalf("%s: %v", l, err)
		}
		if err := e.Process(&ev, emit); err != nil {
			t.Fatal(err)
		}
	}
}

// labLog returns the lines of the shared lab log (Dovecot 2.3.19, test/lab).
func labLog(t *testing.T) []string {
	t.Helper()
	raw, err := os.ReadFile(shareddata.Path(t, "dovecot-2.3-lab/dovecot-info.log"))
	if err != nil {
		t.Fatal(err)
	}
	return strings.Split(strings.TrimSpace(string(raw)), "\n")
}
