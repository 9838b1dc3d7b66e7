package detect

import (
	"os"
	"strings"
	"testing"
	"time"

	"github.com/vigilhq/vigil/internal/alert"
	"github.com/vigilhq/vigil/internal/event"
	"github.com/vigilhq/vigil/internal/parse"
)

// endRecorder notes the sessions that ended.
type endRecorder struct{ ended *[]string }

func (endRecorder) Name() string                     { return "ends" }
func (r endRecorder) End(_ Ctx, s *Session)          { *r.ended = append(*r.ended, s.ID) }
func (endRecorder) Login(Ctx, *Session)              {}
func (endRecorder) Read(Ctx, *Session, *event.Event) {}

// TestTick runs the lab log without the logout of dr.smith's session from
// 127.0.0.2: the session stays open until a tick comes after session_idle;
// the engine's event time is left as it was.
func TestTick(t *testing.T) {
	path := os.Getenv("VIGIL_SHARED")
	if path == "" {
		path = "../../../shared"
	}
	raw, err := os.ReadFile(path + "/data/dovecot-2.3-lab/dovecot-info.log") //nolint:gosec // G304/G703: test data beside the repository
	if err != nil {
		t.Fatalf("shared data: %v (set VIGIL_SHARED)", err)
	}
	var ended []string
	e, err := New(Options{Detectors: []Detector{endRecorder{&ended}}})
	if err != nil {
		t.Fatal(err)
	}
	dec, _ := parse.NewDecoder(parse.Options{Location: time.UTC})
	var ev event.Event
	const open = "Z5k8Q2Rhtc1/AAAC"
	for _, l := range strings.Split(strings.TrimSpace(string(raw)), "\n") {
		if strings.Contains(l, "<"+open+">: Info: Disconnected") {
			continue // its logout never comes
		}
		if _, err := dec.Decode(l, &ev); err != nil {
			continue
		}
		if err := e.Process(&ev, func(*alert.Alert) {}); err != nil {
			t.Fatal(err)
		}
	}
	has := func(id string) bool {
		for _, x := range ended {
			if x == id {
				return true
			}
		}
		return false
	}
	if has(open) || e.sessions[open] == nil {
		t.Fatalf("session %s ended without a logout or tick (ended: %v)", open, ended)
	}
	last := e.now
	if err := e.Tick(last.Add(time.Hour), nil); err != nil {
		t.Fatal(err)
	}
	if has(open) {
		t.Fatal("a tick an hour later ended a session idle for an hour (session_idle is 12h)")
	}
	if err := e.Tick(last.Add(13*time.Hour), nil); err != nil {
		t.Fatal(err)
	}
	if !has(open) || e.sessions[open] != nil {
		t.Fatalf("a tick 13h later left session %s open (ended: %v)", open, ended)
	}
	if !e.now.Equal(last) {
		t.Errorf("event time moved from %v to %v", last, e.now)
	}
	if b := e.baselines["dr.smith"]; b == nil || !b.dirty || b.MaxSession == 0 {
		t.Errorf("the ended session was not learned: %+v", b)
	}
}
