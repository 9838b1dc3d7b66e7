package detect

import (
	"fmt"
	"testing"
	"time"

	"github.com/vigilhq/vigil/internal/alert"
)

// TestSourceReadsManyMailboxes: one address logs in to 60 accounts in turn
// and opens a message in each (real Dovecot login, logout and exporter
// lines). An alert comes for each account from the second on (which also
// keeps those sessions out of the baselines: the address never becomes a
// "shared network"), each listing at most 50 accounts, always its own.
func TestSourceReadsManyMailboxes(t *testing.T) {
	e, err := New(Options{Detectors: []Detector{newManyMailboxes()}})
	if err != nil {
		t.Fatal(err)
	}
	var got []*alert.Alert
	emit := func(a *alert.Alert) { got = append(got, a) }
	start := time.Date(2026, 6, 12, 22, 0, 0, 0, time.UTC)
	for i := range 60 {
		at := start.Add(time.Duration(i) * time.Minute)
		ts := at.Format("2006-01-02T15:04:05")
		user, sess := fmt.Sprintf("staff%02d", i), fmt.Sprintf("Sess%02dRh8ax/AAAC", i)
		lines := []string{
			fmt.Sprintf(`%s imap-login: Info: Login: user=<%s>, method=PLAIN, rip=203.0.113.9, lip=127.0.0.1, mpid=%d, session=<%s>`, ts, user, 900+i, sess),
			fmt.Sprintf(`%s stats: Info: {"event":"mail_opened","hostname":"vm","start_time":"%s.348796Z","end_time":"%s.348911Z","categories":["mail","storage","service:imap","maildir","mailbox"],"fields":{"reason_code":["imap:fetch_body"],"duration":46,"user":"%s","session":"%s","mailbox":"INBOX","reason":"access","seq":1,"uid":1,"mail_age_days":0}}`, ts, ts, ts, user, sess),
			fmt.Sprintf(`%s imap(%s)<%d><%s>: Info: Logged out in=100 out=2000 deleted=0 expunged=0 trashed=0 hdr_count=0 hdr_bytes=0 body_count=1 body_bytes=1500`, ts, user, 900+i, sess),
		}
		feed(t, e, emit, lines...)
	}
	if err := e.Flush(emit); err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, a := range got {
		if a.Rule != "source-reads-many-mailboxes" {
			continue
		}
		n++
		if a.Evidence.Count != n+1 || len(a.Evidence.Accounts) != min(n+1, maxListed) || !containsStr(a.Evidence.Accounts, a.User) || a.SrcIP != "203.0.113.9" {
			t.Errorf("alert %d: count %d, %d accounts listed (%s's among them: %v), from %s", n, a.Evidence.Count, len(a.Evidence.Accounts),
				a.User, containsStr(a.Evidence.Accounts, a.User), a.SrcIP)
		}
	}
	if n != 59 {
		t.Errorf("%d source-reads-many-mailboxes alerts, want 59 (accounts 2 to 60)", n)
	}
}
