package parse

import (
	"strings"

	"github.com/vigilhq/vigil/internal/event"
)

// dovecot reads Dovecot 2.3 and 2.4 main/info log lines, written to a file
// (with any log_timestamp) or through syslog: logins and every kind of failed
// login from the login processes, passdb failures from the auth processes, and
// session ends with their read counts from the mail processes.
type dovecot struct{}

var _ Parser = dovecot{}

func (dovecot) Name() string { return "dovecot" }

// dovecotProcesses are the process names Dovecot logs as.
var dovecotProcesses = map[string]bool{
	"imap-login": true, "pop3-login": true, "submission-login": true, "managesieve-login": true,
	"imap": true, "pop3": true, "submission": true, "managesieve": true, "lmtp": true,
	"auth": true, "auth-worker": true, "master": true, "stats": true, "config": true,
	"anvil": true, "log": true, "dict": true, "doveadm": true, "indexer": true,
	"indexer-worker": true, "lda": true, "quota-status": true, "director": true,
	"replicator": true, "aggregator": true, "imap-hibernate": true, "imap-urlauth": true,
	"imap-urlauth-login": true, "imap-urlauth-worker": true, "dovecot-lda": true, "deliver": true,
}

func (dovecot) Claims(h *Header) bool {
	switch h.Program {
	case "dovecot", "dovecot-auth":
		return true
	case "":
		name := h.Msg
		if i := strings.IndexAny(name, "(:<"); i > 0 {
			name = name[:i]
		}
		return dovecotProcesses[name]
	}
	return dovecotProcesses[h.Program]
}

// dproc is a Dovecot log prefix split up: "imap(user)<pid><session>: Info: rest".
type dproc struct {
	name    string // process: imap-login, imap, auth, …
	arg     string // the parenthesized part: the user of a mail process
	session string
	rest    string // the message after the level
	level   string // Info, Warning, Error, Fatal, Panic, Debug, or "" (syslog drops Info)
}

// splitDovecot finds the Dovecot process and level. Through syslog the program
// is "dovecot" and the process starts the message; in Dovecot's own files the
// process is the tag, or (when it carries a user) the message's first token.
func splitDovecot(h *Header) (dproc, bool) {
	var p dproc
	msg := h.Msg
	switch h.Program {
	case "dovecot-auth":
		p.name = "auth"
	case "", "dovecot":
		if !splitProcessPrefix(msg, &p) {
			return p, false
		}
		msg = p.rest
	default:
		p.name = h.Program
	}
	p.level, p.rest = splitLevel(msg)
	return p, true
}

// splitProcessPrefix reads "name: ", "name(arg): " or "name(arg)<pid><session>: ".
// The arg of a mail process is the logged-in user, which passed the passdb, so
// the first ")" that is followed by an optional <…><…> and ": " ends it.
func splitProcessPrefix(s string, p *dproc) bool {
	i := strings.IndexAny(s, "(:<")
	if i <= 0 {
		return false
	}
	p.name = s[:i]
	if !dovecotProcesses[p.name] {
		return false
	}
	switch s[i] {
	case ':':
		if !strings.HasPrefix(s[i:], ": ") {
			return false
		}
		p.rest = s[i+2:]
		return true
	case '<':
		rest, ok := angleGroups(s[i:], p)
		p.rest = rest
		return ok
	}
	// '(' : find the ')' that ends the argument.
	for j := i + 1; j < len(s); j++ {
		if s[j] != ')' {
			continue
		}
		if rest, ok := angleGroups(s[j+1:], p); ok {
			p.arg, p.rest = s[i+1:j], rest
			return true
		}
	}
	return false
}

// angleGroups reads up to two "<…>" groups (pid, session) and then ": ".
func angleGroups(s string, p *dproc) (string, bool) {
	var groups [2]string
	n := 0
	for n < 2 && strings.HasPrefix(s, "<") {
		j := strings.IndexByte(s, '>')
		if j < 0 || strings.ContainsAny(s[1:j], " <") {
			return "", false
		}
		groups[n] = s[1:j]
		n++
		s = s[j+1:]
	}
	if !strings.HasPrefix(s, ": ") {
		return "", false
	}
	if n == 2 {
		p.session = groups[1]
	} else if n == 1 && !isDigits(groups[0]) {
		p.session = groups[0]
	}
	return s[2:], true
}

func isDigits(s string) bool {
	_, ok := count(s)
	return ok
}

var dovecotLevels = [...]string{"Info: ", "Warning: ", "Error: ", "Fatal: ", "Panic: ", "Debug: "}

func splitLevel(s string) (string, string) {
	for _, l := range dovecotLevels {
		if strings.HasPrefix(s, l) {
			return l[:len(l)-2], s[len(l):]
		}
	}
	return "", s
}

var (
	errDovecotPrefix   = unparsed("dovecot line without a process prefix")
	errDovecotLevel    = ignored("dovecot warning or error about the server itself")
	errDovecotMaster   = ignored("dovecot master process notice (startup, shutdown, reload)")
	errDovecotProcess  = ignored("dovecot process without login activity")
	errDovecotNoClient = unparsed("dovecot login-process line without client address")
	errDovecotLogin    = ignored("dovecot login-process notice without a login")
	errDovecotAuth     = ignored("dovecot auth notice that is not a login outcome")
	errDovecotMail     = ignored("dovecot mail-process notice that is not a session end")
	errDovecotDelivery = ignored("dovecot local delivery (lmtp/lda)")
	errDovecotStats    = ignored("dovecot stats process notice")
)

func (dovecot) Parse(h *Header, ev *event.Event) error {
	p, ok := splitDovecot(h)
	if !ok {
		return errDovecotPrefix
	}
	ev.Product = "dovecot"
	switch {
	case strings.HasSuffix(p.name, "-login"):
		ev.Service = strings.TrimSuffix(p.name, "-login")
		return dovecotLogin(p, ev)
	case p.name == "auth" || p.name == "auth-worker":
		return dovecotAuth(p, ev)
	case p.name == "imap" || p.name == "pop3" || p.name == "submission" || p.name == "managesieve":
		ev.Service = p.name
		return dovecotMail(p, ev)
	case p.name == "master":
		return errDovecotMaster
	case p.name == "lmtp" || p.name == "lda" || p.name == "dovecot-lda" || p.name == "deliver":
		return errDovecotDelivery
	case p.name == "stats":
		return errDovecotStats
	}
	return errDovecotProcess
}

// loginAuthFailed is the login processes' wording for failed attempts:
// "(auth failed, 3 attempts in 16 secs)".
const loginAuthFailed = "auth failed"

// dovecotLogin reads a login process line: "Login: user=<u>, method=…, rip=…"
// or a disconnect before login, "Disconnected (auth failed, 1 attempts in 2
// secs): user=<u>, …", in the 2.3 and 2.4 wordings.
func dovecotLogin(p dproc, ev *event.Event) error {
	msg := p.rest
	// The field list starts at the first ": user=<", ": method=" or ": rip=";
	// everything before it is the server's own wording.
	fstart := firstFieldStart(msg)
	if fstart < 0 {
		if p.level == "Warning" || p.level == "Error" || p.level == "Fatal" {
			return errDovecotLevel
		}
		if strings.Contains(msg, "rip=") || strings.HasPrefix(msg, "Disconnected") || strings.HasPrefix(msg, "Aborted") || strings.HasPrefix(msg, "Login aborted") {
			return errDovecotNoClient
		}
		return errDovecotLogin
	}
	head, fields := msg[:fstart], msg[fstart+2:]
	if !loginFields(fields, ev) {
		return errDovecotNoClient
	}
	ev.Class, ev.Activity = event.ClassAuthentication, event.Logon
	switch {
	case head == "Login" || strings.HasPrefix(head, "Login:"):
		ev.Status = event.Success
		return nil
	case strings.Contains(head, "proxy dest auth failed"):
		ev.Status, ev.StatusDetail = event.Failure, "proxy destination auth failed"
	case strings.Contains(head, loginAuthFailed):
		ev.Status, ev.StatusDetail = event.Failure, "auth failed"
		if n, ok := attempts(head); ok {
			ev.Counts.AuthAttempts, ev.Counts.AuthFailures = n, n
			ev.Counts.Has |= event.HasAuth
		}
	case strings.Contains(head, "disallowed plaintext auth"), strings.Contains(head, "Plaintext authentication disabled"):
		ev.Status, ev.StatusDetail = event.Failure, "plaintext auth disallowed"
	case strings.Contains(head, "didn't finish SASL auth"):
		ev.Status, ev.StatusDetail = event.Failure, "SASL auth not finished"
	case strings.HasPrefix(head, "Login failed"), strings.HasPrefix(head, "Authenticate ") && strings.Contains(head, " failed"):
		// One failed command within a session; its disconnect line follows.
		ev.Status, ev.StatusDetail = event.Failure, "auth failed"
	case strings.Contains(head, "Maximum number of connections") || strings.Contains(head, "Too many connections"):
		ev.Status, ev.StatusDetail = event.Failure, "connection limit exceeded"
	case strings.Contains(head, "no auth attempts") || strings.Contains(head, "no_auth_attempts"):
		netClose(ev, "no auth attempts")
	case strings.Contains(head, "TLS handshake") || strings.Contains(head, "tls_handshake_not_finished"):
		netClose(ev, "TLS handshake not finished")
	case strings.Contains(head, "before auth was ready") || strings.Contains(head, "before greeting"):
		netClose(ev, "disconnected before auth was ready")
	case strings.HasPrefix(head, "proxy") || strings.Contains(head, "proxying"):
		return errDovecotLogin
	default:
		ev.Reset()
		return errDovecotLogin
	}
	return nil
}

func netClose(ev *event.Event, detail string) {
	ev.Class, ev.Activity, ev.Status, ev.StatusDetail = event.ClassNetwork, event.NetClose, event.Failure, detail
}

func firstFieldStart(msg string) int {
	best := -1
	for _, k := range [...]string{": user=<", ": method=", ": rip="} {
		if i := strings.Index(msg, k); i >= 0 && (best < 0 || i < best) {
			best = i
		}
	}
	return best
}

// attempts reads N from "(auth failed, N attempts".
func attempts(head string) (int64, bool) {
	v, ok := valueAfter(head, loginAuthFailed+", ", ' ')
	if !ok {
		return 0, false
	}
	return count(v)
}

// loginFields reads "user=<u>, method=M, rip=R, lip=L, mpid=N, TLS, session=<S>".
// The user name is the client's to choose and may itself contain ", rip=…",
// so the address is taken from the last ", rip=" and the user ends at the ">"
// before the method or address that follows it.
func loginFields(f string, ev *event.Event) bool {
	ripAt := strings.LastIndex(f, "rip=")
	if ripAt < 0 || (ripAt > 0 && f[ripAt-1] != ' ') {
		return false
	}
	before, after := f[:ripAt], f[ripAt:]
	ripv, _ := valueAfter(after, "rip=", ',')
	ip, ok := addr(ripv)
	if !ok {
		return false
	}
	ev.Src.IP = ip
	// before is "user=<U>, method=M, " or "user=<U>, " or "method=M, " or "".
	// A real method is a mechanism name right before rip=; the user name runs
	// from "user=<" to the ">" before it, whatever it contains.
	fields := strings.TrimSuffix(before, ", ")
	if i := strings.LastIndex(fields, "method="); i >= 0 && (i == 0 || strings.HasSuffix(fields[:i], ", ")) && mechName(fields[i+7:]) {
		ev.AuthMethod = fields[i+7:]
		fields = strings.TrimSuffix(fields[:i], ", ")
	}
	if u, ok := strings.CutPrefix(fields, "user=<"); ok && strings.HasSuffix(u, ">") {
		ev.User = u[:len(u)-1]
	}
	// After rip=: lip, rport, lport, mpid, flags, session; all server-written.
	for part := range strings.SplitSeq(after, ", ") {
		k, v, _ := strings.Cut(part, "=")
		switch k {
		case "lip":
			if a, ok := addr(v); ok {
				ev.Dst.IP = a
			}
		case "rport":
			ev.Src.Port, _ = port(v)
		case "lport":
			ev.Dst.Port, _ = port(v)
		case "session":
			ev.Session = strings.TrimSuffix(strings.TrimPrefix(v, "<"), ">")
		case "secured", "TLS":
			ev.Secured = true
		default:
			// "TLS: Disconnected", "TLSv1.3 with cipher …" mean TLS was up;
			// "TLS handshaking: …" means it never came up.
			if strings.HasPrefix(k, "TLS: ") || strings.HasPrefix(k, "TLSv") {
				ev.Secured = true
			}
		}
	}
	return true
}

// dovecotMail reads a mail process line; the one that matters is the session
// end, "Disconnected: Logged out in=… out=… hdr_count=… body_count=…" (IMAP)
// or "… top=0/0, retr=3/1344, del=0/3, size=1296" (POP3).
func dovecotMail(p dproc, ev *event.Event) error {
	msg := p.rest
	if p.name == "submission" && strings.HasPrefix(msg, "Successfully relayed message: ") {
		return dovecotRelayed(p, msg[len("Successfully relayed message: "):], ev)
	}
	if !(strings.HasPrefix(msg, "Disconnected") || strings.HasPrefix(msg, "Logged out") ||
		strings.HasPrefix(msg, "Connection closed") || strings.HasPrefix(msg, "Server shutting down")) {
		if p.level == "Warning" || p.level == "Error" || p.level == "Fatal" || p.level == "Panic" {
			return errDovecotLevel
		}
		return errDovecotMail
	}
	ev.Class, ev.Activity, ev.Status = event.ClassAuthentication, event.Logoff, event.Success
	ev.User, ev.Session = p.arg, p.session
	reason := msg
	if i := strings.Index(msg, "in="); i >= 0 {
		reason = strings.TrimRight(msg[:i], " ")
	}
	if i := strings.Index(msg, "top="); i >= 0 && i < len(reason) {
		reason = strings.TrimRight(msg[:i], " ")
	}
	ev.Reason = strings.TrimPrefix(strings.TrimPrefix(reason, "Disconnected: "), "Disconnected ")
	sessionCounts(msg, &ev.Counts)
	return nil
}

// sessionCounts picks the known key=value counts out of a logout message.
func sessionCounts(msg string, c *event.Counts) {
	for len(msg) > 0 {
		i := strings.IndexByte(msg, '=')
		if i < 0 {
			return
		}
		ks := strings.LastIndexAny(msg[:i], " ,(") + 1
		key := msg[ks:i]
		rest := msg[i+1:]
		ve := strings.IndexAny(rest, " ,)")
		if ve < 0 {
			ve = len(rest)
		}
		val := rest[:ve]
		msg = rest[ve:]
		if n, ok := count(val); ok {
			switch key {
			case "in":
				c.BytesIn, c.Has = n, c.Has|event.HasTraffic
			case "out":
				c.BytesOut, c.Has = n, c.Has|event.HasTraffic
			case "hdr_count":
				c.HdrCount, c.Has = n, c.Has|event.HasIMAPRead
			case "hdr_bytes":
				c.HdrBytes, c.Has = n, c.Has|event.HasIMAPRead
			case "body_count":
				c.BodyCount, c.Has = n, c.Has|event.HasIMAPRead
			case "body_bytes":
				c.BodyBytes, c.Has = n, c.Has|event.HasIMAPRead
			case "deleted":
				c.Deleted, c.Has = n, c.Has|event.HasIMAPChange
			case "expunged":
				c.Expunged, c.Has = n, c.Has|event.HasIMAPChange
			case "trashed":
				c.Trashed, c.Has = n, c.Has|event.HasIMAPChange
			case "size":
				c.Size, c.Has = n, c.Has|event.HasPOP3
			}
			continue
		}
		if a, b, ok := pair(val); ok {
			switch key {
			case "top":
				c.TopCount, c.TopBytes, c.Has = a, b, c.Has|event.HasPOP3
			case "retr":
				c.RetrCount, c.RetrBytes, c.Has = a, b, c.Has|event.HasPOP3
			case "del":
				c.DelCount, c.MsgCount, c.Has = a, b, c.Has|event.HasPOP3
			}
		}
	}
}

// dovecotRelayed reads the submission service's "Successfully relayed message:
// from=<s>, size=127, id=…, nrcpt=1, reply=`250 2.0.0 Ok: 337 bytes queued as
// 5F2F2986613'": mail submitted by the logged-in user. The recipients are not
// logged; the MTA's queue ID joins this to its delivery lines.
func dovecotRelayed(p dproc, f string, ev *event.Event) error {
	ev.Class, ev.Activity, ev.Status = event.ClassEmail, event.EmailSend, event.Success
	ev.User, ev.Session = p.arg, p.session
	ev.Sender, _ = valueAfter(f, "from=<", '>')
	if n, ok := valueAfter(f, ", nrcpt=", ','); ok {
		if c, ok := count(n); ok {
			ev.Counts.Recipients, ev.Counts.Has = c, ev.Counts.Has|event.HasMail
		}
	}
	if n, ok := valueAfter(f, ", size=", ','); ok {
		if c, ok := count(n); ok {
			ev.Counts.Size, ev.Counts.Has = c, ev.Counts.Has|event.HasMail
		}
	}
	if q, ok := lastValueAfter(f, " queued as ", '\''); ok {
		ev.QueueID = q
	}
	return nil
}

// mechName reports whether s looks like a SASL mechanism name (RFC 4422:
// upper-case letters, digits, hyphen and underscore).
func mechName(s string) bool {
	if s == "" || len(s) > 20 {
		return false
	}
	for _, c := range []byte(s) {
		if !(c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}
