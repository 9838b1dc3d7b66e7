package detect

import (
	"net/netip"
	"slices"
	"time"

	"github.com/vigilhq/vigil/internal/event"
)

// Detector is one detection, in its own file. It implements any of the
// observer interfaces below; the engine calls those it implements.
type Detector interface {
	// Name is the rule name its alerts carry (or their common prefix).
	Name() string
}

// FailureObserver sees each failed login attempt once.
type FailureObserver interface {
	Failure(c Ctx, f Failure)
}

// LoginObserver sees each successful login (a new session, or a webmail login).
type LoginObserver interface {
	Login(c Ctx, s *Session)
}

// ReadObserver sees each message a session opens (mail_opened).
type ReadObserver interface {
	Read(c Ctx, s *Session, ev *event.Event)
}

// EndObserver sees each session end (logout, idle timeout, end of input).
type EndObserver interface {
	End(c Ctx, s *Session)
}

// CommandObserver sees each finished IMAP command of a session (the event
// exporter's imap_command_finished), after the session join has recorded it.
type CommandObserver interface {
	Command(c Ctx, s *Session, ev *event.Event)
}

// MailObserver sees each MTA event (Postfix submission, queue and delivery
// lines: event.ClassEmail).
type MailObserver interface {
	Mail(c Ctx, ev *event.Event)
}

// Sweeper drops state older than its windows; the engine calls it hourly
// (event time), so that a long-running daemon's memory stays bounded.
type Sweeper interface {
	Sweep(now time.Time)
}

// Registry lists every detector. A new detector is one file and one line here.
func Registry() []Detector {
	return []Detector{
		newBruteForce(),
		newSpray(),
		newGuessed(),
		newNetwork{},
		newTravel(),
		newConcurrent(),
		newService{},
		newMassRead(),
		newSlowExfil(),
		newManyMailboxes(),
		mailboxDownload{},
		newBulkSender(),
		sessionReport{},
	}
}

var (
	_ FailureObserver = (*bruteForce)(nil)
	_ FailureObserver = (*spray)(nil)
	_ FailureObserver = (*guessed)(nil)
	_ LoginObserver   = (*guessed)(nil)
	_ LoginObserver   = newNetwork{}
	_ LoginObserver   = (*travel)(nil)
	_ LoginObserver   = (*concurrent)(nil)
	_ EndObserver     = (*concurrent)(nil)
	_ LoginObserver   = newService{}
	_ ReadObserver    = (*massRead)(nil)
	_ EndObserver     = (*massRead)(nil)
	_ EndObserver     = (*slowExfil)(nil)
	_ ReadObserver    = (*manyMailboxes)(nil)
	_ EndObserver     = (*manyMailboxes)(nil)
	_ CommandObserver = mailboxDownload{}
	_ EndObserver     = mailboxDownload{}
	_ MailObserver    = (*bulkSender)(nil)
	_ Sweeper         = (*bulkSender)(nil)
	_ EndObserver     = sessionReport{}
	_ Sweeper         = (*bruteForce)(nil)
	_ Sweeper         = (*spray)(nil)
	_ Sweeper         = (*guessed)(nil)
	_ Sweeper         = (*massRead)(nil)
	_ Sweeper         = (*slowExfil)(nil)
	_ Sweeper         = (*manyMailboxes)(nil)
	_ Sweeper         = (*travel)(nil)
)

// sweepWindows drops windows whose last occurrence is older than keep.
func sweepWindows[K comparable](m map[K]*window, now time.Time, keep time.Duration) {
	for k, w := range m {
		if len(w.ts) == 0 || now.Sub(w.ts[len(w.ts)-1]) > keep {
			delete(m, k)
		}
	}
}

// sweepDistinct drops sets whose every member is older than keep.
func sweepDistinct[K comparable](m map[K]*distinct, now time.Time, keep time.Duration) {
	for k, d := range m {
		d.prune(now, keep)
		if d.len() == 0 {
			delete(m, k)
		}
	}
}

// window counts occurrences within a sliding time window.
type window struct{ ts []time.Time }

// add records t and returns how many occurrences lie within w before it.
func (x *window) add(t time.Time, w time.Duration) int {
	x.ts = append(x.ts, t)
	return x.count(t, w)
}

func (x *window) count(t time.Time, w time.Duration) int {
	i := 0
	for i < len(x.ts) && t.Sub(x.ts[i]) > w {
		i++
	}
	if i > 0 {
		x.ts = append(x.ts[:0], x.ts[i:]...)
	}
	return len(x.ts)
}

// distinct counts distinct keys seen within a sliding window. oldest is a
// lower bound of the times held: while it is within the window nothing can
// have left it, so add need not scan (a source seen by thousands of
// accounts would otherwise cost a scan of all of them per event).
type distinct struct {
	seen   map[string]time.Time
	oldest time.Time
}

func newDistinct() *distinct { return &distinct{seen: map[string]time.Time{}} }

func (d *distinct) add(k string, t time.Time, w time.Duration) int {
	if len(d.seen) == 0 || t.Before(d.oldest) {
		d.oldest = t
	}
	d.seen[k] = t
	d.prune(t, w)
	return len(d.seen)
}

// prune drops keys last seen more than w before now.
func (d *distinct) prune(now time.Time, w time.Duration) {
	if now.Sub(d.oldest) <= w {
		return
	}
	first := true
	for k, at := range d.seen {
		switch {
		case now.Sub(at) > w:
			delete(d.seen, k)
		case first || at.Before(d.oldest):
			d.oldest, first = at, false
		}
	}
}

func (d *distinct) len() int { return len(d.seen) }

func (d *distinct) keys() []string {
	out := make([]string, 0, len(d.seen))
	for k := range d.seen {
		out = append(out, k)
	}
	sortStrings(out)
	return out
}

func ipString(a netip.Addr) string {
	if !a.IsValid() {
		return ""
	}
	return a.String()
}

// direct reports whether a protocol reads the mailbox from the client's own
// machine (rather than through the clinic's webmail).
func direct(service string) bool { return service == "imap" || service == "pop3" }

func sortStrings(s []string) { slices.Sort(s) }
