package parse

import (
	"math"
	"strings"
	"time"

	"github.com/valyala/fastjson"

	"github.com/vigilhq/vigil/internal/event"
)

// dovecotExporter reads the JSON events of Dovecot's event exporter
// (format = json), both as logged by transport = log ("stats: Info: {…}") and
// as POSTed by transport = http-post (a bare JSON object per line):
// auth_request_finished, imap_command_finished and mail_opened.
type dovecotExporter struct {
	p fastjson.Parser
}

var _ Parser = (*dovecotExporter)(nil)

func (*dovecotExporter) Name() string   { return "dovecot-exporter" }
func (*dovecotExporter) Family() string { return "dovecot" }

// exporterJSON returns the JSON object of an exporter line, if it is one.
func exporterJSON(h *Header) (string, bool) {
	m := h.Msg
	switch h.Program {
	case "stats":
	case "", "dovecot":
		if !strings.HasPrefix(m, "stats: ") {
			return m, h.Style == StyleNone && strings.HasPrefix(m, "{")
		}
		m = m[len("stats: "):]
	default:
		return "", false
	}
	m = strings.TrimPrefix(m, "Info: ")
	return m, strings.HasPrefix(m, "{")
}

func (*dovecotExporter) Claims(h *Header) bool {
	_, ok := exporterJSON(h)
	return ok
}

var (
	errExporterJSON   = unparsed("dovecot exporter line is not a valid JSON object")
	errExporterNoName = unparsed("dovecot exporter object without an event name")
	errExporterEvent  = ignored("dovecot exporter event vigil does not use")
	errExporterFields = unparsed("dovecot exporter event without the fields it needs")
)

func (x *dovecotExporter) Parse(h *Header, ev *event.Event) error {
	js, _ := exporterJSON(h)
	v, err := x.p.Parse(js)
	if err != nil || v.Type() != fastjson.TypeObject {
		return errExporterJSON
	}
	name := string(v.GetStringBytes("event"))
	if name == "" {
		return errExporterNoName
	}
	f := v.Get("fields")
	if f == nil || f.Type() != fastjson.TypeObject {
		return errExporterFields
	}
	ev.Product = "dovecot"
	ev.Time = exporterTime(v, h)
	ev.User = str(f, "user")
	ev.Session = str(f, "session")
	if a, ok := addr(str(f, "remote_ip")); ok {
		ev.Src.IP = a
	}
	if a, ok := addr(str(f, "local_ip")); ok {
		ev.Dst.IP = a
	}
	ev.Src.Port = clampU16(f.GetUint("remote_port"))
	ev.Dst.Port = clampU16(f.GetUint("local_port"))
	ev.Service = exporterService(v, f)
	ev.Host = str(v, "hostname")

	switch name {
	case "auth_request_finished":
		ev.Class, ev.Activity = event.ClassAuthentication, event.Logon
		ev.AuthMethod = str(f, "mechanism")
		if ou := str(f, "original_user"); ou != "" {
			ev.User = ou
		}
		if str(f, "success") == "yes" {
			ev.Status = event.Success
		} else {
			ev.Status = event.Failure
			ev.StatusDetail = "auth failed"
			if str(f, "error") != "" {
				ev.Reason = str(f, "error")
			}
		}
		switch str(f, "transport") {
		case "secured", "trusted", "TLS":
			ev.Secured = true
		}
	case "imap_command_finished":
		ev.Class = event.ClassAPI
		ev.Command = str(f, "cmd_name")
		ev.CommandArgs = str(f, "cmd_args")
		ev.Mailbox = str(f, "mailbox")
		ev.Activity = imapActivity(ev.Command)
		ev.Reason = str(f, "tagged_reply")
		switch str(f, "tagged_reply_state") {
		case "OK":
			ev.Status = event.Success
		case "NO", "BAD":
			ev.Status = event.Failure
			ev.StatusDetail = "command " + str(f, "tagged_reply_state")
		}
		ev.Counts.BytesIn = clampI64(f.GetUint("bytes_in"))
		ev.Counts.BytesOut = clampI64(f.GetUint("bytes_out"))
		ev.Counts.Has |= event.HasTraffic
	case "mail_opened":
		ev.Class, ev.Activity, ev.Status = event.ClassDatastore, event.APIRead, event.Success
		ev.Mailbox = str(f, "mailbox")
		ev.UID = clampU32(f.GetUint("uid"))
		ev.Seq = clampU32(f.GetUint("seq"))
		if ev.UID == 0 {
			return errExporterFields
		}
		if a := f.Get("mail_age_days"); a != nil && a.Type() == fastjson.TypeNumber {
			ev.MailAgeDays, ev.HasMailAge = clampI32(a.GetInt()), true
		}
		// reason_code lists the command then the access: ["imap:cmd_uid_fetch",
		// "imap:fetch_body"]; the last says how the message was read.
		if rc := f.GetArray("reason_code"); len(rc) > 0 {
			ev.Command = string(rc[len(rc)-1].GetStringBytes())
		}
	default:
		ev.Reset()
		return errExporterEvent
	}
	return nil
}

// str returns a string field, or "" when absent or not a string.
func str(v *fastjson.Value, key string) string {
	b := v.GetStringBytes(key)
	if len(b) == 0 {
		return ""
	}
	return string(b)
}

// exporterTime takes end_time (RFC 3339, time-rfc3339) or, failing that, the
// log line's time.
func exporterTime(v *fastjson.Value, h *Header) time.Time {
	for _, k := range [...]string{"end_time", "start_time"} {
		if b := v.GetStringBytes(k); len(b) > 0 {
			if t, err := time.Parse(time.RFC3339Nano, string(b)); err == nil {
				return t
			}
		}
	}
	return h.Time
}

// exporterService is fields.service, or the "service:NAME" category.
func exporterService(v, f *fastjson.Value) string {
	if s := str(f, "service"); s != "" {
		return s
	}
	for _, c := range v.GetArray("categories") {
		if s := string(c.GetStringBytes()); strings.HasPrefix(s, "service:") && s != "service:auth" {
			return s[len("service:"):]
		}
	}
	return ""
}

// imapActivity maps an IMAP command to the API activity it is.
func imapActivity(cmd string) event.Activity {
	switch strings.TrimPrefix(strings.ToUpper(cmd), "UID ") {
	case "FETCH", "SELECT", "EXAMINE", "LIST", "LSUB", "STATUS", "SEARCH", "SORT", "THREAD", "GETQUOTAROOT", "GETMETADATA", "NOTIFY", "IDLE":
		return event.APIRead
	case "APPEND", "CREATE", "COPY":
		return event.APICreate
	case "STORE", "MOVE", "RENAME", "SUBSCRIBE", "UNSUBSCRIBE", "SETMETADATA":
		return event.APIUpdate
	case "EXPUNGE", "DELETE", "CLOSE":
		return event.APIDelete
	}
	return event.ActivityOther
}

// Numbers from JSON are the client's or a broken server's to choose; out of
// range they become 0 (or the nearest bound), never a wrapped value.
func clampU16(v uint) uint16 {
	if v > math.MaxUint16 {
		return 0
	}
	return uint16(v)
}

func clampU32(v uint) uint32 {
	if v > math.MaxUint32 {
		return 0
	}
	return uint32(v)
}

func clampI64(v uint) int64 {
	if v > math.MaxInt64 {
		return math.MaxInt64
	}
	return int64(v)
}

func clampI32(v int) int32 {
	return int32(max(math.MinInt32, min(v, math.MaxInt32)))
}
