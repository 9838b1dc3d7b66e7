// Package storetest is the one conformance suite every store.Store backend
// must pass. Backend tests call Run with a function that opens a fresh, empty
// store. The events it stores are parsed from real Dovecot log lines.
//
// The package must not know any backend: it sees only store.Store.
package storetest

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"github.com/vigilhq/vigil/internal/shareddata"
	"os"
	"reflect"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/vigilhq/vigil/internal/alert"
	"github.com/vigilhq/vigil/internal/detect"
	"github.com/vigilhq/vigil/internal/event"
	"github.com/vigilhq/vigil/internal/parse"
	"github.com/vigilhq/vigil/internal/store"
)

// Open returns a fresh, empty store; the suite closes it.
type Open func(t *testing.T) store.Store

// Run runs the conformance suite.
func Run(t *testing.T, open Open) {
	tests := []struct {
		name string
		fn   func(*testing.T, store.Store)
	}{
		{"EventsIdempotent", testEventsIdempotent},
		{"EventsQuery", testEventsQuery},
		{"EventsConcurrent", testEventsConcurrent},
		{"EventsPrune", testEventsPrune},
		{"Alerts", testAlerts},
		{"Incidents", testIncidents},
		{"Checkpoints", testCheckpoints},
		{"Baselines", testBaselines},
		{"DetectBaselines", testDetectBaselines},
		{"InventoryFindings", testInventoryFindings},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := open(t)
			t.Cleanup(func() {
				if err := s.Close(); err != nil {
					t.Errorf("close: %v", err)
				}
			})
			tc.fn(t, s)
		})
	}
}

// RealEvents parses the Dovecot lab log (real Dovecot 2.3 lines) into stored
// events, ID'd by line number.
func RealEvents(t testing.TB) []store.Event {
	t.Helper()
	path := shareddata.Path(t, "dovecot-2.3-lab/dovecot-info.log")
	f, err := os.Open(path) //nolint:gosec // G304: the test's own data file
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = f.Close() }() // read-only
	dec, err := parse.NewDecoder(parse.Options{Location: time.UTC})
	if err != nil {
		t.Fatal(err)
	}
	var out []store.Event
	sc := bufio.NewScanner(f)
	line := 0
	for sc.Scan() {
		line++
		var ev event.Event
		if _, err := dec.Decode(sc.Text(), &ev); err != nil {
			continue
		}
		ev.LogName, ev.LogLine = "dovecot-info.log", int64(line)
		b, err := ev.MarshalJSON()
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, store.Event{ID: fmt.Sprintf("lab:%d", line), Time: ev.Time, Account: ev.User,
			Source: "lab", Class: int(ev.Class), Data: b})
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if len(out) < 20 {
		t.Fatalf("only %d events parsed from %s", len(out), path)
	}
	return out
}

var ctx = context.Background()

func testEventsIdempotent(t *testing.T, s store.Store) {
	evs := RealEvents(t)
	n, err := s.AppendEvents(ctx, evs[:10])
	if err != nil || n != 10 {
		t.Fatalf("first append = %d, %v; want 10", n, err)
	}
	// A replay of the first ten plus the rest adds only the rest.
	n, err = s.AppendEvents(ctx, evs)
	if err != nil || n != len(evs)-10 {
		t.Fatalf("replayed append = %d, %v; want %d", n, err, len(evs)-10)
	}
	c, err := s.CountEvents(ctx)
	if err != nil || c != int64(len(evs)) {
		t.Fatalf("count = %d, %v; want %d", c, err, len(evs))
	}
	got, err := s.QueryEvents(ctx, store.EventQuery{IDs: []string{evs[3].ID}})
	if err != nil || len(got) != 1 {
		t.Fatalf("query by ID: %v, %v", got, err)
	}
	if !reflect.DeepEqual(got[0], evs[3]) {
		t.Errorf("stored event changed:\n got %+v\nwant %+v", got[0], evs[3])
	}
	var back event.Event
	if err := back.UnmarshalJSON(got[0].Data); err != nil {
		t.Errorf("stored JSON does not decode: %v", err)
	}
	if _, err := s.AppendEvents(ctx, []store.Event{{Time: time.Now()}}); err == nil {
		t.Error("an event without ID was stored")
	}
}

func testEventsQuery(t *testing.T, s store.Store) {
	evs := RealEvents(t)
	if _, err := s.AppendEvents(ctx, evs); err != nil {
		t.Fatal(err)
	}
	var want []store.Event
	var from, to time.Time
	for _, e := range evs {
		if e.Account == "dr.smith" {
			want = append(want, e)
		}
	}
	if len(want) < 4 {
		t.Fatalf("lab log has only %d dr.smith events", len(want))
	}
	sort.SliceStable(want, func(i, j int) bool {
		if !want[i].Time.Equal(want[j].Time) {
			return want[i].Time.Before(want[j].Time)
		}
		return want[i].ID < want[j].ID
	})
	got, err := s.QueryEvents(ctx, store.EventQuery{Account: "dr.smith"})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(ids(got), ids(want)) {
		t.Errorf("by account:\n got %v\nwant %v", ids(got), ids(want))
	}
	// A window: From inclusive, To exclusive.
	from, to = want[1].Time, want[len(want)-1].Time
	var inWin []string
	for _, e := range want {
		if !e.Time.Before(from) && e.Time.Before(to) {
			inWin = append(inWin, e.ID)
		}
	}
	got, err = s.QueryEvents(ctx, store.EventQuery{Account: "dr.smith", From: from, To: to})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(ids(got), inWin) {
		t.Errorf("window:\n got %v\nwant %v", ids(got), inWin)
	}
	got, err = s.QueryEvents(ctx, store.EventQuery{Limit: 3})
	if err != nil || len(got) != 3 {
		t.Errorf("limit 3: %d events, %v", len(got), err)
	}
	got, err = s.QueryEvents(ctx, store.EventQuery{Account: "nobody"})
	if err != nil || len(got) != 0 {
		t.Errorf("unknown account: %v, %v", got, err)
	}
}

func ids(evs []store.Event) []string {
	var out []string
	for _, e := range evs {
		out = append(out, e.ID)
	}
	return out
}

// testEventsConcurrent has four writers append overlapping batches, as
// redelivering consumers do; each ID must be stored once.
func testEventsConcurrent(t *testing.T, s store.Store) {
	base := RealEvents(t)
	const total = 2000
	all := make([]store.Event, total)
	for i := range all {
		all[i] = base[i%len(base)]
		all[i].ID = fmt.Sprintf("c:%d", i)
	}
	var wg sync.WaitGroup
	added := make([]int, 4)
	errs := make([]error, 4)
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for start := w * 100; start < total; start += 250 {
				end := min(start+300, total)
				n, err := s.AppendEvents(ctx, all[start:end])
				if err != nil {
					errs[w] = err
					return
				}
				added[w] += n
			}
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
	sum := 0
	for _, n := range added {
		sum += n
	}
	c, err := s.CountEvents(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if c != total || sum != total {
		t.Errorf("count = %d, reported new = %d; want %d each", c, sum, total)
	}
}

func testEventsPrune(t *testing.T, s store.Store) {
	evs := RealEvents(t)
	if _, err := s.AppendEvents(ctx, evs); err != nil {
		t.Fatal(err)
	}
	times := make([]time.Time, len(evs))
	for i, e := range evs {
		times[i] = e.Time
	}
	sort.Slice(times, func(i, j int) bool { return times[i].Before(times[j]) })
	cut := times[len(times)/2]
	older := 0
	for _, e := range evs {
		if e.Time.Before(cut) {
			older++
		}
	}
	n, err := s.PruneEvents(ctx, cut, 0)
	if err != nil || n != int64(older) {
		t.Fatalf("prune by age = %d, %v; want %d", n, err, older)
	}
	left := int64(len(evs) - older)
	n, err = s.PruneEvents(ctx, time.Time{}, 5)
	if err != nil || n != left-5 {
		t.Fatalf("prune to 5 = %d, %v; want %d", n, err, left-5)
	}
	// The five kept are the last appended.
	got, err := s.QueryEvents(ctx, store.EventQuery{})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]bool{}
	for _, e := range evs[len(evs)-5:] {
		want[e.ID] = true
	}
	for _, e := range got {
		if !want[e.ID] {
			t.Errorf("kept %s, not one of the newest five", e.ID)
		}
	}
	if len(got) != 5 {
		t.Errorf("%d events left, want 5", len(got))
	}
}

func testAlerts(t *testing.T, s store.Store) {
	t0 := time.Date(2026, 11, 29, 6, 18, 31, 913414000, time.UTC)
	a := store.Alert{ID: "a1", Time: t0, Rule: "impossible-travel", Account: "dr.smith", Severity: 4,
		Summary: "login from two countries", EventIDs: []string{"lab:3", "lab:9"},
		Data: []byte(`{"rule":"impossible-travel","evidence":{"reads":[{"uids":"1:6","exact":true}]}}`)}
	b := store.Alert{ID: "a2", Time: t0.Add(time.Minute), Rule: "bulk-read", Account: "dr.smith", Severity: 5, IncidentID: "i1"}
	c := store.Alert{ID: "a3", Time: t0.Add(-time.Minute), Rule: "spray", Account: "nurse.jones", Severity: 3}
	for _, x := range []store.Alert{a, b, c} {
		if err := s.PutAlert(ctx, x); err != nil {
			t.Fatal(err)
		}
	}
	got, err := s.Alert(ctx, "a1")
	if err != nil || !reflect.DeepEqual(got, a) {
		t.Errorf("Alert(a1) = %+v, %v; want %+v", got, err, a)
	}
	a.IncidentID = "i1"
	if err := s.PutAlert(ctx, a); err != nil {
		t.Fatal(err)
	}
	list, err := s.QueryAlerts(ctx, store.AlertQuery{IncidentID: "i1"})
	if err != nil || len(list) != 2 || list[0].ID != "a1" || list[1].ID != "a2" {
		t.Errorf("alerts of i1 = %+v, %v", list, err)
	}
	list, err = s.QueryAlerts(ctx, store.AlertQuery{Account: "dr.smith", Since: t0.Add(time.Second)})
	if err != nil || len(list) != 1 || list[0].ID != "a2" {
		t.Errorf("alerts since = %+v, %v", list, err)
	}
	if _, err := s.Alert(ctx, "missing"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("missing alert: %v, want ErrNotFound", err)
	}
}

func testIncidents(t *testing.T, s store.Store) {
	t0 := time.Date(2026, 11, 29, 6, 0, 0, 0, time.UTC)
	i1 := store.Incident{ID: "i1", Opened: t0, Updated: t0, Status: store.IncidentOpen, Title: "dr.smith compromised", Accounts: []string{"dr.smith"},
		Data: []byte(`{"rules":["session-read"]}`)}
	i2 := store.Incident{ID: "i2", Opened: t0.Add(time.Hour), Updated: t0.Add(time.Hour), Status: store.IncidentOpen, Title: "spray"}
	for _, x := range []store.Incident{i1, i2} {
		if err := s.PutIncident(ctx, x); err != nil {
			t.Fatal(err)
		}
	}
	i1.Status, i1.Updated = store.IncidentClosed, t0.Add(2*time.Hour)
	if err := s.PutIncident(ctx, i1); err != nil {
		t.Fatal(err)
	}
	got, err := s.Incident(ctx, "i1")
	if err != nil || !reflect.DeepEqual(got, i1) {
		t.Errorf("Incident(i1) = %+v, %v; want %+v", got, err, i1)
	}
	all, err := s.ListIncidents(ctx, "")
	if err != nil || len(all) != 2 || all[0].ID != "i2" {
		t.Errorf("all incidents = %+v, %v; want i2 first", all, err)
	}
	open, err := s.ListIncidents(ctx, store.IncidentOpen)
	if err != nil || len(open) != 1 || open[0].ID != "i2" {
		t.Errorf("open incidents = %+v, %v", open, err)
	}
	if _, err := s.Incident(ctx, "nope"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("missing incident: %v", err)
	}
}

func testCheckpoints(t *testing.T, s store.Store) {
	t0 := time.Date(2026, 11, 29, 6, 0, 0, 0, time.UTC)
	c1 := store.Checkpoint{Source: "mail", Key: "2049-1234-ab", Offset: 100, Meta: []byte(`{"path":"/var/log/mail.log"}`), Updated: t0}
	c2 := store.Checkpoint{Source: "mail", Key: "2049-1300-cd", Offset: 7, Updated: t0}
	other := store.Checkpoint{Source: "other", Key: "x", Offset: 1, Updated: t0}
	for _, c := range []store.Checkpoint{c2, c1, other} {
		if err := s.SaveCheckpoint(ctx, c); err != nil {
			t.Fatal(err)
		}
	}
	c1.Offset, c1.Updated = 5000, t0.Add(time.Second)
	if err := s.SaveCheckpoint(ctx, c1); err != nil {
		t.Fatal(err)
	}
	got, err := s.Checkpoints(ctx, "mail")
	if err != nil || !reflect.DeepEqual(got, []store.Checkpoint{c1, c2}) {
		t.Errorf("checkpoints = %+v, %v", got, err)
	}
	if err := s.DeleteCheckpoint(ctx, "mail", c2.Key); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteCheckpoint(ctx, "mail", "absent"); err != nil {
		t.Errorf("deleting an absent checkpoint: %v", err)
	}
	got, err = s.Checkpoints(ctx, "mail")
	if err != nil || len(got) != 1 || got[0].Key != c1.Key {
		t.Errorf("after delete = %+v, %v", got, err)
	}
}

func testBaselines(t *testing.T, s store.Store) {
	blob := []byte{0, 1, 2, 0xff, 'x'}
	for _, acct := range []string{"nurse.jones", "dr.smith"} {
		if err := s.PutBaseline(ctx, "logins", acct, blob); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.PutBaseline(ctx, "logins", "dr.smith", []byte("v2")); err != nil {
		t.Fatal(err)
	}
	got, err := s.Baseline(ctx, "logins", "dr.smith")
	if err != nil || string(got) != "v2" {
		t.Errorf("baseline = %q, %v", got, err)
	}
	got, err = s.Baseline(ctx, "logins", "nurse.jones")
	if err != nil || !reflect.DeepEqual(got, blob) {
		t.Errorf("binary baseline = %v, %v", got, err)
	}
	if _, err := s.Baseline(ctx, "reads", "dr.smith"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("missing baseline: %v", err)
	}
	accts, err := s.BaselineAccounts(ctx, "logins")
	if err != nil || !reflect.DeepEqual(accts, []string{"dr.smith", "nurse.jones"}) {
		t.Errorf("accounts = %v, %v", accts, err)
	}
	// Many at once: new ones added, an existing one replaced, other kinds untouched.
	many := map[string][]byte{"dr.smith": []byte("v3")}
	for i := range 500 {
		many[fmt.Sprintf("u%04d", i)] = []byte(fmt.Sprintf("blob %d", i))
	}
	if err := s.PutBaselines(ctx, "logins", many); err != nil {
		t.Fatal(err)
	}
	accts, err = s.BaselineAccounts(ctx, "logins")
	if err != nil || len(accts) != 502 {
		t.Errorf("after PutBaselines: %d accounts, %v; want 502", len(accts), err)
	}
	for acct, want := range many { // several multi-row statements' worth
		got, err := s.Baseline(ctx, "logins", acct)
		if err != nil || string(got) != string(want) {
			t.Errorf("%s = %q, %v; want %q", acct, got, err, want)
		}
	}
	if got, err := s.Baseline(ctx, "logins", "nurse.jones"); err != nil || !reflect.DeepEqual(got, blob) {
		t.Errorf("nurse.jones after PutBaselines = %v, %v", got, err)
	}
}

// testDetectBaselines runs the lab log through a detection engine whose
// baselines live in the store and one whose baselines live in memory: the
// store must give back exactly what the engine learned, and an engine opened
// later over the same store must start from it.
func testDetectBaselines(t *testing.T, s store.Store) {
	evs := RealEvents(t)
	run := func(bs detect.BaselineStore) {
		eng, err := detect.New(detect.Options{Baselines: bs})
		if err != nil {
			t.Fatal(err)
		}
		for _, se := range evs {
			var ev event.Event
			if err := ev.UnmarshalJSON(se.Data); err != nil {
				t.Fatal(err)
			}
			if err := eng.Process(&ev, func(*alert.Alert) {}); err != nil {
				t.Fatal(err)
			}
		}
		if err := eng.Flush(func(*alert.Alert) {}); err != nil {
			t.Fatal(err)
		}
	}
	sb := detect.NewStoreBaselines(s)
	mem := detect.NewMemoryStore()
	run(sb)
	run(mem)
	want, err := mem.List()
	if err != nil || len(want) == 0 {
		t.Fatalf("engine learned no baselines: %v %v", want, err)
	}
	got, err := sb.List()
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Fatalf("accounts in the store = %v, %v; want %v", got, err, want)
	}
	for _, acct := range want {
		g, err := sb.Load(acct)
		if err != nil {
			t.Fatal(err)
		}
		w, _ := mem.Load(acct)
		if !reflect.DeepEqual(g, w) {
			t.Errorf("%s: stored baseline %+v, learned %+v", acct, g, w)
		}
		if g.ActiveDays == 0 {
			t.Errorf("%s: baseline has no active day", acct)
		}
	}
	if _, err := sb.Load("nobody"); !errors.Is(err, detect.ErrNoBaseline) {
		t.Errorf("missing account: %v, want ErrNoBaseline", err)
	}
	// Once listed, a StoreBaselines answers for unlisted accounts itself:
	// what it saves since must load back, one at a time or in a batch.
	sb2 := detect.NewStoreBaselines(s)
	if _, err := sb2.List(); err != nil {
		t.Fatal(err)
	}
	if _, err := sb2.Load(want[0]); err != nil {
		t.Errorf("listed account %s: %v", want[0], err)
	}
	if err := sb2.Save("newcomer", &detect.Baseline{ActiveDays: 1}); err != nil {
		t.Fatal(err)
	}
	if err := sb2.SaveAll(map[string]*detect.Baseline{"batched": {ActiveDays: 2}}); err != nil {
		t.Fatal(err)
	}
	for acct, days := range map[string]int{"newcomer": 1, "batched": 2} {
		if g, err := sb2.Load(acct); err != nil || g.ActiveDays != days {
			t.Errorf("%s saved after List: %+v, %v", acct, g, err)
		}
	}
	if _, err := sb2.Load("nobody"); !errors.Is(err, detect.ErrNoBaseline) {
		t.Errorf("missing account after List: %v, want ErrNoBaseline", err)
	}
	// Learning the same log again over the stored baselines (a restart that
	// replays) must load them: the count of active days does not double,
	// and the blobs stay those of one pass.
	run(sb)
	for _, acct := range want {
		g, _ := sb.Load(acct)
		w, _ := mem.Load(acct)
		if g.ActiveDays != w.ActiveDays || g.FirstDay != w.FirstDay {
			t.Errorf("%s after a second engine: active days %d first day %d, want %d %d", acct, g.ActiveDays, g.FirstDay, w.ActiveDays, w.FirstDay)
		}
	}
}

func testInventoryFindings(t *testing.T, s store.Store) {
	t0 := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	inv := store.Inventory{Host: "mail1", Taken: t0, Packages: []store.Package{
		{Name: "dovecot-core", Version: "1:2.3.19.1+dfsg1-2.1+deb12u1", Ecosystem: "Debian:12"},
		{Name: "postfix", Version: "3.7.11-0+deb12u1", Ecosystem: "Debian:12"},
	}}
	if err := s.PutInventory(ctx, inv); err != nil {
		t.Fatal(err)
	}
	inv.Packages = inv.Packages[:1]
	if err := s.PutInventory(ctx, inv); err != nil {
		t.Fatal(err)
	}
	got, err := s.Inventory(ctx, "mail1")
	if err != nil || !reflect.DeepEqual(got, inv) {
		t.Errorf("inventory = %+v, %v", got, err)
	}
	// Source package, its version and the install time come back too.
	withSrc := store.Inventory{Host: "mail3", Taken: t0, Packages: []store.Package{
		{Name: "libssl3", Version: "3.0.15-1~deb12u1", Ecosystem: "Debian:12", Source: "openssl", SourceVersion: "3.0.15-1~deb12u1",
			InstalledAt: t0.Add(-48 * time.Hour)},
	}}
	if err := s.PutInventory(ctx, withSrc); err != nil {
		t.Fatal(err)
	}
	if got, err := s.Inventory(ctx, "mail3"); err != nil || !reflect.DeepEqual(got, withSrc) {
		t.Errorf("inventory with source = %+v, %v", got, err)
	}
	if _, err := s.Inventory(ctx, "mail2"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("missing inventory: %v", err)
	}
	fs := []store.Finding{
		{Host: "mail1", Package: "postfix", Version: "3.7.11", Vuln: "CVE-2023-51764", Fixed: "3.7.10", Found: t0},
		{Host: "mail1", Package: "dovecot-core", Version: "2.3.19.1", Vuln: "CVE-2024-23185", Fixed: "2.3.21.1", KEV: true, Found: t0},
	}
	if err := s.ReplaceFindings(ctx, "mail1", fs); err != nil {
		t.Fatal(err)
	}
	got2, err := s.HostFindings(ctx, "mail1")
	if err != nil || !reflect.DeepEqual(got2, []store.Finding{fs[1], fs[0]}) {
		t.Errorf("findings = %+v, %v", got2, err)
	}
	if err := s.ReplaceFindings(ctx, "mail1", fs[:1]); err != nil {
		t.Fatal(err)
	}
	got2, err = s.HostFindings(ctx, "mail1")
	if err != nil || len(got2) != 1 || got2[0].Vuln != "CVE-2023-51764" {
		t.Errorf("replaced findings = %+v, %v", got2, err)
	}
}
