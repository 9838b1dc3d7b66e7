package exposure

import (
	"errors"
	"fmt"
	"io"
	"net/netip"
	"sort"
	"time"

	"github.com/vigilhq/vigil/internal/event"
	"github.com/vigilhq/vigil/internal/parse"
)

// Window is whose access to look for: an account, from one source address,
// between two times (inclusive).
type Window struct {
	Account  string
	Source   netip.Addr
	From, To time.Time
}

// MessageRef names one message in a mailbox by UID.
type MessageRef struct {
	Mailbox string
	UID     uint32
}

// Access is what the logs say the window's sessions read.
type Access struct {
	// Opened are the messages Dovecot's mail_opened events name.
	Opened map[MessageRef]bool
	// Sessions is the number of logins of the account from the source in the
	// window; BodyCount and Retrieved are the bodies their logouts report
	// fetched (IMAP body_count, POP3 retr), repeats included.
	Sessions  int
	BodyCount int64
	Retrieved int64
	Events    int // mail_opened events matched
	// LineErrors counts log lines that could not be read (not an error: the
	// rest of the log is still used).
	LineErrors int
}

// ReadAccess reads Dovecot logs (main/info log with the event exporter's
// lines, or the exporter's HTTP JSON lines; plain or gzip) and collects the
// window's access. loc is the zone of timestamps that carry none.
func ReadAccess(paths []string, w Window, loc *time.Location) (*Access, error) {
	a := &Access{Opened: map[MessageRef]bool{}}
	sessions := map[string]bool{} // session IDs of the window's logins
	type logoff struct {
		session string
		counts  event.Counts
	}
	var logoffs []logoff
	type opened struct {
		ref     MessageRef
		session string
		ip      netip.Addr
	}
	var opens []opened
	for _, p := range paths {
		rc, mtime, err := parse.Open(p)
		if err != nil {
			return nil, fmt.Errorf("exposure: %w", err)
		}
		dec, err := parse.NewDecoder(parse.Options{Format: "dovecot", Location: loc, Reference: mtime})
		if err != nil {
			_ = rc.Close()
			return nil, fmt.Errorf("exposure: %w", err)
		}
		lr := parse.NewLineReader(rc)
		var ev event.Event
		for {
			line, _, err := lr.Next()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				var le *parse.LineError
				if errors.As(err, &le) {
					a.LineErrors++
					continue
				}
				_ = rc.Close()
				return nil, fmt.Errorf("exposure: %s: %w", p, err)
			}
			if _, err := dec.Decode(string(line), &ev); err != nil {
				if errors.Is(err, parse.ErrUnparsed) {
					a.LineErrors++
				}
				continue
			}
			if ev.User != w.Account || ev.Time.Before(w.From) || ev.Time.After(w.To) {
				continue
			}
			switch {
			case ev.Class == event.ClassDatastore && ev.Activity == event.APIRead:
				// The exporter's logged form carries the session but not
				// always the address: match either.
				opens = append(opens, opened{MessageRef{ev.Mailbox, ev.UID}, ev.Session, ev.Src.IP.Unmap()})
			case ev.Class == event.ClassAuthentication && ev.Activity == event.Logon && ev.Status == event.Success:
				if ev.Src.IP.Unmap() == w.Source && ev.Session != "" && !sessions[ev.Session] {
					sessions[ev.Session] = true
					a.Sessions++
				}
			case ev.Class == event.ClassAuthentication && ev.Activity == event.Logoff:
				logoffs = append(logoffs, logoff{ev.Session, ev.Counts})
			}
		}
		if err := rc.Close(); err != nil {
			return nil, fmt.Errorf("exposure: %s: %w", p, err)
		}
	}
	for _, o := range opens {
		if o.ip == w.Source || (!o.ip.IsValid() && o.session != "" && sessions[o.session]) {
			a.Opened[o.ref] = true
			a.Events++
		}
	}
	for _, l := range logoffs {
		if sessions[l.session] {
			a.BodyCount += l.counts.BodyCount
			a.Retrieved += l.counts.RetrCount
		}
	}
	return a, nil
}

// Refs returns the opened messages in order.
func (a *Access) Refs() []MessageRef {
	out := make([]MessageRef, 0, len(a.Opened))
	for r := range a.Opened {
		out = append(out, r)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Mailbox != out[j].Mailbox {
			return out[i].Mailbox < out[j].Mailbox
		}
		return out[i].UID < out[j].UID
	})
	return out
}
