package exposure

import (
	"errors"
	"fmt"
	"io"
	"net/netip"
	"sort"
	"strconv"
	"strings"
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
	// Fetches are the window's IMAP FETCH commands that read bodies, from
	// imap_command_finished events: the fallback when mail_opened is missing.
	Fetches []Fetch
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
	type fetchAt struct {
		f       Fetch
		session string
		ip      netip.Addr
	}
	var fetches []fetchAt
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
			case ev.Class == event.ClassAPI && (ev.Command == "FETCH" || ev.Command == "UID FETCH") && ev.Status == event.Success:
				set, items, _ := strings.Cut(ev.CommandArgs, " ")
				if readsBody(items) {
					fetches = append(fetches, fetchAt{Fetch{ev.Mailbox, ev.Command == "UID FETCH", set}, ev.Session, ev.Src.IP.Unmap()})
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
	for _, f := range fetches {
		if f.ip == w.Source || (!f.ip.IsValid() && f.session != "" && sessions[f.session]) {
			a.Fetches = append(a.Fetches, f.f)
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

// Fetch is one IMAP FETCH or UID FETCH command that read message bodies.
type Fetch struct {
	Mailbox string
	UID     bool   // UID FETCH: Set holds UIDs; FETCH: sequence numbers
	Set     string // the message set as sent, e.g. "1:*" or "4:5,9"
}

// readsBody reports whether FETCH items fetch message bodies (not only
// headers, flags, sizes or envelopes).
func readsBody(items string) bool {
	u := strings.ToUpper(items)
	for _, s := range []string{"BODY[]", "BODY.PEEK[]", "BODY[TEXT]", "BODY.PEEK[TEXT]", "BINARY[", "BINARY.PEEK["} {
		if strings.Contains(u, s) {
			return true
		}
	}
	for i := 0; ; {
		j := strings.Index(u[i:], "RFC822")
		if j < 0 {
			break
		}
		i += j + 6
		if i >= len(u) || u[i] != '.' || strings.HasPrefix(u[i:], ".TEXT") {
			return true // RFC822 or RFC822.TEXT; not RFC822.SIZE or RFC822.HEADER
		}
	}
	for _, p := range []string{"BODY[", "BODY.PEEK["} { // body parts: BODY[1], BODY[2.1]
		for i := 0; ; {
			j := strings.Index(u[i:], p)
			if j < 0 {
				break
			}
			i += j + len(p)
			if i < len(u) && u[i] >= '1' && u[i] <= '9' {
				return true
			}
		}
	}
	return false
}

// resolveSet turns an IMAP message set into UIDs, given the mailbox's UIDs
// in order (for sequence numbers and "*").
func resolveSet(set string, isUID bool, uids []uint32) []uint32 {
	if len(uids) == 0 {
		return nil
	}
	num := func(s string) (uint32, bool) {
		if s == "*" {
			if isUID {
				return uids[len(uids)-1], true
			}
			return uint32(len(uids)), true //nolint:gosec // a mailbox holds fewer than 2^32 messages
		}
		v, err := strconv.ParseUint(s, 10, 32)
		return uint32(v), err == nil
	}
	var out []uint32
	for _, r := range strings.Split(set, ",") {
		a, b, found := strings.Cut(r, ":")
		lo, ok1 := num(a)
		hi, ok2 := lo, true
		if found {
			hi, ok2 = num(b)
		}
		if !ok1 || !ok2 {
			continue
		}
		if lo > hi {
			lo, hi = hi, lo
		}
		for i, u := range uids {
			key := u
			if !isUID {
				key = uint32(i + 1) //nolint:gosec // as above
			}
			if key >= lo && key <= hi {
				out = append(out, u)
			}
		}
	}
	return out
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
