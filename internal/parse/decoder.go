// Package parse turns one line of a mail server's log into one normalized
// event.Event. It knows the line prefixes mail servers write (syslog RFC 3164
// and 5424, ISO 8601, TAI64N, Roundcube's own) and has one parser per log
// format, registered in registry.go, chosen per line by autodetection or fixed
// by the caller.
//
// The package must not read files it was not handed, keep state between lines
// beyond what a line needs (Dovecot's sessions are joined later, by detection),
// or log: it reports what it could not understand as a *LineError, whose reason
// never quotes the line, because lines hold user names and addresses.
package parse

import (
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/vigilhq/vigil/internal/event"
)

// MaxLineBytes is the longest line a parser will look at.
const MaxLineBytes = 1 << 20

// Parser reads one log format. Implementations live one per file and are
// listed in registry.go.
type Parser interface {
	// Name is the format name users pass to --format.
	Name() string
	// Claims reports whether the line with this header is in the parser's
	// format. It must be cheap: it runs on every line under autodetection.
	Claims(h *Header) bool
	// Parse fills ev from the line. It returns a *LineError (ErrIgnored or
	// ErrUnparsed) when the line yields no event.
	Parse(h *Header, ev *event.Event) error
}

// Options configure a Decoder. The zero value autodetects formats, reads
// zone-less timestamps as local time and infers missing years from now.
type Options struct {
	// Format fixes the format ("dovecot", "postfix", …); "" or "auto" detects
	// it per line. A format also accepts the formats of its family (the
	// Dovecot exporter's JSON inside a Dovecot log, for "dovecot").
	Format string
	// Location is the zone of timestamps that carry none. Default: time.Local.
	Location *time.Location
	// Reference is the time a syslog timestamp without a year is placed
	// before: the log file's modification time, or now. Default: time.Now().
	Reference time.Time
}

// Decoder decodes lines. It is not safe for concurrent use; make one per
// goroutine (they are cheap).
type Decoder struct {
	loc       *time.Location
	reference time.Time
	zones     fixedZones
	parsers   []Parser
	// h is the current line's header, kept here so that handing it to the
	// parsers' interface methods does not allocate one per line.
	h Header
}

// NewDecoder returns a Decoder for opts; the error wraps ErrUnknownFormat.
func NewDecoder(opts Options) (*Decoder, error) {
	d := &Decoder{loc: opts.Location, reference: opts.Reference, zones: fixedZones{}}
	if d.loc == nil {
		d.loc = time.Local
	}
	if d.reference.IsZero() {
		d.reference = time.Now()
	}
	all := newParsers()
	if opts.Format == "" || opts.Format == "auto" {
		d.parsers = all
		return d, nil
	}
	for _, p := range all {
		if p.Name() == opts.Format || family(p) == opts.Format {
			d.parsers = append(d.parsers, p)
		}
	}
	if len(d.parsers) == 0 {
		return nil, fmt.Errorf("%w %q (known: %s)", ErrUnknownFormat, opts.Format, strings.Join(Formats(), ", "))
	}
	return d, nil
}

// SetReference changes the time that year-less timestamps are placed before,
// for a new file.
func (d *Decoder) SetReference(t time.Time) { d.reference = t }

// familied is implemented by parsers that belong to a wider format.
type familied interface{ Family() string }

func family(p Parser) string {
	if f, ok := p.(familied); ok {
		return f.Family()
	}
	return p.Name()
}

// Formats lists the format names the registry knows.
func Formats() []string {
	var names []string
	for _, p := range newParsers() {
		names = append(names, p.Name())
	}
	return names
}

// Decode fills ev from line and returns the name of the format that read it
// ("" when none did). ev is reset first. A line that yields no event returns a
// *LineError. The caller sets ev.LogName and ev.LogLine.
func (d *Decoder) Decode(line string, ev *event.Event) (string, error) {
	ev.Reset()
	if len(line) > MaxLineBytes {
		return "", errTooLong
	}
	if !utf8.ValidString(line) {
		return "", errInvalidUTF8
	}
	line = strings.TrimRight(line, "\r\n")
	if strings.TrimSpace(line) == "" {
		return "", errEmpty
	}
	h := &d.h
	*h = Header{}
	if !d.header(line, h) {
		return "", errBadTime
	}
	for _, p := range d.parsers {
		if !p.Claims(h) {
			continue
		}
		if err := p.Parse(h, ev); err != nil {
			return p.Name(), err
		}
		if ev.Time.IsZero() && h.HasTime {
			ev.Time = h.Time
		}
		ev.Time = ev.Time.UTC()
		if ev.Host == "" {
			ev.Host = h.Host
		}
		return p.Name(), nil
	}
	return "", errNoFormat
}
