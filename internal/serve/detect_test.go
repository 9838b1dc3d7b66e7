package serve_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vigilhq/vigil/internal/alert"
	"github.com/vigilhq/vigil/internal/bus"
	"github.com/vigilhq/vigil/internal/detect"
	"github.com/vigilhq/vigil/internal/serve"
	"github.com/vigilhq/vigil/internal/shareddata"
	"github.com/vigilhq/vigil/internal/store"
	"github.com/vigilhq/vigil/internal/store/sqlite"
)

// lockedBuffer is the daemon's stdout: the detector writes, the test reads.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestLiveDetection runs the real daemon (embedded bus, SQLite) on the lab's
// real Dovecot output: the exporter's events POSTed to the HTTP intake as
// Dovecot does, and the info log read by a file source. The stored alerts
// must name the brute force from 127.0.0.3, the reading of dr.smith's mailbox
// from 127.0.0.2 with the exact UIDs it opened (1–6, from the mail_opened
// events that came over HTTP) and the POP3 download of reception's (UIDs
// 1–3). A restart then adds a later day's login: no alert comes twice, none
// is sent out again, and the baselines go on from those in the store.
func TestLiveDetection(t *testing.T) {
	dir := t.TempDir()
	logs := filepath.Join(dir, "logs")
	if err := os.Mkdir(logs, 0o750); err != nil {
		t.Fatal(err)
	}
	cfg := baseConfig(t, filepath.Join(dir, "data"), false)
	cfg.Sources = []serve.SourceConfig{
		{Name: "mail", Type: "file", Paths: []string{filepath.Join(logs, "dovecot-info.log*")}, Timezone: "UTC", Poll: serve.Duration(20 * time.Millisecond)},
		{Name: "exporter", Type: "http", Token: "s3cret", Path: "/events"},
	}
	cfg.Detect.Tick = serve.Duration(100 * time.Millisecond)
	cfg.Outputs.Stdout.Enabled = true
	out1 := &lockedBuffer{}
	d := startDaemonOpts(t, cfg, serve.Options{Stdout: out1})

	// Dovecot posts each event as it happens, so the exporter's events are
	// on the bus before the log file's lines that the file source polls for.
	raw, err := os.ReadFile(shareddata.Path(t, "dovecot-2.3-lab/events-http.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	post := func(l string) int {
		req, err := http.NewRequest(http.MethodPost, "http://"+d.addr+"/events", strings.NewReader(l))
		if err != nil {
			t.Fatal(err)
		}
		req.SetBasicAuth("dovecot", "s3cret")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		_ = resp.Body.Close()
		return resp.StatusCode
	}
	for _, l := range strings.Split(strings.TrimSpace(string(raw)), "\n") {
		code := post(l)
		// The intake answers 503 until its source runs (just after Ready);
		// a sender retries, as this one does.
		for tries := 0; code == http.StatusServiceUnavailable && tries < 100; tries++ {
			time.Sleep(20 * time.Millisecond)
			code = post(l)
		}
		if code != http.StatusNoContent {
			t.Fatalf("post: %d", code)
		}
	}
	logPath := filepath.Join(logs, "dovecot-info.log")
	copyFile(t, shareddata.Path(t, "dovecot-2.3-lab/dovecot-info.log"), logPath)
	waitDetected(t, d)
	ran := d.metric(t, "vigil_detect_events_total")
	d.stop(t)

	db := filepath.Join(cfg.DataDir, "vigil.db")
	alerts, incidents := storedAlerts(t, db)
	find := func(rule, user, src string) *alert.Alert {
		for _, a := range alerts {
			if a.Rule == rule && a.User == user && a.SrcIP == src {
				return a
			}
		}
		t.Errorf("no stored %s alert for %s from %s; stored: %s", rule, user, src, ruleList(alerts))
		return nil
	}
	// 127.0.0.3 tried five wrong passwords on reception (each counted once,
	// though Dovecot wrote each up to three times across the two sources).
	if a := find("repeated-failures", "reception", "127.0.0.3"); a != nil {
		if a.Evidence.Count != 5 || len(a.Attack) == 0 || a.Attack[0] != "T1110.001" {
			t.Errorf("brute force from 127.0.0.3: count %d, attack %v; want 5, T1110.001", a.Evidence.Count, a.Attack)
		}
	}
	if a := find("session-read", "dr.smith", "127.0.0.2"); a != nil {
		want := []alert.Read{{Session: "Z5k8Q2Rhtc1/AAAC", User: "dr.smith", Mailbox: "INBOX", UIDs: "1:6", Exact: true}}
		checkReads(t, a, want)
	}
	if a := find("session-read", "reception", "127.0.0.2"); a != nil {
		checkReads(t, a, []alert.Read{{Session: "s7/ZR2Rh8ax/AAAC", User: "reception", Mailbox: "INBOX", UIDs: "1:3", Exact: true}})
		if !strings.Contains(a.Summary, "pop3") || a.Severity < alert.High {
			t.Errorf("reception's download: %s %q", a.Severity, a.Summary)
		}
	}
	for _, a := range alerts {
		if a.Incident == "" || !incidents[a.Incident] {
			t.Errorf("alert %s (%s) is in no stored incident (%q)", a.ID, a.Rule, a.Incident)
		}
	}
	// Every stored alert went out once on the stdout output.
	sent := sentIDs(t, out1.String())
	if len(sent) != len(alerts) {
		t.Errorf("%d alerts sent on stdout, %d stored", len(sent), len(alerts))
	}
	for _, a := range alerts {
		if sent[a.ID] != 1 {
			t.Errorf("alert %s (%s) sent %d times", a.ID, a.Rule, sent[a.ID])
		}
	}
	before := baselineOf(t, db, "dr.smith")

	// Restart: the next day dr.smith logs in and out from the office again.
	lab, err := os.ReadFile(logPath) //nolint:gosec // G304: the test's own copy
	if err != nil {
		t.Fatal(err)
	}
	var next []string
	for i, l := range strings.Split(string(lab), "\n") {
		if i == 2 || i == 8 { // lines 3 and 9: dr.smith's login and logout from 127.0.0.1
			l = strings.Replace(l, "2026-11-29T", "2026-11-30T", 1)
			next = append(next, strings.ReplaceAll(l, "ngstQ2RhRYN/AAAB", "ngstQ2RhRYN/AAAZ"))
		}
	}
	f, err := os.OpenFile(logPath, os.O_APPEND|os.O_WRONLY, 0o600) //nolint:gosec // G304: the test's own copy
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteString(strings.Join(next, "\n") + "\n"); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	// And detection lost its position (a crash before any ack, at worst):
	// every event comes to it again.
	b, err := bus.Open(context.Background(), bus.Options{Dir: filepath.Join(cfg.DataDir, "jetstream"), Stream: cfg.Bus.Stream, Subject: cfg.Bus.Subject})
	if err != nil {
		t.Fatal(err)
	}
	if err := b.DeleteConsumer(context.Background(), "detect"); err != nil {
		t.Fatal(err)
	}
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	out2 := &lockedBuffer{}
	d = startDaemonOpts(t, cfg, serve.Options{Stdout: out2})
	waitFor(t, 30*time.Second, "the next day's lines detected", func() bool {
		return d.metric(t, "vigil_detect_events_total") >= ran+2
	})
	time.Sleep(300 * time.Millisecond) // a few ticks: nothing may come out of them
	d.stop(t)
	again, _ := storedAlerts(t, db)
	if ruleList(again) != ruleList(alerts) {
		t.Errorf("after the restart the store holds %s, before %s", ruleList(again), ruleList(alerts))
	}
	if s := out2.String(); s != "" {
		t.Errorf("alerts sent again after the restart: %s", s)
	}
	after := baselineOf(t, db, "dr.smith")
	if before.ActiveDays != 1 || after.ActiveDays != 2 || after.FirstDay != before.FirstDay || after.LastDay != before.LastDay+1 {
		t.Errorf("dr.smith's baseline: before the restart %d active day(s) from day %d, after %d from day %d to %d; want it to go on (1, then 2)",
			before.ActiveDays, before.FirstDay, after.ActiveDays, after.FirstDay, after.LastDay)
	}
}

// waitDetected waits until detection has run every event the sources published.
func waitDetected(t *testing.T, d *daemon) {
	t.Helper()
	waitFor(t, 60*time.Second, "detection to catch up", func() bool {
		pub := d.metric(t, `vigil_source_events_published_total{source="exporter"}`) + d.metric(t, `vigil_source_events_published_total{source="mail"}`)
		return d.metric(t, `vigil_source_events_published_total{source="mail"}`) > 0 && d.metric(t, "vigil_detect_events_total") >= pub
	})
	time.Sleep(300 * time.Millisecond) // let a tick or two pass
}

func storedAlerts(t *testing.T, db string) ([]*alert.Alert, map[string]bool) {
	t.Helper()
	ctx := context.Background()
	s, err := sqlite.Open(ctx, sqlite.Options{Path: db})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = s.Close() }()
	sa, err := s.QueryAlerts(ctx, store.AlertQuery{})
	if err != nil {
		t.Fatal(err)
	}
	var out []*alert.Alert
	for _, x := range sa {
		var a alert.Alert
		if err := json.Unmarshal(x.Data, &a); err != nil {
			t.Fatalf("alert %s: %v", x.ID, err)
		}
		if a.ID != x.ID || a.Rule != x.Rule || a.Incident != x.IncidentID || x.Account != a.User {
			t.Errorf("stored columns %+v disagree with the alert's JSON", x)
		}
		out = append(out, &a)
	}
	incs, err := s.ListIncidents(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	ids := map[string]bool{}
	for _, i := range incs {
		ids[i.ID] = true
	}
	return out, ids
}

func checkReads(t *testing.T, a *alert.Alert, want []alert.Read) {
	t.Helper()
	var got []alert.Read
	for _, r := range a.Evidence.Reads {
		got = append(got, alert.Read{Session: r.Session, User: r.User, Mailbox: r.Mailbox, UIDs: r.UIDs, Exact: r.Exact})
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("%s %s: reads %+v, want %+v", a.Rule, a.User, got, want)
	}
}

func ruleList(as []*alert.Alert) string {
	var s []string
	for _, a := range as {
		s = append(s, a.ID+":"+a.Rule+"/"+a.User+"/"+a.SrcIP)
	}
	sort.Strings(s)
	return strings.Join(s, " ")
}

func sentIDs(t *testing.T, out string) map[string]int {
	t.Helper()
	ids := map[string]int{}
	for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
		if l == "" {
			continue
		}
		var a alert.Alert
		if err := json.Unmarshal([]byte(l), &a); err != nil {
			t.Fatalf("stdout line %q: %v", l, err)
		}
		ids[a.ID]++
	}
	return ids
}

func baselineOf(t *testing.T, db, account string) *detect.Baseline {
	t.Helper()
	s, err := sqlite.Open(context.Background(), sqlite.Options{Path: db})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = s.Close() }()
	b, err := detect.NewStoreBaselines(s).Load(account)
	if err != nil {
		t.Fatalf("baseline of %s: %v", account, err)
	}
	return b
}
