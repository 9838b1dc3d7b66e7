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

// passdbPrefix finds "driver(user,ip[,<session>]): text" in msg. The user is the
// client's to choose, so it may hold ",1.2.3.4): " itself; the server's text
// after the real prefix never does, so the last such prefix is the real one.
// Anything before the driver (2.3's "conn unix:auth-worker (…): auth-worker<N>: ")
// is skipped.
func passdbPrefix(msg string) (user string, ip netip.Addr, session, text string, ok bool) {
	end := len(msg)
	// This verdict ends with the raw name the client sent, "(username: …)", so
	// the real prefix is the one before the server's wording, not the last.
	if i := strings.Index(msg, "): "+disallowedChars); i >= 0 {
		end = i + 3
	}
	for {
		i := strings.LastIndex(msg[:end], "): ")
		if i < 0 {
			return "", netip.Addr{}, "", "", false
		}
		end = i
		inner := msg[:i]
		sess := ""
		if strings.HasSuffix(inner, ">") {
			j := strings.LastIndex(inner, ",<")
			if j < 0 {
				continue
			}
			sess, inner = inner[j+2:len(inner)-1], inner[:j]
		}
		c := strings.LastIndexByte(inner, ',')
		if c < 0 {
			continue
		}
		a, okIP := addr(inner[c+1:])
		if !okIP {
			continue
		}
		inner = inner[:c]
		o := driverOpen(inner)
		if o < 0 {
			continue
		}
		return inner[o+1:], a, sess, msg[i+3:], true
	}
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
		if tail != "" && tail != "user="+u {
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
