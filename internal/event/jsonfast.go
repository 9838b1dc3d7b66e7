package event

import (
	"encoding/json"
	"strconv"
	"time"
	"unicode/utf8"
)

// AppendJSON appends the event's JSON, byte for byte what MarshalJSON
// writes, to b. It is the hot path of every source: it writes the fields in
// the wire struct's order without reflection, and hands the rare string that
// needs escaping (and the rare time outside years 0–9999) to encoding/json,
// so the escaping rules are encoding/json's own.
func (e *Event) AppendJSON(b []byte) ([]byte, error) {
	b = append(b, `{"class_uid":`...)
	b = strconv.AppendUint(b, uint64(uint16(e.Class)), 10)
	b = appendStringField(b, `,"class_name":`, e.Class.Name())
	b = append(b, `,"category_uid":`...)
	b = strconv.AppendInt(b, int64(e.Class.CategoryUID()), 10)
	b = append(b, `,"activity_id":`...)
	b = strconv.AppendUint(b, uint64(uint8(e.Activity)), 10)
	b = appendStringField(b, `,"activity_name":`, ActivityName(e.Class, e.Activity))
	b = append(b, `,"type_uid":`...)
	b = strconv.AppendInt(b, int64(e.Class)*100+int64(e.Activity), 10)
	b = appendStringField(b, `,"status":`, e.Status.String())
	b = append(b, `,"status_id":`...)
	b = strconv.AppendUint(b, uint64(uint8(e.Status)), 10)
	b = appendOmitString(b, `,"status_detail":`, e.StatusDetail)
	b = append(b, `,"time":`...)
	var err error
	if b, err = appendTime(b, e.Time.UTC()); err != nil {
		return nil, err
	}
	if e.User != "" {
		b = appendStringField(b, `,"user":{"name":`, e.User)
		b = append(b, '}')
	}
	b = appendOmitString(b, `,"auth_protocol":`, e.AuthMethod)
	b = appendEndpoint(b, `,"src_endpoint":`, e.Src)
	b = appendEndpoint(b, `,"dst_endpoint":`, e.Dst)
	b = appendOmitString(b, `,"service":`, e.Service)
	if e.Session != "" {
		b = appendStringField(b, `,"session":{"uid":`, e.Session)
		b = append(b, '}')
	}
	if e.Secured {
		b = append(b, `,"is_encrypted":true`...)
	}
	if e.Host != "" {
		b = appendStringField(b, `,"device":{"hostname":`, e.Host)
		b = append(b, '}')
	}
	b = append(b, `,"metadata":{"product":{`...)
	if e.Product != "" {
		b = appendStringField(b, `"name":`, e.Product)
	}
	b = append(b, '}')
	b = appendOmitString(b, `,"log_name":`, e.LogName)
	b = appendOmitInt(b, `,"log_line":`, e.LogLine, e.LogLine != 0)
	b = append(b, '}')

	c := &e.Counts
	t, r, ch, p, a := c.Has&HasTraffic != 0, c.Has&HasIMAPRead != 0, c.Has&HasIMAPChange != 0, c.Has&HasPOP3 != 0, c.Has&HasAuth != 0
	b = appendOmitInt(b, `,"bytes_in":`, c.BytesIn, t)
	b = appendOmitInt(b, `,"bytes_out":`, c.BytesOut, t)
	b = appendOmitInt(b, `,"hdr_count":`, c.HdrCount, r)
	b = appendOmitInt(b, `,"hdr_bytes":`, c.HdrBytes, r)
	b = appendOmitInt(b, `,"body_count":`, c.BodyCount, r)
	b = appendOmitInt(b, `,"body_bytes":`, c.BodyBytes, r)
	b = appendOmitInt(b, `,"deleted":`, c.Deleted, ch)
	b = appendOmitInt(b, `,"expunged":`, c.Expunged, ch)
	b = appendOmitInt(b, `,"trashed":`, c.Trashed, ch)
	b = appendOmitInt(b, `,"top_count":`, c.TopCount, p)
	b = appendOmitInt(b, `,"top_bytes":`, c.TopBytes, p)
	b = appendOmitInt(b, `,"retr_count":`, c.RetrCount, p)
	b = appendOmitInt(b, `,"retr_bytes":`, c.RetrBytes, p)
	b = appendOmitInt(b, `,"del_count":`, c.DelCount, p)
	b = appendOmitInt(b, `,"msg_count":`, c.MsgCount, p)
	b = appendOmitInt(b, `,"size":`, c.Size, p || c.Has&HasMail != 0)
	b = appendOmitInt(b, `,"recipients":`, c.Recipients, c.Has&HasMail != 0)
	b = appendOmitInt(b, `,"auth_attempts":`, c.AuthAttempts, a)
	b = appendOmitInt(b, `,"auth_failures":`, c.AuthFailures, a)

	b = appendOmitString(b, `,"mailbox":`, e.Mailbox)
	b = appendOmitInt(b, `,"uid":`, int64(e.UID), e.UID != 0)
	b = appendOmitInt(b, `,"seq":`, int64(e.Seq), e.Seq != 0)
	b = appendOmitString(b, `,"message_id":`, e.MessageID)
	b = appendOmitInt(b, `,"mail_age_days":`, int64(e.MailAgeDays), e.HasMailAge)
	b = appendOmitString(b, `,"command":`, e.Command)
	b = appendOmitString(b, `,"command_args":`, e.CommandArgs)
	b = appendOmitString(b, `,"reason":`, e.Reason)
	b = appendOmitString(b, `,"queue_id":`, e.QueueID)
	b = appendOmitString(b, `,"sender":`, e.Sender)
	b = appendOmitString(b, `,"recipient":`, e.Recipient)
	return append(b, '}'), nil
}

func appendEndpoint(b []byte, key string, ep Endpoint) []byte {
	if ep.IsZero() {
		return b
	}
	b = append(b, key...)
	b = append(b, '{')
	n := len(b)
	comma := func() {
		if len(b) > n {
			b = append(b, ',')
		}
	}
	switch {
	case ep.IP.IsValid() && ep.IP.Zone() == "":
		// An address's text form needs no escaping; a zone might.
		b = append(b, `"ip":"`...)
		b = ep.IP.AppendTo(b)
		b = append(b, '"')
	case ep.IP.IsValid():
		b = appendStringField(b, `"ip":`, ep.IP.String())
	}
	if ep.Port != 0 {
		comma()
		b = append(b, `"port":`...)
		b = strconv.AppendUint(b, uint64(ep.Port), 10)
	}
	if ep.Hostname != "" {
		comma()
		b = appendStringField(b, `"hostname":`, ep.Hostname)
	}
	return append(b, '}')
}

func appendOmitString(b []byte, key, s string) []byte {
	if s == "" {
		return b
	}
	return appendStringField(b, key, s)
}

func appendOmitInt(b []byte, key string, v int64, has bool) []byte {
	if !has {
		return b
	}
	b = append(b, key...)
	return strconv.AppendInt(b, v, 10)
}

func appendStringField(b []byte, key, s string) []byte {
	b = append(b, key...)
	return appendString(b, s)
}

// appendString quotes s as encoding/json does. Printable ASCII other than
// the characters it escapes (" \ < > &) is copied; anything else goes
// through encoding/json itself.
func appendString(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x20 || c >= utf8.RuneSelf || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			q, err := json.Marshal(s)
			if err != nil { // a string always marshals
				panic(err)
			}
			return append(b, q...)
		}
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"')
}

// appendTime writes t as time.Time's MarshalJSON does (RFC 3339 with
// nanoseconds, quoted); years outside 0–9999 go to MarshalJSON for its error.
func appendTime(b []byte, t time.Time) ([]byte, error) {
	if y := t.Year(); y < 0 || y > 9999 {
		q, err := t.MarshalJSON()
		if err != nil {
			return nil, err
		}
		return append(b, q...), nil
	}
	b = append(b, '"')
	b = t.AppendFormat(b, time.RFC3339Nano)
	return append(b, '"'), nil
}
