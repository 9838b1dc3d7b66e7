package parse

import (
	"net/netip"
	"strings"

	"github.com/vigilhq/vigil/internal/event"
)

// dovecotAuth reads the auth process's verdicts on a login attempt:
// "passwd-file(user,1.2.3.4,<session>): Password mismatch", the same for sql,
// ldap, pam, passwd, shadow, checkpassword…, "unknown user", PAM's
// "pam_authenticate() failed: …", and pam_unix's own "authentication failure;
// … rhost=… user=…" line.
func dovecotAuth(p dproc, ev *event.Event) error {
	msg := p.rest
	if strings.HasPrefix(msg, "pam_unix(") {
		return pamUnix(msg, ev)
	}
	user, ip, session, text, ok := passdbPrefix(msg)
	if !ok {
		return errDovecotAuth
	}
	detail, status := authVerdict(text)
	if status == event.StatusUnknown && p.level != "Error" {
		return errDovecotAuth
	}
	ev.Class, ev.Activity = event.ClassAuthentication, event.Logon
	ev.Status, ev.StatusDetail = status, detail
	if status == event.StatusUnknown {
		ev.StatusDetail = "auth backend error"
	}
	ev.User, ev.Src.IP, ev.Session = user, ip, session
	if raw, ok := strings.CutPrefix(text[strings.Index(text, "(username: ")+1:], "username: "); ok && user == "?" {
		// The prefix shows "?" for a refused name; the raw name closes the line.
		ev.User = strings.TrimSuffix(raw, ")")
	}
	return nil
}

// authVerdict classifies the text after a passdb prefix.
func authVerdict(text string) (string, event.Status) {
	switch {
	case strings.HasPrefix(text, disallowedChars):
		return "invalid user name", event.Failure
	case strings.Contains(text, "Master user login attempted"):
		return "master user login refused", event.Failure
	case containsFold(text, "password mismatch"):
		return "password mismatch", event.Failure
	case containsFold(text, "unknown user"), strings.Contains(text, "User not known"):
		return "unknown user", event.Failure
	case strings.Contains(text, "Authentication failure"), strings.Contains(text, "authentication failure"):
		return "authentication failure", event.Failure
	case strings.Contains(text, "Account expired"), strings.Contains(text, "account expired"):
		return "account expired", event.Failure
	case strings.Contains(text, "Password expired"):
		return "password expired", event.Failure
	case strings.Contains(text, "allow_nets check failed"):
		return "source not allowed", event.Failure
	}
	return "", event.StatusUnknown
}

// disallowedChars starts the auth process's verdict on a name outside
// auth_username_chars.
const disallowedChars = "Username character disallowed by auth_username_chars"

// passdbPrefix finds "driver(user,ip[,<session>]): text" in msg, skipping
// what 2.3 puts before it ("conn unix:auth-worker (…): auth-worker<N>: ").
//
// Client text can stand on both sides of the server's: the user inside the
// prefix (Dovecot does not escape it), and after the verdict the raw name of a
// refused user ("(username: …)") or, with auth_verbose_passwords, the password
// ("(given password: …)"). A prefix is taken only if the server text after it,
// up to such a tail, holds no further "): " (a fake prefix inside a user name
// is followed by the real one). Among those, a user that fits Dovecot's
// default auth_username_chars wins (a fake prefix inside a password has the
// real prefix's tail in its user), else the first.
func passdbPrefix(msg string) (user string, ip netip.Addr, session, text string, ok bool) {
	type cand struct {
		user, session, text string
		ip                  netip.Addr
	}
	var first, last *cand
	for off := 0; ; {
		i := strings.Index(msg[off:], "): ")
		if i < 0 {
			break
		}
		i += off
		off = i + 3
		u, a, s, ok := passdbInner(msg[:i])
		if !ok {
			continue
		}
		c := &cand{u, s, msg[i+3:], a}
		last = c
		if !serverText(c.text) {
			continue
		}
		if cleanUser(u) {
			return c.user, c.ip, c.session, c.text, true
		}
		if first == nil {
			first = c
		}
	}
	if first == nil {
		first = last
	}
	if first == nil {
		return "", netip.Addr{}, "", "", false
	}
	return first.user, first.ip, first.session, first.text, true
}

// serverText reports whether text, the verdict after a passdb prefix, is the
// server's own wording up to a client-text tail.
func serverText(text string) bool {
	for _, tail := range [...]string{" (given password: ", "(username: "} {
		if i := strings.Index(text, tail); i >= 0 {
			text = text[:i]
		}
	}
	return !strings.Contains(text, "): ")
}

// passdbInner reads "… driver(user,ip[,<session>]" (the text before "): ").
func passdbInner(inner string) (string, netip.Addr, string, bool) {
	sess := ""
	if strings.HasSuffix(inner, ">") {
		j := strings.LastIndex(inner, ",<")
		if j < 0 {
			return "", netip.Addr{}, "", false
		}
		sess, inner = inner[j+2:len(inner)-1], inner[:j]
	}
	c := strings.LastIndexByte(inner, ',')
	if c < 0 {
		return "", netip.Addr{}, "", false
	}
	a, ok := addr(inner[c+1:])
	if !ok {
		return "", netip.Addr{}, "", false
	}
	inner = inner[:c]
	o := driverOpen(inner)
	if o < 0 {
		return "", netip.Addr{}, "", false
	}
	return inner[o+1:], a, sess, true
}

// cleanUser reports whether u fits Dovecot's default auth_username_chars
// (letters, digits, ".-_@"), or is the "?" it logs for a refused name.
func cleanUser(u string) bool {
	if u == "?" {
		return true
	}
	for _, c := range []byte(u) {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '-' || c == '_' || c == '@') {
			return false
		}
	}
	return u != ""
}

// driverOpen finds the "(" of "driver(" that opens the prefix: the first one
// preceded by a passdb driver name.
func driverOpen(s string) int {
	for i := 0; i < len(s); i++ {
		if s[i] != '(' {
			continue
		}
		j := i
		for j > 0 && (s[j-1] >= 'a' && s[j-1] <= 'z' || s[j-1] >= '0' && s[j-1] <= '9' || s[j-1] == '-' || s[j-1] == '_') {
			j--
		}
		if j < i && (j == 0 || s[j-1] == ' ') {
			return i
		}
	}
	return -1
}

// pamUnix reads "pam_unix(dovecot:auth): authentication failure; logname= uid=0
// euid=0 tty=dovecot ruser=U rhost=R  user=U". ruser and user are the same
// client-chosen name, so the split that makes them equal finds the real rhost.
func pamUnix(msg string, ev *event.Event) error {
	if !strings.Contains(msg, "authentication failure;") {
		return errDovecotAuth
	}
	r := strings.Index(msg, " ruser=")
	if r < 0 {
		return errDovecotAuth
	}
	t := msg[r+len(" ruser="):]
	for off := 0; ; {
		i := strings.Index(t[off:], " rhost=")
		if i < 0 {
			return errDovecotNoClient
		}
		i += off
		off = i + 1
		u, rest := t[:i], t[i+len(" rhost="):]
		host, tail, _ := strings.Cut(rest, " ")
		tail = strings.TrimLeft(tail, " ")
		if tail != "" && tail != "user="+u && !(u == "" && strings.HasPrefix(tail, "user=")) {
			continue
		}
		ip, ok := addr(host)
		if !ok {
			continue
		}
		ev.Class, ev.Activity, ev.Status, ev.StatusDetail = event.ClassAuthentication, event.Logon, event.Failure, "authentication failure"
		ev.User, ev.Src.IP = u, ip
		if tail != "" {
			ev.User = strings.TrimPrefix(tail, "user=")
		}
		return nil
	}
}
