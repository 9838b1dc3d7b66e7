package event

import (
	"encoding/json"
	"fmt"
	"net/netip"
	"time"
)

// wire is the OCSF-shaped JSON form of an Event. Field names follow OCSF where
// OCSF has one; the mail-specific counts are top-level extensions.
type wire struct {
	ClassUID     uint16    `json:"class_uid"`
	ClassName    string    `json:"class_name"`
	CategoryUID  int       `json:"category_uid"`
	ActivityID   uint8     `json:"activity_id"`
	ActivityName string    `json:"activity_name"`
	TypeUID      int       `json:"type_uid"`
	Status       string    `json:"status"`
	StatusID     uint8     `json:"status_id"`
	StatusDetail string    `json:"status_detail,omitempty"`
	Time         time.Time `json:"time"`

	User         *wireUser     `json:"user,omitempty"`
	AuthProtocol string        `json:"auth_protocol,omitempty"`
	Src          *wireEndpoint `json:"src_endpoint,omitempty"`
	Dst          *wireEndpoint `json:"dst_endpoint,omitempty"`
	Service      string        `json:"service,omitempty"`
	Session      *wireSession  `json:"session,omitempty"`
	IsEncrypted  bool          `json:"is_encrypted,omitempty"`
	Device       *wireDevice   `json:"device,omitempty"`
	Metadata     wireMetadata  `json:"metadata"`

	BytesIn      *int64 `json:"bytes_in,omitempty"`
	BytesOut     *int64 `json:"bytes_out,omitempty"`
	HdrCount     *int64 `json:"hdr_count,omitempty"`
	HdrBytes     *int64 `json:"hdr_bytes,omitempty"`
	BodyCount    *int64 `json:"body_count,omitempty"`
	BodyBytes    *int64 `json:"body_bytes,omitempty"`
	Deleted      *int64 `json:"deleted,omitempty"`
	Expunged     *int64 `json:"expunged,omitempty"`
	Trashed      *int64 `json:"trashed,omitempty"`
	TopCount     *int64 `json:"top_count,omitempty"`
	TopBytes     *int64 `json:"top_bytes,omitempty"`
	RetrCount    *int64 `json:"retr_count,omitempty"`
	RetrBytes    *int64 `json:"retr_bytes,omitempty"`
	DelCount     *int64 `json:"del_count,omitempty"`
	MsgCount     *int64 `json:"msg_count,omitempty"`
	Size         *int64 `json:"size,omitempty"`
	Recipients   *int64 `json:"recipients,omitempty"`
	AuthAttempts *int64 `json:"auth_attempts,omitempty"`
	AuthFailures *int64 `json:"auth_failures,omitempty"`

	Mailbox     string `json:"mailbox,omitempty"`
	UID         uint32 `json:"uid,omitempty"`
	Seq         uint32 `json:"seq,omitempty"`
	MessageID   string `json:"message_id,omitempty"`
	MailAgeDays *int32 `json:"mail_age_days,omitempty"`
	Command     string `json:"command,omitempty"`
	CommandArgs string `json:"command_args,omitempty"`
	Reason      string `json:"reason,omitempty"`
	QueueID     string `json:"queue_id,omitempty"`
	Sender      string `json:"sender,omitempty"`
	Recipient   string `json:"recipient,omitempty"`
}

type wireUser struct {
	Name string `json:"name"`
}

type wireEndpoint struct {
	IP       string `json:"ip,omitempty"`
	Port     uint16 `json:"port,omitempty"`
	Hostname string `json:"hostname,omitempty"`
}

type wireSession struct {
	UID string `json:"uid"`
}

type wireDevice struct {
	Hostname string `json:"hostname"`
}

type wireMetadata struct {
	Product wireProduct `json:"product"`
	LogName string      `json:"log_name,omitempty"`
	LogLine int64       `json:"log_line,omitempty"`
}

type wireProduct struct {
	Name string `json:"name,omitempty"`
}

func endpointWire(e Endpoint) *wireEndpoint {
	if e.IsZero() {
		return nil
	}
	w := &wireEndpoint{Port: e.Port, Hostname: e.Hostname}
	if e.IP.IsValid() {
		w.IP = e.IP.String()
	}
	return w
}

func endpointFromWire(w *wireEndpoint) (Endpoint, error) {
	if w == nil {
		return Endpoint{}, nil
	}
	e := Endpoint{Port: w.Port, Hostname: w.Hostname}
	if w.IP != "" {
		ip, err := netip.ParseAddr(w.IP)
		if err != nil {
			return e, fmt.Errorf("endpoint ip: %w", err)
		}
		e.IP = ip
	}
	return e, nil
}

func opt(has bool, v int64) *int64 {
	if !has {
		return nil
	}
	return &v
}

// MarshalJSON renders the event in its OCSF-shaped form.
func (e *Event) MarshalJSON() ([]byte, error) {
	w := wire{
		ClassUID:     uint16(e.Class),
		ClassName:    e.Class.Name(),
		CategoryUID:  e.Class.CategoryUID(),
		ActivityID:   uint8(e.Activity),
		ActivityName: ActivityName(e.Class, e.Activity),
		TypeUID:      int(e.Class)*100 + int(e.Activity),
		Status:       e.Status.String(),
		StatusID:     uint8(e.Status),
		StatusDetail: e.StatusDetail,
		Time:         e.Time.UTC(),
		AuthProtocol: e.AuthMethod,
		Src:          endpointWire(e.Src),
		Dst:          endpointWire(e.Dst),
		Service:      e.Service,
		IsEncrypted:  e.Secured,
		Metadata: wireMetadata{
			Product: wireProduct{Name: e.Product},
			LogName: e.LogName,
			LogLine: e.LogLine,
		},
		Mailbox:     e.Mailbox,
		UID:         e.UID,
		Seq:         e.Seq,
		MessageID:   e.MessageID,
		Command:     e.Command,
		CommandArgs: e.CommandArgs,
		Reason:      e.Reason,
		QueueID:     e.QueueID,
		Sender:      e.Sender,
		Recipient:   e.Recipient,
	}
	if e.User != "" {
		w.User = &wireUser{Name: e.User}
	}
	if e.Session != "" {
		w.Session = &wireSession{UID: e.Session}
	}
	if e.Host != "" {
		w.Device = &wireDevice{Hostname: e.Host}
	}
	if e.HasMailAge {
		d := e.MailAgeDays
		w.MailAgeDays = &d
	}
	c := &e.Counts
	t, r, ch, p, a := c.Has&HasTraffic != 0, c.Has&HasIMAPRead != 0, c.Has&HasIMAPChange != 0, c.Has&HasPOP3 != 0, c.Has&HasAuth != 0
	w.BytesIn, w.BytesOut = opt(t, c.BytesIn), opt(t, c.BytesOut)
	w.HdrCount, w.HdrBytes, w.BodyCount, w.BodyBytes = opt(r, c.HdrCount), opt(r, c.HdrBytes), opt(r, c.BodyCount), opt(r, c.BodyBytes)
	w.Deleted, w.Expunged, w.Trashed = opt(ch, c.Deleted), opt(ch, c.Expunged), opt(ch, c.Trashed)
	w.TopCount, w.TopBytes, w.RetrCount, w.RetrBytes = opt(p, c.TopCount), opt(p, c.TopBytes), opt(p, c.RetrCount), opt(p, c.RetrBytes)
	w.DelCount, w.MsgCount, w.Size = opt(p, c.DelCount), opt(p, c.MsgCount), opt(p || c.Has&HasMail != 0, c.Size)
	w.Recipients = opt(c.Has&HasMail != 0, c.Recipients)
	w.AuthAttempts, w.AuthFailures = opt(a, c.AuthAttempts), opt(a, c.AuthFailures)
	return json.Marshal(&w)
}

// UnmarshalJSON reads the form MarshalJSON writes.
func (e *Event) UnmarshalJSON(b []byte) error {
	var w wire
	if err := json.Unmarshal(b, &w); err != nil {
		return fmt.Errorf("event: %w", err)
	}
	src, err := endpointFromWire(w.Src)
	if err != nil {
		return fmt.Errorf("event src_endpoint: %w", err)
	}
	dst, err := endpointFromWire(w.Dst)
	if err != nil {
		return fmt.Errorf("event dst_endpoint: %w", err)
	}
	*e = Event{
		Time:         w.Time.UTC(),
		Class:        Class(w.ClassUID),
		Activity:     Activity(w.ActivityID),
		Status:       Status(w.StatusID),
		StatusDetail: w.StatusDetail,
		Product:      w.Metadata.Product.Name,
		Service:      w.Service,
		AuthMethod:   w.AuthProtocol,
		Src:          src,
		Dst:          dst,
		Secured:      w.IsEncrypted,
		Mailbox:      w.Mailbox,
		UID:          w.UID,
		Seq:          w.Seq,
		MessageID:    w.MessageID,
		Command:      w.Command,
		CommandArgs:  w.CommandArgs,
		Reason:       w.Reason,
		QueueID:      w.QueueID,
		Sender:       w.Sender,
		Recipient:    w.Recipient,
		LogName:      w.Metadata.LogName,
		LogLine:      w.Metadata.LogLine,
	}
	if w.User != nil {
		e.User = w.User.Name
	}
	if w.Session != nil {
		e.Session = w.Session.UID
	}
	if w.Device != nil {
		e.Host = w.Device.Hostname
	}
	if w.MailAgeDays != nil {
		e.MailAgeDays, e.HasMailAge = *w.MailAgeDays, true
	}
	c := &e.Counts
	set := func(flag CountSet, pairs ...any) {
		for i := 0; i < len(pairs); i += 2 {
			if p := pairs[i+1].(*int64); p != nil {
				*(pairs[i].(*int64)) = *p
				c.Has |= flag
			}
		}
	}
	set(HasTraffic, &c.BytesIn, w.BytesIn, &c.BytesOut, w.BytesOut)
	set(HasIMAPRead, &c.HdrCount, w.HdrCount, &c.HdrBytes, w.HdrBytes, &c.BodyCount, w.BodyCount, &c.BodyBytes, w.BodyBytes)
	set(HasIMAPChange, &c.Deleted, w.Deleted, &c.Expunged, w.Expunged, &c.Trashed, w.Trashed)
	set(HasPOP3, &c.TopCount, w.TopCount, &c.TopBytes, w.TopBytes, &c.RetrCount, w.RetrCount, &c.RetrBytes, w.RetrBytes,
		&c.DelCount, w.DelCount, &c.MsgCount, w.MsgCount)
	set(HasMail, &c.Recipients, w.Recipients)
	if w.Size != nil {
		c.Size = *w.Size
		if c.Has&HasPOP3 == 0 {
			c.Has |= HasMail
		}
	}
	set(HasAuth, &c.AuthAttempts, w.AuthAttempts, &c.AuthFailures, w.AuthFailures)
	return nil
}
