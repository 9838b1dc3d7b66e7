// Package event defines vigil's one normalized event: what a parser makes of a
// log line, what the bus carries, what detectors read and what the store
// indexes. Its JSON rendering is shaped after OCSF (docs/events.md lists every
// field and the OCSF class it maps to).
//
// The package holds data and its encoding only: it must not parse logs, talk to
// the bus or store, or import any other vigil package.
package event

import (
	"net/netip"
	"time"
)

// Event is one normalized occurrence on a mail server: a login, a failed login,
// a session's end with its read counts, a message opened, an IMAP command, a
// message submitted, a connection refused. It is a plain struct, filled in place
// by parsers, so the hot path allocates little; Reset makes it reusable.
type Event struct {
	// Time is when the event happened, as precise as the log says, in UTC.
	Time time.Time
	// Class is the OCSF event class; Activity is the activity within it.
	Class    Class
	Activity Activity
	// Status says whether the activity succeeded; StatusDetail says why not,
	// in a short fixed phrase ("password mismatch", "unknown user").
	Status       Status
	StatusDetail string

	// Product is the software that wrote the line: dovecot, postfix, roundcube.
	Product string
	// Service is the protocol the client spoke: imap, pop3, submission, smtp,
	// webmail, managesieve, lmtp.
	Service string
	// Host is the name of the machine that logged the line (syslog HOSTNAME).
	Host string

	// User is the account name as the client gave it. Attacker-controlled.
	User string
	// AuthMethod is the SASL mechanism or login method (PLAIN, LOGIN, CRAM-MD5).
	AuthMethod string
	// Src is the client; Dst is the server side of the connection.
	Src Endpoint
	Dst Endpoint
	// Session is the server's identifier of the client session (Dovecot's
	// session=<…>, Postfix's queue ID is QueueID, Roundcube's session id).
	Session string
	// Secured is true when the server said the connection was TLS or otherwise
	// secured; false means unknown or plaintext.
	Secured bool

	// Counts carries the volumes a session or command reports.
	Counts Counts

	// Mailbox, UID, Seq and MessageID identify a message or folder acted on.
	Mailbox   string
	UID       uint32
	Seq       uint32
	MessageID string
	// MailAgeDays is Dovecot's mail_age_days of an opened message; valid only
	// when HasMailAge is set.
	MailAgeDays int32
	HasMailAge  bool

	// Command is the protocol command (IMAP "UID FETCH", POP3 "RETR"),
	// CommandArgs its arguments as logged. Reason is the server's free-text
	// reason or reply, for the reader; detectors key on StatusDetail instead.
	Command     string
	CommandArgs string
	Reason      string

	// QueueID, Sender and Recipient describe mail handed to the MTA.
	QueueID   string
	Sender    string
	Recipient string

	// LogName and LogLine say where the event was read: file (or source) and
	// 1-based line number.
	LogName string
	LogLine int64
}

// Endpoint is one end of a network connection.
type Endpoint struct {
	IP       netip.Addr
	Port     uint16
	Hostname string // reverse-DNS name as the server logged it; attacker-influenced
}

// IsZero reports whether nothing is known about the endpoint.
func (e Endpoint) IsZero() bool { return !e.IP.IsValid() && e.Port == 0 && e.Hostname == "" }

// Counts are the volumes a server reports for a session or a command. A zero
// field means zero or not reported; Has says which groups were reported.
type Counts struct {
	Has CountSet

	BytesIn  int64 // in=: bytes the client sent
	BytesOut int64 // out= or bytes_out: bytes the server sent

	HdrCount  int64 // messages whose headers were fetched
	HdrBytes  int64
	BodyCount int64 // messages whose bodies were fetched
	BodyBytes int64

	Deleted  int64
	Expunged int64
	Trashed  int64

	// POP3: top=TopCount/TopBytes, retr=RetrCount/RetrBytes, del=DelCount/MsgCount, size=Size.
	TopCount  int64
	TopBytes  int64
	RetrCount int64
	RetrBytes int64
	DelCount  int64
	MsgCount  int64
	Size      int64

	// Recipients is the number of recipients of a submitted or queued message.
	Recipients int64

	// AuthAttempts and AuthFailures: login attempts in a pre-login session,
	// or Postfix's auth=S/T on disconnect.
	AuthAttempts int64
	AuthFailures int64
}

// CountSet marks which groups of Counts a line reported.
type CountSet uint8

// Groups of counts.
const (
	HasTraffic    CountSet = 1 << iota // BytesIn/BytesOut
	HasIMAPRead                        // HdrCount..BodyBytes
	HasIMAPChange                      // Deleted/Expunged/Trashed
	HasPOP3                            // Top*, Retr*, Del*, MsgCount, Size
	HasAuth                            // AuthAttempts/AuthFailures
	HasMail                            // Recipients and Size of a message
)

// Reset clears e for reuse, keeping nothing from the previous event.
func (e *Event) Reset() { *e = Event{} }
