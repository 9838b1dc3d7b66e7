package parse

import (
	"strings"

	"github.com/vigilhq/vigil/internal/event"
)

// postfix reads Postfix's smtpd and postscreen lines (SASL failures,
// authenticated submissions, rejects, connection events) and its delivery
// agents' status lines. Syslog names are "postfix/smtpd", "postfix/submission/smtpd",
// "postfix-incoming/smtpd" and the like; the last component is the daemon.
type postfix struct{}

var _ Parser = postfix{}

func (postfix) Name() string { return "postfix" }

func (postfix) Claims(h *Header) bool {
	return strings.HasPrefix(h.Program, "postfix") && strings.IndexByte(h.Program, '/') > 0
}

var (
	errPostfixOther    = ignored("postfix bookkeeping line (queue, cleanup, master)")
	errPostfixNoClient = unparsed("postfix line without a client address")
	errPostfixSmtpd    = ignored("postfix smtpd notice without a client outcome")
	errPostfixScreen   = ignored("postfix postscreen notice without a client outcome")
)

func (postfix) Parse(h *Header, ev *event.Event) error {
	daemon := h.Program[strings.LastIndexByte(h.Program, '/')+1:]
	ev.Product = "postfix"
	ev.Service = postfixService(h.Program)
	msg := h.Msg
	switch daemon {
	case "smtpd":
		return postfixSmtpd(msg, ev)
	case "postscreen":
		return postfixScreen(msg, ev)
	case "smtp", "lmtp", "local", "virtual", "pipe":
		return postfixDelivery(msg, ev)
	case "qmgr":
		return postfixQueued(msg, ev)
	}
	return errPostfixOther
}

// postfixService names the service from the syslog name: master.cf's
// submission and smtps services log as postfix/submission/smtpd and
// postfix/smtps/smtpd by default.
func postfixService(prog string) string {
	switch {
	case strings.Contains(prog, "/submission"), strings.Contains(prog, "/smtps"), strings.Contains(prog, "/submissions"):
		return "submission"
	}
	return "smtp"
}

// queuePrefix splits "1D8CC1CA0A7F: rest" or "NOQUEUE: rest".
func queuePrefix(msg string) (string, string) {
	i := strings.Index(msg, ": ")
	if i <= 0 || i > 32 {
		return "", msg
	}
	q := msg[:i]
	if q == "NOQUEUE" {
		return "", msg[i+2:]
	}
	// Short IDs are hex (1D8CC1CA0A7F), long ones base 52 with digits
	// (4Lq8yY0Wgfz1xK); "warning" and its kin are all lower case.
	upperOrDigit := false
	for _, c := range []byte(q) {
		switch {
		case c >= '0' && c <= '9', c >= 'A' && c <= 'Z':
			upperOrDigit = true
		case c >= 'a' && c <= 'z':
		default:
			return "", msg
		}
	}
	if !upperOrDigit {
		return "", msg
	}
	return q, msg[i+2:]
}

// client fills ev.Src from "name[addr]" or "name[addr]:port" at the start of s.
func client(s string, ev *event.Event) (string, bool) {
	name, ip, p, rest, ok := hostBracketAddr(s)
	if !ok {
		return "", false
	}
	ev.Src.IP, ev.Src.Port = ip, p
	if name != "unknown" && name != "" {
		ev.Src.Hostname = name
	}
	return rest, true
}

func postfixSmtpd(msg string, ev *event.Event) error {
	qid, rest := queuePrefix(msg)
	ev.QueueID = qid
	switch {
	case strings.HasPrefix(rest, "warning: "):
		return smtpdWarning(rest[len("warning: "):], ev)
	case strings.HasPrefix(rest, "client="):
		return smtpdClient(rest[len("client="):], ev)
	case strings.HasPrefix(rest, "reject: "), strings.HasPrefix(rest, "milter-reject: "):
		return smtpdReject(rest[strings.IndexByte(rest, ' ')+1:], ev)
	case strings.HasPrefix(rest, "connect from "):
		if _, ok := client(rest[len("connect from "):], ev); !ok {
			return errPostfixNoClient
		}
		ev.Class, ev.Activity, ev.Status = event.ClassNetwork, event.NetOpen, event.Success
		return nil
	case strings.HasPrefix(rest, "disconnect from "):
		return smtpdDisconnect(rest[len("disconnect from "):], ev)
	case strings.HasPrefix(rest, "lost connection after "):
		return afterFrom(rest, "lost connection after ", event.NetClose, "lost connection after ", ev)
	case strings.HasPrefix(rest, "improper command pipelining after "):
		return afterFrom(rest, "improper command pipelining after ", event.NetRefuse, "improper command pipelining after ", ev)
	case strings.HasPrefix(rest, "timeout after "):
		return afterFrom(rest, "timeout after ", event.NetClose, "timeout after ", ev)
	case strings.HasPrefix(rest, "too many errors after "):
		return afterFrom(rest, "too many errors after ", event.NetRefuse, "too many errors after ", ev)
	}
	return errPostfixSmtpd
}

// afterFrom reads "<what> CMD from name[addr]…" as a failed connection whose
// detail names the command.
func afterFrom(rest, what string, act event.Activity, detail string, ev *event.Event) error {
	body := rest[len(what):]
	cmd, from, ok := strings.Cut(body, " from ")
	if !ok || strings.IndexByte(cmd, ' ') >= 0 || len(cmd) > 24 {
		return errPostfixNoClient
	}
	if _, ok := client(from, ev); !ok {
		return errPostfixNoClient
	}
	ev.Class, ev.Activity, ev.Status, ev.StatusDetail = event.ClassNetwork, act, event.Failure, detail+cmd
	ev.Command = cmd
	return nil
}

// smtpdWarning reads SASL failures ("name[addr]: SASL LOGIN authentication
// failed: reason"), rate limits and DNS mismatches.
func smtpdWarning(w string, ev *event.Event) error {
	if strings.HasPrefix(w, "hostname ") && strings.Contains(w, " does not resolve to address ") {
		a, _ := valueAfter(w, " does not resolve to address ", ':')
		ip, ok := addr(a)
		if !ok {
			return errPostfixNoClient
		}
		ev.Src.IP = ip
		ev.Src.Hostname, _ = valueAfter(w, "hostname ", ' ')
		ev.Class, ev.Activity, ev.Status, ev.StatusDetail = event.ClassNetwork, event.NetOpen, event.StatusOther, "reverse DNS does not match"
		return nil
	}
	if strings.HasPrefix(w, "Message delivery request rate limit exceeded") || strings.Contains(w, "rate limit exceeded:") {
		_, from, ok := strings.Cut(w, " from ")
		if !ok {
			return errPostfixNoClient
		}
		if _, ok := client(from, ev); !ok {
			return errPostfixNoClient
		}
		ev.Class, ev.Activity, ev.Status, ev.StatusDetail = event.ClassNetwork, event.NetRefuse, event.Failure, "rate limit exceeded"
		return nil
	}
	rest, ok := client(w, ev)
	if !ok {
		return errPostfixSmtpd
	}
	const sasl = ": SASL "
	if !strings.HasPrefix(rest, sasl) {
		ev.Reset()
		return errPostfixSmtpd
	}
	body := rest[len(sasl):]
	if mech, ok := strings.CutSuffix(body, " authentication aborted"); ok && strings.IndexByte(mech, ' ') < 0 {
		ev.Class, ev.Activity, ev.Status, ev.StatusDetail = event.ClassAuthentication, event.Logon, event.Failure, "auth aborted"
		ev.AuthMethod = mech
		return nil
	}
	mech, reason, ok := strings.Cut(body, " authentication failed")
	if !ok || strings.IndexByte(mech, ' ') >= 0 {
		ev.Reset()
		return errPostfixSmtpd
	}
	reason = strings.TrimPrefix(reason, ": ")
	ev.Class, ev.Activity = event.ClassAuthentication, event.Logon
	ev.AuthMethod = mech
	// sasl_username is the line's last field and the client's to choose: it
	// runs from the first ", sasl_username=" (the reason before it is the
	// server's) to the end.
	if i := strings.Index(reason, ", sasl_username="); i >= 0 {
		ev.User = reason[i+len(", sasl_username="):]
		reason = reason[:i]
	}
	ev.Reason = reason
	switch {
	case strings.Contains(reason, "Connection lost to authentication server"):
		// The server could not ask its auth backend: not the client's failure.
		ev.Status, ev.StatusDetail = event.StatusOther, "auth server unreachable"
	case strings.Contains(reason, "Invalid authentication mechanism"):
		ev.Status, ev.StatusDetail = event.Failure, "invalid mechanism"
	default:
		ev.Status, ev.StatusDetail = event.Failure, "auth failed"
	}
	return nil
}

// smtpdClient reads "name[addr]:port, sasl_method=PLAIN, sasl_username=u": a
// message accepted; authenticated, it is a submission by that user.
func smtpdClient(s string, ev *event.Event) error {
	rest, ok := client(s, ev)
	if !ok {
		return errPostfixNoClient
	}
	ev.Class, ev.Status = event.ClassEmail, event.Success
	ev.Activity = event.EmailReceive
	if m, ok := valueAfter(rest, ", sasl_method=", ','); ok {
		ev.AuthMethod = m
	}
	// sasl_username is the last field Postfix writes (then sasl_sender,
	// orig_queue_id, orig_client); a name may hold ", ", so take up to the
	// next known field.
	if i := strings.Index(rest, ", sasl_username="); i >= 0 {
		u := rest[i+len(", sasl_username="):]
		for _, k := range [...]string{", sasl_sender=", ", orig_queue_id=", ", orig_client="} {
			if j := strings.LastIndex(u, k); j >= 0 {
				u = u[:j]
			}
		}
		ev.User = u
		ev.Activity = event.EmailSend
	}
	return nil
}

// smtpdReject reads "RCPT from name[addr]: 554 5.7.1 <x>: Sender address
// rejected: …; from=<s> to=<r> proto=ESMTP helo=<h>".
func smtpdReject(s string, ev *event.Event) error {
	cmd, from, ok := strings.Cut(s, " from ")
	if !ok || strings.IndexByte(cmd, ' ') >= 0 {
		return errPostfixNoClient
	}
	rest, ok := client(from, ev)
	if !ok {
		return errPostfixNoClient
	}
	ev.Class, ev.Activity, ev.Status = event.ClassEmail, event.EmailReceive, event.Failure
	ev.Command = cmd
	reply := strings.TrimPrefix(rest, ": ")
	// Postfix appends the envelope: "; from=<s> to=<r> proto=P helo=<h>", or
	// only "; proto=P helo=<h>" before MAIL FROM.
	i := strings.LastIndex(reply, "; from=<")
	if i < 0 {
		i = strings.LastIndex(reply, "; proto=")
	}
	if i >= 0 {
		env := reply[i+2:]
		reply = reply[:i]
		if v, ok := valueAfter(env, "from=<", '>'); ok {
			ev.Sender = v
		}
		if v, ok := lastValueAfter(env, " to=<", '>'); ok {
			ev.Recipient = v
		}
	}
	ev.Reason = reply
	ev.StatusDetail = rejectDetail(reply)
	return nil
}

func rejectDetail(reply string) string {
	for _, k := range [...]string{
		"Helo command rejected", "Sender address rejected", "Recipient address rejected",
		"Client host rejected", "Relay access denied", "Data command rejected",
		"Command rejected", "Service unavailable", "Access denied",
	} {
		if strings.Contains(reply, k) {
			if k == "Service unavailable" && strings.Contains(reply, " blocked using ") {
				return "client on a block list"
			}
			return strings.ToLower(k)
		}
	}
	return "rejected"
}

// smtpdDisconnect reads "name[addr] ehlo=1 auth=0/1 quit=1 commands=2/3": a
// failed authentication shows as auth=S/T with S < T.
func smtpdDisconnect(s string, ev *event.Event) error {
	rest, ok := client(s, ev)
	if !ok {
		return errPostfixNoClient
	}
	ev.Class, ev.Activity, ev.Status = event.ClassNetwork, event.NetClose, event.Success
	for kv := range strings.FieldsSeq(rest) {
		k, v, _ := strings.Cut(kv, "=")
		good, total, ok := pair(v)
		if !ok {
			if n, ok := count(v); ok {
				good, total = n, n
			} else {
				continue
			}
		}
		switch k {
		case "auth":
			ev.Counts.AuthAttempts, ev.Counts.AuthFailures = total, total-good
			ev.Counts.Has |= event.HasAuth
			if good < total {
				ev.Status, ev.StatusDetail = event.Failure, "auth failed"
			}
		}
	}
	return nil
}

// postfixScreen reads postscreen's verdicts on clients: "PREGREET 14 after 0.08
// from [addr]:port: …", "COMMAND TIME LIMIT from [addr]:port after CONNECT",
// "DNSBL rank 3 for [addr]:port", "CONNECT from [addr]:port to [addr]:25".
func postfixScreen(msg string, ev *event.Event) error {
	var detail string
	act := event.NetRefuse
	switch {
	case strings.HasPrefix(msg, "PREGREET "):
		detail = "pregreet"
	case strings.HasPrefix(msg, "COMMAND TIME LIMIT "), strings.HasPrefix(msg, "COMMAND COUNT LIMIT "), strings.HasPrefix(msg, "COMMAND LENGTH LIMIT "):
		detail = "command limit"
	case strings.HasPrefix(msg, "HANGUP "):
		detail, act = "hangup", event.NetClose
	case strings.HasPrefix(msg, "DNSBL rank "):
		detail = "client on a block list"
	case strings.HasPrefix(msg, "BARE NEWLINE "), strings.HasPrefix(msg, "NON-SMTP COMMAND "):
		detail = "protocol violation"
	case strings.HasPrefix(msg, "CONNECT from "):
		act = event.NetOpen
	default:
		return errPostfixScreen
	}
	i := strings.Index(msg, "[")
	if i < 0 {
		return errPostfixNoClient
	}
	if _, ok := client(msg[i:], ev); !ok {
		return errPostfixNoClient
	}
	ev.Class, ev.Activity = event.ClassNetwork, act
	ev.Status, ev.StatusDetail = event.Failure, detail
	if act == event.NetOpen {
		ev.Status, ev.StatusDetail = event.Success, ""
	}
	return nil
}

// postfixDelivery reads "QUEUEID: to=<r>, relay=…, delay=…, status=sent (…)".
func postfixDelivery(msg string, ev *event.Event) error {
	qid, rest := queuePrefix(msg)
	if qid == "" || !strings.HasPrefix(rest, "to=<") {
		return errPostfixOther
	}
	ev.QueueID = qid
	ev.Recipient, _ = valueAfter(rest, "to=<", '>')
	ev.Class, ev.Activity = event.ClassEmail, event.EmailTrace
	st, _ := lastValueAfter(rest, ", status=", ' ')
	switch st {
	case "sent", "delivered":
		ev.Status = event.Success
	case "":
		ev.Status = event.StatusUnknown
	default:
		ev.Status, ev.StatusDetail = event.Failure, st
	}
	return nil
}

// postfixQueued reads qmgr's "QUEUEID: from=<s>, size=285, nrcpt=2 (queue
// active)": the sender and number of recipients of a message about to be
// delivered, joined to its submission by the queue ID.
func postfixQueued(msg string, ev *event.Event) error {
	qid, rest := queuePrefix(msg)
	if qid == "" || !strings.HasPrefix(rest, "from=<") {
		return errPostfixOther
	}
	ev.QueueID = qid
	ev.Sender, _ = valueAfter(rest, "from=<", '>')
	ev.Class, ev.Activity, ev.Status = event.ClassEmail, event.EmailTrace, event.Success
	if n, ok := lastValueAfter(rest, ", nrcpt=", ' '); ok {
		if c, ok := count(n); ok {
			ev.Counts.Recipients, ev.Counts.Has = c, ev.Counts.Has|event.HasMail
		}
	}
	if n, ok := lastValueAfter(rest, ", size=", ','); ok {
		if c, ok := count(n); ok {
			ev.Counts.Size, ev.Counts.Has = c, ev.Counts.Has|event.HasMail
		}
	}
	return nil
}
