package parse

import (
	"strings"
	"time"
)

// Header is what precedes the message on a log line: a timestamp in one of the
// styles mail servers write, and for syslog the host and the program tag.
type Header struct {
	Time    time.Time
	HasTime bool
	// Zoned is true when the timestamp carried its own zone or is absolute
	// (TAI64N); otherwise the decoder's location was applied.
	Zoned bool
	// Host and Program come from a syslog header; Program has no [pid].
	Host    string
	Program string
	PID     string
	// Style names the prefix style that was recognized.
	Style Style
	// Msg is the rest of the line after the header.
	Msg string
}

// Style is a recognized line-prefix style.
type Style uint8

// Prefix styles.
const (
	StyleNone      Style = iota // no timestamp: an HTTP-posted JSON body, or a bare message
	StyleRFC3164                // "Jan  2 15:04:05" (syslog without year; also Dovecot's default log_timestamp)
	StyleRFC5424                // "<PRI>1 2006-01-02T15:04:05Z host app procid msgid sd msg"
	StyleISO                    // "2006-01-02T15:04:05[.frac][zone]" or with a space for T
	StyleTAI64N                 // "@4000000052c48d3a2f6e0d9c" (daemontools multilog, s6-log)
	StyleRoundcube              // "[02-Jan-2006 15:04:05 +0100]: " (Roundcube's own log files)
)

var monthIndex = [...]string{"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"}

func month(s string) (time.Month, bool) {
	if len(s) < 3 {
		return 0, false
	}
	for i, m := range monthIndex {
		if s[:3] == m {
			return time.Month(i + 1), true
		}
	}
	return 0, false
}

// digits parses exactly n ASCII digits at s[i:].
func digits(s string, i, n int) (int, bool) {
	if i < 0 || i+n > len(s) {
		return 0, false
	}
	v := 0
	for _, c := range []byte(s[i : i+n]) {
		if c < '0' || c > '9' {
			return 0, false
		}
		v = v*10 + int(c-'0')
	}
	return v, true
}

// clock parses "15:04:05" at s[i:].
func clock(s string, i int) (h, m, sec int, ok bool) {
	if i+8 > len(s) || s[i+2] != ':' || s[i+5] != ':' {
		return 0, 0, 0, false
	}
	h, ok1 := digits(s, i, 2)
	m, ok2 := digits(s, i+3, 2)
	sec, ok3 := digits(s, i+6, 2)
	if !ok1 || !ok2 || !ok3 || h > 23 || m > 59 || sec > 60 {
		return 0, 0, 0, false
	}
	if sec == 60 { // a leap second: the log means the last instant of the minute
		sec = 59
	}
	return h, m, sec, true
}

// fraction parses ".123456" at s[i:], returning nanoseconds and the index after it.
func fraction(s string, i int) (int, int) {
	if i >= len(s) || (s[i] != '.' && s[i] != ',') {
		return 0, i
	}
	i++
	ns, scale, start := 0, 100000000, i
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		if i-start < 9 {
			ns += int(s[i]-'0') * scale
			scale /= 10
		}
		i++
	}
	return ns, i
}

// zone parses "Z", "+01:00", "+0100" or "-05" at s[i:], returning the offset
// in seconds, whether a zone was there, and the index after it.
func zone(s string, i int) (int, bool, int) {
	if i >= len(s) {
		return 0, false, i
	}
	switch s[i] {
	case 'Z', 'z':
		return 0, true, i + 1
	case '+', '-':
	default:
		return 0, false, i
	}
	sign := 1
	if s[i] == '-' {
		sign = -1
	}
	h, ok := digits(s, i+1, 2)
	if !ok || h > 14 {
		return 0, false, i
	}
	j := i + 3
	m := 0
	if j < len(s) && s[j] == ':' {
		if mm, ok := digits(s, j+1, 2); ok {
			m, j = mm, j+3
		}
	} else if mm, ok := digits(s, j, 2); ok {
		m, j = mm, j+2
	}
	if m > 59 {
		return 0, false, i
	}
	return sign * (h*3600 + m*60), true, j
}

// fixedZones caches the zones made for numeric offsets, so a log in "+0200"
// does not allocate a *time.Location per line.
type fixedZones map[int]*time.Location

func (z fixedZones) get(off int) *time.Location {
	if off == 0 {
		return time.UTC
	}
	if l, ok := z[off]; ok {
		return l
	}
	l := time.FixedZone("", off)
	if len(z) < 64 {
		z[off] = l
	}
	return l
}

// header splits a line into its Header. It never fails: a line with no
// recognizable timestamp has Style StyleNone and Msg holding all of it. It
// returns false only for a timestamp that starts right but is malformed.
func (d *Decoder) header(line string, h *Header) bool {
	s := line
	// <PRI> of a raw syslog message.
	if len(s) > 2 && s[0] == '<' {
		if j := strings.IndexByte(s[:min(len(s), 5)], '>'); j > 1 {
			if _, ok := digits(s, 1, j-1); ok {
				s = s[j+1:]
				if len(s) > 2 && s[0] == '1' && s[1] == ' ' {
					return d.rfc5424(s[2:], h)
				}
			}
		}
	}
	switch {
	case len(s) > 0 && s[0] == '@':
		rest, ok := d.tai64n(s, h)
		if !ok {
			return false
		}
		s = rest
	case len(s) > 0 && s[0] == '[':
		rest, ok := d.roundcubeTime(s, h)
		if !ok {
			// Not a timestamp: leave the line to the parsers.
			h.Msg = s
			return true
		}
		h.Msg = rest
		return true
	case len(s) >= 19 && s[4] == '-' && s[0] >= '0' && s[0] <= '9':
		rest, ok := d.iso(s, h)
		if !ok {
			return false
		}
		s = rest
	case len(s) >= 15 && s[3] == ' ':
		if _, isMonth := month(s); isMonth {
			rest, ok := d.rfc3164(s, h)
			if !ok {
				return false
			}
			s = rest
		}
	}
	d.tag(s, h)
	return true
}

// tag reads an optional "host program[pid]: " after the timestamp.
func (d *Decoder) tag(s string, h *Header) {
	h.Msg = s
	if !h.HasTime {
		return
	}
	t1, rest1, ok := cutSpace(s)
	if !ok {
		return
	}
	if prog, pid, ok := syslogTag(t1); ok {
		h.Program, h.PID, h.Msg = prog, pid, rest1
		return
	}
	if !hostLike(t1) {
		return
	}
	t2, rest2, ok := cutSpace(rest1)
	if !ok {
		return
	}
	if prog, pid, ok := syslogTag(t2); ok {
		h.Host, h.Program, h.PID, h.Msg = t1, prog, pid, rest2
	}
}

// cutSpace splits s at its first space.
func cutSpace(s string) (string, string, bool) {
	i := strings.IndexByte(s, ' ')
	if i <= 0 {
		return "", "", false
	}
	return s[:i], s[i+1:], true
}

// syslogTag accepts "name:" and "name[123]:" where name is [A-Za-z0-9_./-]+.
func syslogTag(t string) (prog, pid string, ok bool) {
	if len(t) < 2 || t[len(t)-1] != ':' {
		return "", "", false
	}
	t = t[:len(t)-1]
	if j := strings.IndexByte(t, '['); j > 0 {
		if t[len(t)-1] != ']' {
			return "", "", false
		}
		pid = t[j+1 : len(t)-1]
		if _, ok := digits(pid, 0, len(pid)); !ok || pid == "" {
			return "", "", false
		}
		t = t[:j]
	}
	for _, c := range []byte(t) {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '.' || c == '-' || c == '/') {
			return "", "", false
		}
	}
	return t, pid, true
}

// hostLike accepts a syslog HOSTNAME: a name or an address, nothing with
// brackets, parentheses or a trailing colon.
func hostLike(t string) bool {
	if t == "" || t[len(t)-1] == ':' {
		return false
	}
	for _, c := range []byte(t) {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '.' || c == '-' || c == ':') {
			return false
		}
	}
	return true
}

// rfc3164 reads "Jan  2 15:04:05 " (day space- or zero-padded, or unpadded),
// inferring the year: the one of the reference time, or the year before when
// that would put the line more than a day after the reference (a log written
// in December and read in January).
func (d *Decoder) rfc3164(s string, h *Header) (string, bool) {
	mon, _ := month(s)
	i := 4
	if s[i] == ' ' {
		i++
	}
	day, ok := digits(s, i, 2)
	if ok {
		i += 2
	} else if day, ok = digits(s, i, 1); ok {
		i++
	} else {
		return "", false
	}
	if i >= len(s) || s[i] != ' ' || day < 1 || day > 31 {
		return "", false
	}
	hh, mm, ss, ok := clock(s, i+1)
	if !ok {
		return "", false
	}
	i += 9
	ns, i := fraction(s, i)
	ref := d.reference.In(d.loc)
	y := ref.Year()
	t := time.Date(y, mon, day, hh, mm, ss, ns, d.loc)
	if t.Sub(ref) > 24*time.Hour {
		y--
	}
	// Feb 29 belongs to the latest leap year not after the reference.
	for range 8 {
		if t = time.Date(y, mon, day, hh, mm, ss, ns, d.loc); t.Day() == day {
			break
		}
		y--
	}
	if t.Day() != day {
		return "", false
	}
	h.Time, h.HasTime, h.Style = t, true, StyleRFC3164
	return skipSpace(s, i)
}

func skipSpace(s string, i int) (string, bool) {
	if i < len(s) && s[i] != ' ' {
		return "", false
	}
	for i < len(s) && s[i] == ' ' {
		i++
	}
	return s[i:], true
}

// iso reads "2006-01-02T15:04:05[.frac][zone] " or with a space for the T.
func (d *Decoder) iso(s string, h *Header) (string, bool) {
	t, i, zoned, ok := d.isoTime(s)
	if !ok {
		return "", false
	}
	h.Time, h.HasTime, h.Zoned, h.Style = t, true, zoned, StyleISO
	return skipSpace(s, i)
}

// isoTime parses an ISO 8601 / RFC 3339 timestamp at the start of s and
// returns the index after it.
func (d *Decoder) isoTime(s string) (time.Time, int, bool, bool) {
	if len(s) < 19 || s[4] != '-' || s[7] != '-' || (s[10] != 'T' && s[10] != ' ') {
		return time.Time{}, 0, false, false
	}
	y, ok1 := digits(s, 0, 4)
	mo, ok2 := digits(s, 5, 2)
	day, ok3 := digits(s, 8, 2)
	hh, mm, ss, ok4 := clock(s, 11)
	if !ok1 || !ok2 || !ok3 || !ok4 || mo < 1 || mo > 12 || day < 1 || day > 31 {
		return time.Time{}, 0, false, false
	}
	ns, i := fraction(s, 19)
	off, zoned, i := zone(s, i)
	loc := d.loc
	if zoned {
		loc = d.zones.get(off)
	}
	t := time.Date(y, time.Month(mo), day, hh, mm, ss, ns, loc)
	if u := t.UTC().Year(); u < 1 || u > 9999 {
		return time.Time{}, 0, false, false // RFC 3339 cannot write it (year 0000 with a positive offset)
	}
	return t, i, zoned, true
}

// tai64n reads "@" and 24 hex digits: a TAI64 label (2^62 + 10 + Unix seconds,
// the daemontools convention that ignores leap seconds) and nanoseconds.
func (d *Decoder) tai64n(s string, h *Header) (string, bool) {
	if len(s) < 25 {
		return "", false
	}
	var secs, nanos uint64
	for i := 1; i < 25; i++ {
		c := s[i]
		var v uint64
		switch {
		case c >= '0' && c <= '9':
			v = uint64(c - '0')
		case c >= 'a' && c <= 'f':
			v = uint64(c-'a') + 10
		case c >= 'A' && c <= 'F':
			v = uint64(c-'A') + 10
		default:
			return "", false
		}
		if i <= 16 {
			secs = secs<<4 | v
		} else {
			nanos = nanos<<4 | v
		}
	}
	const base = 1<<62 + 10
	const maxUnix = 253402300799 // 9999-12-31T23:59:59Z, the last instant RFC 3339 can write
	if secs < base || secs-base > maxUnix || nanos >= 1e9 {
		return "", false
	}
	h.Time = time.Unix(int64(secs-base), int64(nanos)).UTC()
	h.HasTime, h.Zoned, h.Style = true, true, StyleTAI64N
	return skipSpace(s, 25)
}

// roundcubeTime reads "[22-Jan-2013 22:28:21 +0200]: " (Roundcube's default
// log_date_format 'd-M-Y H:i:s O'), with or without the zone.
func (d *Decoder) roundcubeTime(s string, h *Header) (string, bool) {
	end := strings.IndexByte(s, ']')
	if end < 21 || end > 40 {
		return "", false
	}
	ts := s[1:end]
	day, ok := digits(ts, 0, 2)
	if !ok || ts[2] != '-' || ts[6] != '-' {
		return "", false
	}
	mon, ok := month(ts[3:6])
	if !ok {
		return "", false
	}
	y, ok := digits(ts, 7, 4)
	if !ok || ts[11] != ' ' {
		return "", false
	}
	hh, mm, ss, ok := clock(ts, 12)
	if !ok || day < 1 || day > 31 {
		return "", false
	}
	ns, i := fraction(ts, 20)
	loc, zoned := d.loc, false
	if i < len(ts) && ts[i] == ' ' {
		off, z, j := zone(ts, i+1)
		if !z || j != len(ts) {
			return "", false
		}
		loc, zoned = d.zones.get(off), true
	} else if i != len(ts) {
		return "", false
	}
	h.Time = time.Date(y, mon, day, hh, mm, ss, ns, loc)
	h.HasTime, h.Zoned, h.Style = true, zoned, StyleRoundcube
	rest := s[end+1:]
	rest = strings.TrimPrefix(rest, ":")
	return strings.TrimLeft(rest, " "), true
}

// rfc5424 reads "TIMESTAMP HOSTNAME APP-NAME PROCID MSGID STRUCTURED-DATA [MSG]"
// (after "<PRI>1 ").
func (d *Decoder) rfc5424(s string, h *Header) bool {
	ts, rest, ok := cutSpace(s)
	if !ok {
		return false
	}
	h.Style = StyleRFC5424
	if ts != "-" {
		t, n, zoned, ok := d.isoTime(ts)
		if !ok || n != len(ts) {
			return false
		}
		h.Time, h.HasTime, h.Zoned = t, true, zoned
	}
	var host, app, procid string
	if host, rest, ok = cutSpace(rest); !ok {
		return false
	}
	if app, rest, ok = cutSpace(rest); !ok {
		return false
	}
	if procid, rest, ok = cutSpace(rest); !ok {
		return false
	}
	if _, rest, ok = cutSpace(rest); !ok { // MSGID
		// MSGID may be the last field when there is no SD and no message.
		return false
	}
	rest, ok = skipStructuredData(rest)
	if !ok {
		return false
	}
	if host != "-" {
		h.Host = host
	}
	if app != "-" {
		h.Program = app
	}
	if procid != "-" {
		h.PID = procid
	}
	h.Msg = strings.TrimPrefix(rest, "\ufeff")
	return true
}

// skipStructuredData skips "-" or one or more "[id k="v" …]" elements and the
// space after them.
func skipStructuredData(s string) (string, bool) {
	if strings.HasPrefix(s, "-") {
		s = s[1:]
		if s == "" {
			return "", true
		}
		if s[0] != ' ' {
			return "", false
		}
		return s[1:], true
	}
	for len(s) > 0 && s[0] == '[' {
		i, inQuote := 1, false
		for ; i < len(s); i++ {
			c := s[i]
			if inQuote && c == '\\' {
				i++
				continue
			}
			if c == '"' {
				inQuote = !inQuote
			} else if c == ']' && !inQuote {
				break
			}
		}
		if i >= len(s) {
			return "", false
		}
		s = s[i+1:]
	}
	if s == "" {
		return "", true
	}
	if s[0] != ' ' {
		return "", false
	}
	return s[1:], true
}
