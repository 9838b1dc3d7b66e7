package lab

import (
	"bytes"
	"context"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"

	"github.com/vigilhq/vigil/internal/alert"
	"github.com/vigilhq/vigil/internal/analyze"
	"github.com/vigilhq/vigil/internal/detect"
	"github.com/vigilhq/vigil/internal/event"
	"github.com/vigilhq/vigil/internal/mailstore"
	"github.com/vigilhq/vigil/internal/parse"
	"github.com/vigilhq/vigil/internal/respond"
	"github.com/vigilhq/vigil/internal/sigma"
	"github.com/vigilhq/vigil/rules"
)

// The lab's accounts and their passwords (the attacker "stole" them).
var users = map[string]string{
	"dr.smith":    "Cardio-2026",
	"reception":   "Front-desk-7",
	"nurse.jones": "Ward-B-44",
}

// Where everyone connects from: staff from the clinic's network
// (127.0.0.0/24), attackers from other /24s.
const (
	staffIP      = "127.0.0.1"
	attackerIMAP = "127.66.0.2"
	attackerPOP3 = "127.77.0.3"
	attackerKick = "127.88.0.4"
	attackerHdrs = "127.99.0.6"
)

// maxDelay is the acceptance bound: alert within 10 s of the logout, session
// closed within 10 s of the alert.
const maxDelay = 10 * time.Second

func TestLab(t *testing.T) {
	if testing.Short() {
		t.Skip("lab: starts real servers (about 20 s); ./scripts/test.sh without -short runs it")
	}
	l := StartLab(t, users)
	start := time.Now()
	want := map[string][]patientMail{}
	for u, n := range map[string]int{"dr.smith": 12, "reception": 9, "nurse.jones": 7} {
		want[u] = mailbox(u, n, start.Add(-72*time.Hour))
		for _, m := range want[u] {
			if _, err := l.Doveadm(m.Raw, "save", "-u", u, "-m", "INBOX"); err != nil {
				t.Fatal(err)
			}
		}
	}

	f := startVigil(t, l, func(bs detect.BaselineStore) { learnBaselines(t, bs, start) })
	resp := respond.New(respond.Options{Doveadm: "doveadm", DoveadmConfig: l.conf(), BlockFile: l.Dir + "/blocked.txt"})
	var respMu sync.Mutex
	var actions []respond.Action
	f.onAlert = func(a *alert.Alert, inc *alert.Incident) {
		acts, err := resp.Handle(context.Background(), a)
		if err != nil {
			t.Errorf("responder: %v", err)
		}
		for _, act := range acts {
			f.record(inc, act.Entry(a.ID))
		}
		respMu.Lock() // after the timeline: the test waits on actions, then reads it
		actions = append(actions, acts...)
		respMu.Unlock()
	}
	var respondOn atomic.Bool // containment is off until its own subtest turns it on
	f.respondIf = func(a *alert.Alert) bool { return respondOn.Load() && a.SrcIP == attackerKick }
	var imapGot fetched // what the IMAP attacker took, for the batch check

	t.Run("staff read their own mail: no alert", func(t *testing.T) {
		c, err := imapInbox(staffIP, l.IMAPPort, "dr.smith", users["dr.smith"])
		if err != nil {
			t.Fatal(err)
		}
		if _, err := c.Fetch(imap.SeqSetNum(1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12), &imap.FetchOptions{Envelope: true, UID: true}).Collect(); err != nil {
			t.Fatal(err)
		}
		if _, err := fetchBodies(c, imap.UIDSetNum(3, 7)); err != nil {
			t.Fatal(err)
		}
		if err := c.Logout().Wait(); err != nil {
			t.Fatal(err)
		}
		_ = c.Close()
		// Any alert would come within the logout grace (2 s) and a tick.
		time.Sleep(4 * time.Second)
		for _, r := range f.all() {
			if r.A.SrcIP == staffIP || r.A.User == "dr.smith" {
				t.Errorf("alert about staff reading their own mail: %s %s %s", r.A.Rule, r.A.Severity, r.A.Summary)
			}
		}
	})

	t.Run("IMAP download with a stolen password", func(t *testing.T) {
		c, err := imapInbox(attackerIMAP, l.IMAPPort, "dr.smith", users["dr.smith"])
		if err != nil {
			t.Fatal(err)
		}
		got, err := fetchBodies(c, imap.SeqSet{imap.SeqRange{Start: 1, Stop: 0}}) // 1:*
		if err != nil {
			t.Fatal(err)
		}
		if err := c.Logout().Wait(); err != nil {
			t.Fatal(err)
		}
		out := time.Now()
		_ = c.Close()
		imapGot = got
		if len(got) != len(want["dr.smith"]) {
			t.Fatalf("client fetched %d messages, the mailbox holds %d", len(got), len(want["dr.smith"]))
		}
		r, ok := f.waitFor(maxDelay+5*time.Second, func(a *alert.Alert) bool {
			return a.Rule == "session-read" && a.SrcIP == attackerIMAP && a.Severity >= alert.High
		})
		if !ok {
			t.Fatalf("no high or critical session-read alert for %s; alerts: %s", attackerIMAP, summary(f.all()))
		}
		t.Logf("alert %s (%s) %.2fs after logout: %s", r.A.Rule, r.A.Severity, r.Wall.Sub(out).Seconds(), r.A.Summary)
		if d := r.Wall.Sub(out); d > maxDelay {
			t.Errorf("alert came %s after the logout, want within %s", d, maxDelay)
		}
		checkReads(t, l, r.A, "dr.smith", got)
		checkPosted(t, l, r.A.Evidence.Sessions[0], got)
		// The exact list came through vigil's HTTP intake: the main log
		// vigil tails holds no exporter events.
		if strings.Contains(readFile(t, l.DovecotLog), "mail_opened") {
			t.Errorf("the main log holds exporter events; they must reach vigil only over http-post")
		}
		if _, ok := f.waitFor(0, func(a *alert.Alert) bool {
			return a.Rule == "mailbox-download" && a.SrcIP == attackerIMAP && a.Severity == alert.Critical
		}); !ok {
			t.Errorf("no critical mailbox-download alert; alerts: %s", summary(f.all()))
		}
	})

	t.Run("header fetches served from the cache are listed as an upper bound", func(t *testing.T) {
		// The staff session above fetched every ENVELOPE, so Dovecot serves
		// these from its cache and logs no mail_opened for them.
		c, err := imapInbox(attackerHdrs, l.IMAPPort, "dr.smith", users["dr.smith"])
		if err != nil {
			t.Fatal(err)
		}
		all := imap.SeqSet{imap.SeqRange{Start: 1, Stop: 0}}
		if _, err := c.Fetch(all, &imap.FetchOptions{Envelope: true, UID: true}).Collect(); err != nil {
			t.Fatal(err)
		}
		got, err := fetchBodies(c, all)
		if err != nil {
			t.Fatal(err)
		}
		if err := c.Logout().Wait(); err != nil {
			t.Fatal(err)
		}
		_ = c.Close()
		r, ok := f.waitFor(maxDelay, func(a *alert.Alert) bool {
			return a.Rule == "session-read" && a.SrcIP == attackerHdrs
		})
		if !ok {
			t.Fatalf("no session-read alert for %s; alerts: %s", attackerHdrs, summary(f.all()))
		}
		reads := r.A.Evidence.Reads
		if len(reads) != 2 {
			t.Fatalf("reads %+v, want the exact bodies and the header upper bound", reads)
		}
		if u := parseUIDSet(t, reads[0].UIDs); !reads[0].Exact || len(u) != len(got) {
			t.Errorf("exact part %+v, the client fetched %d bodies", reads[0], len(got))
		}
		if reads[1].Exact || reads[1].UIDs != "1:* (sequence numbers)" || !strings.Contains(reads[1].Bound, "upper bound") {
			t.Errorf("header part %+v, want an upper bound over 1:*", reads[1])
		}
		t.Logf("upper bound: %s %s — %s", reads[1].Mailbox, reads[1].UIDs, reads[1].Bound)
	})

	t.Run("POP3 download with a stolen password", func(t *testing.T) {
		p, err := pop3Dial(attackerPOP3, l.POP3Port)
		if err != nil {
			t.Fatal(err)
		}
		if err := p.login("reception", users["reception"]); err != nil {
			t.Fatal(err)
		}
		byNum, err := p.retrAll()
		if err != nil {
			t.Fatal(err)
		}
		if err := p.quit(); err != nil {
			t.Fatal(err)
		}
		out := time.Now()
		r, ok := f.waitFor(maxDelay+5*time.Second, func(a *alert.Alert) bool {
			return a.Rule == "mailbox-download" && a.SrcIP == attackerPOP3 && a.Severity >= alert.High
		})
		if !ok {
			t.Fatalf("no high or critical alert for the POP3 download; alerts: %s", summary(f.all()))
		}
		t.Logf("alert %s (%s) %.2fs after QUIT: %s", r.A.Rule, r.A.Severity, r.Wall.Sub(out).Seconds(), r.A.Summary)
		if d := r.Wall.Sub(out); d > maxDelay {
			t.Errorf("alert came %s after the logout, want within %s", d, maxDelay)
		}
		// POP3 numbers are not UIDs: the client knows Message-IDs; map them
		// to UIDs through the server to compare sets.
		got := fetched{}
		uids := uidsByMessageID(t, l, "reception")
		for _, id := range byNum {
			got[uids[id]] = id
		}
		checkReads(t, l, r.A, "reception", got)
	})

	t.Run("password guessing", func(t *testing.T) {
		// Dovecot delays repeated failures from one address, so each guess
		// comes from an address of its own (a botnet, as in the field).
		var wg sync.WaitGroup
		for i := 0; i < 24; i++ {
			wg.Add(1)
			go func(i int) {
				defer wg.Done()
				c, err := imapLogin("127.0.0."+strconv.Itoa(10+i), l.IMAPPort, "nurse.jones", "guess-"+strconv.Itoa(i))
				if err == nil {
					t.Errorf("guess %d logged in", i)
					_ = c.Close()
				}
			}(i)
		}
		wg.Wait()
		r, ok := f.waitFor(maxDelay, func(a *alert.Alert) bool {
			return a.User == "nurse.jones" && (a.Rule == "brute-force-account" || a.Rule == "distributed-guessing")
		})
		if !ok {
			t.Fatalf("no brute-force alert for nurse.jones; alerts: %s", summary(f.all()))
		}
		t.Logf("%s (%s): %s", r.A.Rule, r.A.Severity, r.A.Summary)
	})

	t.Run("phishing from the compromised account", func(t *testing.T) {
		var to []string
		for i := 0; i < 60; i++ {
			to = append(to, fmt.Sprintf("patient%02d@mail%d.example.net", i, i%7))
		}
		msg := build("<phish-1@clinic.test>", "patients", "Your test results are ready", time.Now(),
			"Dear patient,\r\nplease confirm your details to see your results.\r\n").Raw
		if err := sendMail(attackerIMAP, l.SubmitPort, "dr.smith", users["dr.smith"], "dr.smith@clinic.test", to, msg); err != nil {
			t.Fatal(err)
		}
		r, ok := f.waitFor(maxDelay, func(a *alert.Alert) bool {
			return a.Rule == "bulk-sending" && a.User == "dr.smith" && a.SrcIP == attackerIMAP && a.Severity >= alert.High
		})
		if !ok {
			t.Fatalf("no alert on the sending account; alerts: %s", summary(f.all()))
		}
		t.Logf("%s (%s) user %s: %s", r.A.Rule, r.A.Severity, r.A.User, r.A.Summary)
	})

	t.Run("containment ends the attacker's open session", func(t *testing.T) {
		respondOn.Store(true)
		c, err := imapInbox(attackerKick, l.IMAPPort, "nurse.jones", users["nurse.jones"])
		if err != nil {
			t.Fatal(err)
		}
		defer func() { _ = c.Close() }()
		if _, err := fetchBodies(c, imap.SeqSet{imap.SeqRange{Start: 1, Stop: 0}}); err != nil {
			t.Fatal(err)
		}
		r, ok := f.waitFor(maxDelay, func(a *alert.Alert) bool {
			return a.Rule == "mailbox-download" && a.SrcIP == attackerKick && a.Severity == alert.Critical
		})
		if !ok {
			t.Fatalf("no critical alert while the session is open; alerts: %s", summary(f.all()))
		}
		// The client keeps going; the server must close the session.
		var closed time.Time
		for time.Since(r.Wall) < maxDelay+5*time.Second {
			if err := c.Noop().Wait(); err != nil {
				closed = time.Now()
				t.Logf("client saw the session end: %v", err)
				break
			}
			time.Sleep(100 * time.Millisecond)
		}
		if closed.IsZero() {
			t.Fatalf("session still open %s after the alert", maxDelay+5*time.Second)
		}
		t.Logf("session closed %.2fs after the alert", closed.Sub(r.Wall).Seconds())
		// And it was the server that ended it, on the responder's kick.
		kicked := false
		time.Sleep(200 * time.Millisecond)
		for _, line := range strings.Split(readFile(t, l.DovecotLog), "\n") {
			if strings.Contains(line, "imap(nurse.jones)") && strings.Contains(line, "Disconnected") {
				t.Logf("server: %s", line)
				// doveadm kick signals the session's process: 2.3 logs that as a shutdown.
				kicked = kicked || strings.Contains(line, "Server shutting down")
			}
		}
		if !kicked {
			t.Errorf("Dovecot did not log the session as ended by the kick")
		}
		// Only that session ended: the server still serves staff.
		sc, err := imapLogin(staffIP, l.IMAPPort, "nurse.jones", users["nurse.jones"])
		if err != nil {
			t.Fatalf("staff cannot log in after the kick: %v", err)
		}
		_ = sc.Logout().Wait()
		_ = sc.Close()
		if d := closed.Sub(r.Wall); d > maxDelay {
			t.Errorf("session closed %s after the alert, want within %s", d, maxDelay)
		}
		// The server closes the session while doveadm is still returning.
		for i := 0; i < 100; i++ {
			respMu.Lock()
			n := len(actions)
			respMu.Unlock()
			if n >= 2 {
				break
			}
			time.Sleep(50 * time.Millisecond)
		}
		respMu.Lock()
		defer respMu.Unlock()
		var kinds []string
		for _, a := range actions {
			kinds = append(kinds, a.Kind)
			if a.Err != "" {
				t.Errorf("action %s failed: %s", a.Kind, a.Err)
			}
		}
		if !slices.Equal(kinds, []string{"kick", "block-file"}) {
			t.Errorf("actions %v, want kick and block-file", kinds)
		}
		inc := f.incident(r.A)
		if inc == nil || len(inc.Timeline) != 2 || inc.Timeline[0].Kind != "kick" {
			t.Errorf("incident timeline: %+v", inc)
		} else {
			t.Logf("timeline: %+v", inc.Timeline)
		}
	})

	t.Run("vigil analyze over the same real logs agrees", func(t *testing.T) {
		if imapGot == nil {
			t.Skip("the IMAP download did not run")
		}
		f.close()
		st := detect.NewMemoryStore()
		learnBaselines(t, st, start)
		sigmaRules, err := sigma.Load(rules.FS, ".")
		if err != nil {
			t.Fatal(err)
		}
		rs := detect.Rules(sigmaRules)
		// The exporter's events came over HTTP; the test kept a copy of
		// each, written here as the JSON lines vigil analyze reads. A
		// session ends 2 s after its logout line, as in vigil serve: the
		// main log's timestamps are whole seconds, the exporter's finer.
		exported := filepath.Join(l.Dir, "exporter.jsonl")
		var b strings.Builder
		for _, p := range l.Posted() {
			b.Write(bytes.TrimSpace(p))
			b.WriteByte('\n')
		}
		if err := os.WriteFile(exported, []byte(b.String()), 0o600); err != nil {
			t.Fatal(err)
		}
		eng, err := detect.New(detect.Options{Baselines: st, Rules: rs, Config: detect.Config{EndGrace: 2 * time.Second}})
		if err != nil {
			t.Fatal(err)
		}
		r, err := analyze.New(analyze.Options{Engine: eng, Location: time.Local})
		if err != nil {
			t.Fatal(err)
		}
		if err := r.Merge([]string{l.DovecotLog, exported, l.PostfixLog}); err != nil {
			t.Fatal(err)
		}
		res, err := r.Finish()
		if err != nil {
			t.Fatal(err)
		}
		if res.Unparsed > 0 {
			t.Logf("%d of %d lines not understood", res.Unparsed, res.Lines)
		}
		var sr *alert.Alert
		for _, a := range res.Alerts {
			if a.Rule == "session-read" && a.SrcIP == attackerIMAP {
				sr = a
			}
			if a.SrcIP == staffIP {
				t.Errorf("batch: alert about staff: %s %s", a.Rule, a.Summary)
			}
		}
		if sr == nil {
			t.Fatalf("batch: no session-read alert for %s", attackerIMAP)
		}
		checkReads(t, l, sr, "dr.smith", imapGot)
	})
}

// checkReads asserts that the alert lists exactly the messages the client
// fetched: the same UIDs, exactly (from mail_opened), in user's INBOX, and
// the same Message-IDs once the UIDs are resolved through the server.
func checkReads(t *testing.T, l *Lab, a *alert.Alert, user string, got fetched) {
	t.Helper()
	if len(a.Evidence.Reads) != 1 {
		t.Fatalf("alert lists %d reads, want 1 (INBOX): %+v", len(a.Evidence.Reads), a.Evidence.Reads)
	}
	rd := a.Evidence.Reads[0]
	if rd.Mailbox != "INBOX" || rd.User != user || !rd.Exact {
		t.Errorf("read: mailbox %q user %q exact %v, want INBOX %s exact", rd.Mailbox, rd.User, rd.Exact, user)
	}
	listed := parseUIDSet(t, rd.UIDs)
	fetchedUIDs := slices.Sorted(maps.Keys(got))
	if !slices.Equal(listed, fetchedUIDs) {
		t.Errorf("alert lists UIDs %v, the client fetched %v", listed, fetchedUIDs)
	}
	// vigil resolves the UIDs to Message-IDs through the Maildir's dovecot-uidlist.
	if err := mailstore.Resolve(a, func(u string) mailstore.Maildir {
		return mailstore.Maildir(filepath.Join(l.Dir, "mail", u, "Maildir"))
	}); err != nil {
		t.Fatal(err)
	}
	var clientIDs []string
	for _, u := range fetchedUIDs {
		clientIDs = append(clientIDs, got[u])
	}
	if ids := a.Evidence.Reads[0].MessageIDs; !slices.Equal(ids, clientIDs) {
		t.Errorf("alert lists Message-IDs %v, the client received %v", ids, clientIDs)
	}
	ids := uidsByMessageID(t, l, user)
	for _, u := range listed {
		var id string
		for k, v := range ids {
			if v == u {
				id = k
			}
		}
		if id != got[u] {
			t.Errorf("UID %d resolves to %q on the server, the client got %q", u, id, got[u])
		}
	}
}

// checkPosted asserts that the http-post exporter sent the same mail_opened
// events for the session, and that vigil's parser reads them.
func checkPosted(t *testing.T, l *Lab, session string, got fetched) {
	t.Helper()
	dec, err := parse.NewDecoder(parse.Options{Format: "dovecot-exporter"})
	if err != nil {
		t.Fatal(err)
	}
	uids := map[uint32]bool{}
	deadline := time.Now().Add(5 * time.Second)
	for len(uids) < len(got) && time.Now().Before(deadline) {
		for _, b := range l.Posted() {
			var ev event.Event
			if _, err := dec.Decode(string(b), &ev); err != nil {
				t.Errorf("posted event not understood: %v", err)
				continue
			}
			if ev.Session == session && ev.Class == event.ClassDatastore {
				uids[ev.UID] = true
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	if want := slices.Sorted(maps.Keys(got)); !slices.Equal(slices.Sorted(maps.Keys(uids)), want) {
		t.Errorf("http-post exporter sent mail_opened for UIDs %v, the client fetched %v", slices.Sorted(maps.Keys(uids)), want)
	}
}

// uidsByMessageID asks the server (a second, independent way) (doveadm fetch) for INBOX's Message-ID → UID.
func uidsByMessageID(t *testing.T, l *Lab, user string) map[string]uint32 {
	t.Helper()
	out, err := l.Doveadm(nil, "fetch", "-u", user, "uid hdr.message-id", "mailbox", "INBOX", "all")
	if err != nil {
		t.Fatal(err)
	}
	m := map[string]uint32{}
	var uid uint64
	for _, line := range strings.Split(string(out), "\n") {
		k, v, _ := strings.Cut(line, ": ")
		switch k {
		case "uid":
			uid, _ = strconv.ParseUint(strings.TrimSpace(v), 10, 32)
		case "hdr.message-id":
			m[strings.TrimSpace(v)] = uint32(uid) //nolint:gosec // G115: parsed with bitSize 32
		}
	}
	return m
}

func parseUIDSet(t *testing.T, s string) []uint32 {
	t.Helper()
	var out []uint32
	for _, part := range strings.Split(s, ",") {
		lo, hi, isRange := strings.Cut(part, ":")
		a, err := strconv.ParseUint(lo, 10, 32)
		if err != nil {
			t.Fatalf("UID set %q: %v", s, err)
		}
		b := a
		if isRange {
			if b, err = strconv.ParseUint(hi, 10, 32); err != nil {
				t.Fatalf("UID set %q: %v", s, err)
			}
		}
		for u := a; u <= b; u++ {
			out = append(out, uint32(u)) //nolint:gosec // G115: parsed with bitSize 32
		}
	}
	return out
}

func readFile(t *testing.T, p string) string {
	t.Helper()
	b, err := os.ReadFile(p) //nolint:gosec // G304: the lab's own log
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func summary(rs []raised) string {
	var b strings.Builder
	for _, r := range rs {
		fmt.Fprintf(&b, "\n  %s %s user=%s src=%s: %s", r.A.Rule, r.A.Severity, r.A.User, r.A.SrcIP, r.A.Summary)
	}
	return b.String()
}

// learnBaselines teaches the engine's store ten working days of normal use:
// every account reading a little mail over IMAP from the clinic's network,
// as real Dovecot lines, through vigil's own learning run (vigil learn).
func learnBaselines(t *testing.T, store detect.BaselineStore, now time.Time) {
	t.Helper()
	eng, err := detect.New(detect.Options{Baselines: store, LearnOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	r, err := analyze.New(analyze.Options{Engine: eng, Format: "dovecot"})
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	n := 0
	for d := 14; d >= 1; d-- {
		day := now.UTC().AddDate(0, 0, -d)
		for _, u := range slices.Sorted(maps.Keys(users)) {
			n++
			ts := time.Date(day.Year(), day.Month(), day.Day(), 9, n%50, 0, 0, time.UTC).Format("2006-01-02T15:04:05")
			sess := fmt.Sprintf("hist%08dAAAB", n)
			fmt.Fprintf(&b, "%s imap-login: Info: Login: user=<%s>, method=PLAIN, rip=%s, lip=127.0.0.1, mpid=%d, secured, session=<%s>\n", ts, u, staffIP, 1000+n, sess)
			fmt.Fprintf(&b, "%s imap(%s)<%d><%s>: Info: Disconnected: Logged out in=120 out=4000 deleted=0 expunged=0 trashed=0 hdr_count=6 hdr_bytes=600 body_count=2 body_bytes=3000\n", ts, u, 1000+n, sess)
		}
	}
	if err := r.Reader("trusted-period", strings.NewReader(b.String())); err != nil {
		t.Fatal(err)
	}
	if _, err := r.Finish(); err != nil {
		t.Fatal(err)
	}
}
