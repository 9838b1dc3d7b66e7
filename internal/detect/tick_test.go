package detect

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/vigilhq/vigil/internal/alert"
	"github.com/vigilhq/vigil/internal/event"
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
	var ended []string
	e, err := New(Options{Detectors: []Detector{endRecorder{&ended}}})
	if err != nil {
		t.Fatal(err)
	}
	const open = "Z5k8Q2Rhtc1/AAAC"
	lines := slices.DeleteFunc(labLog(t), func(l string) bool {
		return strings.Contains(l, "<"+open+">: Info: Disconnected") // its logout never comes
	})
	feed(t, e, func(*alert.Alert) {}, lines...)
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
