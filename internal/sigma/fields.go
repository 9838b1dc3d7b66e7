package sigma

import (
	"net/netip"
	"strconv"
	"strings"

	"github.com/vigilhq/vigil/internal/event"
)

// field reads one event field for matching: as text, and as a number or an
// address where the field is one.
type field struct {
	name string
	str  func(*event.Event) string
	num  func(*event.Event) (int64, bool)
	ip   func(*event.Event) netip.Addr
}

func strField(name string, f func(*event.Event) string) *field {
	return &field{name: name, str: f}
}

func numField(name string, f func(*event.Event) (int64, bool)) *field {
	return &field{name: name, num: f, str: func(ev *event.Event) string {
		if n, ok := f(ev); ok {
			return strconv.FormatInt(n, 10)
		}
		return ""
	}}
}

func ipField(name string, f func(*event.Event) netip.Addr) *field {
	return &field{name: name, ip: f, str: func(ev *event.Event) string {
		if a := f(ev); a.IsValid() {
			return a.String()
		}
		return ""
	}}
}

func counted(f func(*event.Event) int64) func(*event.Event) (int64, bool) {
	return func(ev *event.Event) (int64, bool) { n := f(ev); return n, n != 0 }
}

// fields maps Sigma field names to vigil's event fields. docs/sigma.md
// documents the table; names are matched case-insensitively, and common
// Sigma taxonomy aliases (SourceIp, TargetUserName…) are accepted.
var fields = map[string]*field{}

func init() {
	add := func(f *field, aliases ...string) {
		fields[strings.ToLower(f.name)] = f
		for _, a := range aliases {
			fields[strings.ToLower(a)] = f
		}
	}
	add(strField("user", func(ev *event.Event) string { return ev.User }), "user.name", "username", "TargetUserName", "sasl_username")
	add(ipField("src_ip", func(ev *event.Event) netip.Addr { return ev.Src.IP }), "src_endpoint.ip", "SourceIp", "ClientIP", "rip", "remote_ip")
	add(numField("src_port", func(ev *event.Event) (int64, bool) { return int64(ev.Src.Port), ev.Src.Port != 0 }), "SourcePort")
	add(strField("src_hostname", func(ev *event.Event) string { return ev.Src.Hostname }), "SourceHostname")
	add(ipField("dst_ip", func(ev *event.Event) netip.Addr { return ev.Dst.IP }), "dst_endpoint.ip", "DestinationIp", "lip")
	add(numField("dst_port", func(ev *event.Event) (int64, bool) { return int64(ev.Dst.Port), ev.Dst.Port != 0 }), "DestinationPort")
	add(strField("service", func(ev *event.Event) string { return ev.Service }))
	add(strField("product", func(ev *event.Event) string { return ev.Product }), "metadata.product.name")
	add(strField("hostname", func(ev *event.Event) string { return ev.Host }), "device.hostname", "Computer")
	add(numField("class_uid", func(ev *event.Event) (int64, bool) { return int64(ev.Class), ev.Class != 0 }))
	add(strField("class_name", func(ev *event.Event) string { return ev.Class.Name() }))
	add(numField("activity_id", func(ev *event.Event) (int64, bool) { return int64(ev.Activity), ev.Activity != 0 }))
	add(strField("activity_name", func(ev *event.Event) string { return event.ActivityName(ev.Class, ev.Activity) }), "activity")
	add(strField("status", func(ev *event.Event) string { return ev.Status.String() }))
	add(strField("status_detail", func(ev *event.Event) string { return ev.StatusDetail }))
	add(strField("auth_protocol", func(ev *event.Event) string { return ev.AuthMethod }), "method", "mechanism")
	add(strField("session", func(ev *event.Event) string { return ev.Session }), "session.uid")
	add(strField("mailbox", func(ev *event.Event) string { return ev.Mailbox }))
	add(numField("uid", func(ev *event.Event) (int64, bool) { return int64(ev.UID), ev.UID != 0 }))
	add(numField("mail_age_days", func(ev *event.Event) (int64, bool) { return int64(ev.MailAgeDays), ev.HasMailAge }))
	add(strField("message_id", func(ev *event.Event) string { return ev.MessageID }))
	add(strField("command", func(ev *event.Event) string { return ev.Command }), "cmd_name")
	add(strField("command_args", func(ev *event.Event) string { return ev.CommandArgs }), "cmd_args")
	add(strField("reason", func(ev *event.Event) string { return ev.Reason }))
	add(strField("queue_id", func(ev *event.Event) string { return ev.QueueID }))
	add(strField("sender", func(ev *event.Event) string { return ev.Sender }))
	add(strField("recipient", func(ev *event.Event) string { return ev.Recipient }))
	add(numField("bytes_out", counted(func(ev *event.Event) int64 { return ev.Counts.BytesOut })))
	add(numField("bytes_in", counted(func(ev *event.Event) int64 { return ev.Counts.BytesIn })))
	add(numField("hdr_count", counted(func(ev *event.Event) int64 { return ev.Counts.HdrCount })))
	add(numField("body_count", counted(func(ev *event.Event) int64 { return ev.Counts.BodyCount })))
	add(numField("body_bytes", counted(func(ev *event.Event) int64 { return ev.Counts.BodyBytes })))
	add(numField("retr_count", counted(func(ev *event.Event) int64 { return ev.Counts.RetrCount })))
	add(numField("retr_bytes", counted(func(ev *event.Event) int64 { return ev.Counts.RetrBytes })))
	add(numField("deleted", counted(func(ev *event.Event) int64 { return ev.Counts.Deleted })))
	add(numField("expunged", counted(func(ev *event.Event) int64 { return ev.Counts.Expunged })))
	add(numField("recipients", counted(func(ev *event.Event) int64 { return ev.Counts.Recipients })))
	add(numField("auth_attempts", counted(func(ev *event.Event) int64 { return ev.Counts.AuthAttempts })))
}

// categories maps Sigma logsource categories to event classes.
var categories = map[string]event.Class{
	"authentication": event.ClassAuthentication,
	"network":        event.ClassNetwork,
	"email":          event.ClassEmail,
	"imap_command":   event.ClassAPI,
	"mail_read":      event.ClassDatastore,
}
