package parse

import (
	"net/netip"
	"strings"

	"github.com/vigilhq/vigil/internal/event"
)

// roundcube reads Roundcube webmail's logins (the userlogins log:
// "Successful login for u (ID: 1) from 1.2.3.4 in session …", "Failed login
// for u from 1.2.3.4 in session … (error: 0)") and its IMAP errors ("IMAP
// Error: Login failed for u [against host] from 1.2.3.4. AUTHENTICATE PLAIN: …
// in /path/rcube_imap.php on line 205 (POST …)"), in its own files or syslog.
type roundcube struct{}

var _ Parser = roundcube{}

func (roundcube) Name() string { return "roundcube" }

func (roundcube) Claims(h *Header) bool {
	return h.Style == StyleRoundcube || strings.HasPrefix(h.Program, "roundcube")
}

var (
	errRoundcubeOther    = ignored("roundcube notice that is not a login outcome")
	errRoundcubeNoClient = unparsed("roundcube login line without a client address")
)

func (roundcube) Parse(h *Header, ev *event.Event) error {
	msg := h.Msg
	// Roundcube may put its session id first: "<3z506z6r> IMAP Error: …".
	if strings.HasPrefix(msg, "<") {
		if i := strings.Index(msg, "> "); i > 0 && i < 64 {
			ev.Session, msg = msg[1:i], msg[i+2:]
		}
	}
	ev.Product, ev.Service = "roundcube", "webmail"
	ev.Class, ev.Activity = event.ClassAuthentication, event.Logon
	var body string
	switch {
	case strings.HasPrefix(msg, "Successful login for "):
		body = msg[len("Successful login for "):]
		ev.Status = event.Success
	case strings.HasPrefix(msg, "Failed login for "), strings.HasPrefix(msg, "FAILED login for "):
		body = msg[len("Failed login for "):]
		ev.Status, ev.StatusDetail = event.Failure, "auth failed"
	case strings.HasPrefix(msg, "IMAP Error: Login failed for "):
		return roundcubeIMAPError(msg[len("IMAP Error: Login failed for "):], ev)
	default:
		ev.Reset()
		return errRoundcubeOther
	}
	// body: "USER [(ID: n)] from IP [in session S] [(error: n)]". USER is the
	// visitor's to type; the last " from IP" that the server's own wording
	// follows is the address.
	user, ip, ok := lastFrom(body, func(after string) bool {
		return after == "" || strings.HasPrefix(after, " in session ") || strings.HasPrefix(after, " (error")
	})
	if !ok {
		ev.Reset()
		return errRoundcubeNoClient
	}
	if i := strings.LastIndex(user, " (ID: "); i >= 0 && ev.Status == event.Success {
		user = user[:i]
	}
	ev.User, ev.Src.IP = user, ip
	if s, ok := valueAfter(body, " in session ", ' '); ok && ev.Session == "" {
		ev.Session = s
	}
	return nil
}

// roundcubeIMAPError reads "USER [against HOST] from IP[(X-Real-IP: …)]. ERROR".
// The address is the last " from IP" followed by ". " and the IMAP server's
// reply (which starts with a capital: "AUTHENTICATE PLAIN: …", "LOGIN: …"); a
// line cut short ends with the address instead.
func roundcubeIMAPError(s string, ev *event.Event) error {
	// Drop the code location: " in /path/file.php on line 205 (POST /…)".
	// With it, the line is whole and the address must be followed by the IMAP
	// server's reply; without it, the line may end at the address.
	whole := false
	if i := strings.LastIndex(s, " on line "); i >= 0 {
		if j := strings.LastIndex(s[:i], " in "); j >= 0 {
			s, whole = s[:j], true
		}
	}
	replyFollows := func(after string) bool {
		if strings.HasPrefix(after, "(") {
			j := strings.IndexByte(after, ')')
			if j < 0 {
				return false
			}
			after = after[j+1:]
		}
		return strings.HasPrefix(after, ". ") && len(after) > 2 && (after[2] >= 'A' && after[2] <= 'Z' || after[2] == '[')
	}
	atEnd := func(after string) bool {
		if strings.HasPrefix(after, "(") {
			j := strings.IndexByte(after, ')')
			if j < 0 {
				return false
			}
			after = after[j+1:]
		}
		return after == "" || after == "."
	}
	follows := replyFollows
	if !whole {
		follows = func(after string) bool { return replyFollows(after) || atEnd(after) }
	}
	user, ip, ok := lastFrom(s, follows)
	if !ok {
		ev.Reset()
		return errRoundcubeNoClient
	}
	if i := strings.LastIndex(user, " against "); i >= 0 {
		user = user[:i]
	}
	ev.User, ev.Src.IP = user, ip
	ev.Status, ev.StatusDetail = event.Failure, "auth failed"
	return nil
}

// lastFrom finds the last " from IP" in s whose following text satisfies
// follows, returning what precedes it and the address.
func lastFrom(s string, follows func(string) bool) (string, netip.Addr, bool) {
	end := len(s)
	for {
		i := strings.LastIndex(s[:end], " from ")
		if i < 0 {
			return "", netip.Addr{}, false
		}
		end = i
		rest := s[i+len(" from "):]
		j := 0
		for j < len(rest) && (rest[j] >= '0' && rest[j] <= '9' || rest[j] >= 'a' && rest[j] <= 'f' || rest[j] >= 'A' && rest[j] <= 'F' || rest[j] == '.' || rest[j] == ':') {
			j++
		}
		cand := strings.TrimSuffix(rest[:j], ".")
		ip, ok := addr(cand)
		if !ok {
			continue
		}
		if follows(rest[len(cand):]) {
			return s[:i], ip, true
		}
	}
}
