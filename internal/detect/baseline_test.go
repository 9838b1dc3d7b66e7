package detect

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/vigilhq/vigil/internal/alert"
	"github.com/vigilhq/vigil/internal/event"
)

// fullBaseline is a baseline with every list at its cap and the longest values.
func fullBaseline(t testing.TB, e *Engine) *Baseline {
	t.Helper()
	b := &Baseline{FirstDay: 20000, LastDay: 20500, ActiveDays: 400, Services: 0x3f, Hours: 0xffffff,
		MaxSession: 1 << 30, MaxDay: 1 << 30, MaxOld: 1 << 30, MaxBytes: 1 << 62, Day: 20500, DayRead: 1 << 30}
	for i := 0; i < 100; i++ {
		e.addNet(b, netOf(netip.MustParseAddr(fmt.Sprintf("2001:db8:%x::1", 0xf000+i))), int32(20000+i))
		if !b.HasASN(uint32(4000000000 + i)) {
			b.ASNs = appendCapped(b.ASNs, uint32(4000000000+i), maxASNs)
		}
		b.Countries = appendCapped(b.Countries, fmt.Sprintf("C%d", i%10), maxCountries)
		b.Owners = appendCapped(b.Owners, strings.Repeat("o", 40)+fmt.Sprint(i), maxOwners)
	}
	return b
}

// A baseline is at most 2 KiB in the file store, whatever the account did.
func TestBaselineSize(t *testing.T) {
	e, err := New(Options{})
	if err != nil {
		t.Fatal(err)
	}
	b := fullBaseline(t, e)
	if len(b.Nets) != maxNets || len(b.ASNs) != maxASNs || len(b.Countries) != maxCountries {
		t.Fatalf("caps not reached: %d nets %d asns %d countries", len(b.Nets), len(b.ASNs), len(b.Countries))
	}
	raw, err := json.Marshal(baselineFile{Account: strings.Repeat("a", 64) + "@clinic.example", Baseline: b})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("largest baseline: %d bytes", len(raw))
	if len(raw) > 2048 {
		t.Fatalf("baseline is %d bytes, want <= 2048", len(raw))
	}
}

func TestFileStore(t *testing.T) {
	dir := t.TempDir()
	st, err := NewFileStore(dir)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.Load("nobody"); !errors.Is(err, ErrNoBaseline) {
		t.Fatalf("load of unknown account: %v", err)
	}
	b := &Baseline{ActiveDays: 9, Countries: []string{"GB"}, Nets: []NetSeen{{netOf(netip.MustParseAddr("127.10.1.10")), 20600}}}
	for _, acct := range []string{"dr.smith", "../../etc/passwd", "a b/c"} {
		if err := st.Save(acct, b); err != nil {
			t.Fatal(err)
		}
		got, err := st.Load(acct)
		if err != nil || got.ActiveDays != 9 || !got.HasCountry("GB") || !got.HasNet(netip.MustParseAddr("127.10.1.200")) {
			t.Fatalf("%q: %+v %v", acct, got, err)
		}
	}
	list, err := st.List()
	if err != nil || len(list) != 3 {
		t.Fatalf("list: %v %v", list, err)
	}
	ents, _ := os.ReadDir(dir)
	for _, e := range ents {
		if strings.HasPrefix(e.Name(), ".") || !strings.HasSuffix(e.Name(), ".json") {
			t.Errorf("stray file %s (atomic write left a temporary?)", e.Name())
		}
	}
	// A restart learns nothing afresh: the engine loads what was saved.
	e, err := New(Options{Baselines: st})
	if err != nil {
		t.Fatal(err)
	}
	if got := (Ctx{e}).Baseline("dr.smith"); got.ActiveDays != 9 {
		t.Fatalf("engine did not load the saved baseline: %+v", got)
	}
	if e.netIndex[netOf(netip.MustParseAddr("127.10.1.1"))] != 3 {
		t.Fatalf("net index: %v", e.netIndex)
	}
}

type failCounter struct{ n map[string]int }

func (failCounter) Name() string                     { return "count" }
func (f failCounter) Failure(_ Ctx, x Failure)       { f.n[x.Src.String()]++ }
func (failCounter) Login(Ctx, *Session)              {}
func (failCounter) Read(Ctx, *Session, *event.Event) {}

// Dovecot writes each wrong password three times (auth process, exporter,
// login process); the engine counts it once.
func TestFailuresCountedOnce(t *testing.T) {
	fc := failCounter{n: map[string]int{}}
	e, err := New(Options{Detectors: []Detector{fc}})
	if err != nil {
		t.Fatal(err)
	}
	feed(t, e, func(*alert.Alert) {}, labLog(t)...)
	if fc.n["127.0.0.3"] != 5 || fc.n["127.0.0.4"] != 4 {
		t.Fatalf("failures counted: %v, want 127.0.0.3: 5, 127.0.0.4: 4", fc.n)
	}
}

func TestIsBodyFetch(t *testing.T) {
	for args, want := range map[string]bool{
		"1:* (UID RFC822.SIZE BODY.PEEK[])":                true,
		"1:* (RFC822)":                                     true,
		"1:* (UID RFC822.SIZE FLAGS)":                      false,
		"1 (BODY.PEEK[HEADER.FIELDS (SUBJECT)])":           false,
		"3 (BODY.PEEK[TEXT])":                              true,
		"1:* (UID FLAGS RFC822.HEADER)":                    false,
		"1:* (UID FLAGS RFC822.HEADER RFC822.SIZE RFC822)": true,
	} {
		if got := isBodyFetch(args); got != want {
			t.Errorf("%q: %v", args, got)
		}
	}
}

// Detector state is swept: after a quiet day nothing is left of a brute force.
func TestSweep(t *testing.T) {
	b := newBruteForce()
	e, err := New(Options{Detectors: []Detector{b}})
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Date(2026, 6, 1, 3, 0, 0, 0, time.UTC)
	for i := 0; i < 20; i++ {
		b.Failure(Ctx{e}, Failure{Time: t0.Add(time.Duration(i) * time.Second), User: fmt.Sprint("u", i), Src: netip.MustParseAddr("127.68.9.9")})
	}
	if len(b.src) != 1 || len(b.acct) != 20 {
		t.Fatalf("state: %d %d", len(b.src), len(b.acct))
	}
	e.sweep(t0.Add(30 * time.Minute))
	if len(b.src) != 1 {
		t.Fatal("swept a window still within the hour")
	}
	e.sweep(t0.Add(25 * time.Hour))
	if len(b.src)+len(b.pair)+len(b.acct) != 0 {
		t.Fatalf("state left after a quiet day: %d %d %d", len(b.src), len(b.pair), len(b.acct))
	}
	d := newDistinct()
	d.add("a", t0, time.Hour)
	d.add("b", t0.Add(50*time.Minute), time.Hour)
	if d.prune(t0.Add(90*time.Minute), time.Hour); d.len() != 1 {
		t.Fatalf("prune: %v", d.seen)
	}
}
