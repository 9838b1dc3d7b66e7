// Package alert defines what detection hands on: an Alert with its severity,
// MITRE ATT&CK techniques, plain-language summary and evidence (the events'
// references and the message UIDs read), and groups alerts about the same
// account and source into incidents.
//
// The package holds data and grouping only: it must not detect, deliver
// (internal/notify does), or store anything.
package alert

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strconv"
	"time"
)

// Severity ranks an alert; the zero value is invalid.
type Severity uint8

// Severities, lowest first.
const (
	Low Severity = iota + 1
	Medium
	High
	Critical
)

// String is the lower-case name used in JSON and in rules.
func (s Severity) String() string {
	switch s {
	case Low:
		return "low"
	case Medium:
		return "medium"
	case High:
		return "high"
	case Critical:
		return "critical"
	}
	return "unknown"
}

// ParseSeverity reads a severity name (low, medium, high, critical; Sigma's
// "informational" counts as low).
func ParseSeverity(s string) (Severity, error) {
	switch s {
	case "low", "informational":
		return Low, nil
	case "medium":
		return Medium, nil
	case "high":
		return High, nil
	case "critical":
		return Critical, nil
	}
	return 0, fmt.Errorf("%w %q (want low, medium, high or critical)", ErrSeverity, s)
}

// ErrSeverity is returned for an unknown severity name.
var ErrSeverity = fmt.Errorf("unknown severity")

// MarshalJSON writes the name.
func (s Severity) MarshalJSON() ([]byte, error) { return json.Marshal(s.String()) }

// UnmarshalJSON reads the name.
func (s *Severity) UnmarshalJSON(b []byte) error {
	var name string
	if err := json.Unmarshal(b, &name); err != nil {
		return err
	}
	v, err := ParseSeverity(name)
	*s = v
	return err
}

// Alert is one finding. Time is the event time at which it was detected.
type Alert struct {
	ID        string    `json:"id"`
	Time      time.Time `json:"time"`
	Rule      string    `json:"rule"`
	Severity  Severity  `json:"severity"`
	User      string    `json:"user,omitempty"`
	SrcIP     string    `json:"src_ip,omitempty"`
	Attack    []string  `json:"attack"`
	Summary   string    `json:"summary"`
	FirstSeen time.Time `json:"first_seen"`
	LastSeen  time.Time `json:"last_seen"`
	Incident  string    `json:"incident,omitempty"`
	Evidence  Evidence  `json:"evidence"`
	// Host is the host the alert is about, for alerts about a host's state
	// (patch posture) rather than about a log's events.
	Host string `json:"host,omitempty"`
}

// Evidence says what the alert rests on.
type Evidence struct {
	// Count is the number of occurrences counted (failures, messages read).
	Count int `json:"count,omitempty"`
	// Accounts and Sources are the other accounts or addresses involved.
	Accounts []string `json:"accounts,omitempty"`
	Sources  []string `json:"sources,omitempty"`
	// Sessions are the server's session ids involved.
	Sessions []string `json:"sessions,omitempty"`
	// Reads lists, per session and mailbox, the messages read.
	Reads []Read `json:"reads,omitempty"`
	// Events are references to the log lines ("file:line"), at most a few dozen.
	Events []string `json:"events,omitempty"`
	// Findings are, for a posture alert, the findings or figures behind it
	// in words ("CVE-2021-26855 exchange 15.1.2176.2 → 15.1.2176.9").
	Findings []string `json:"findings,omitempty"`
}

// Read is what one session read from one mailbox.
type Read struct {
	Session string `json:"session"`
	User    string `json:"user"`
	Mailbox string `json:"mailbox"`
	// UIDs is the IMAP set of the UIDs read ("1:5,9"). Exact says whether it
	// comes from mail_opened events (exact) or from the commands' message
	// sets (an upper bound; a FETCH set holds sequence numbers).
	UIDs  string `json:"uids,omitempty"`
	Exact bool   `json:"exact"`
	// Messages is the number of messages opened; OldMessages those a year
	// old or more (mail_age_days).
	Messages    int `json:"messages"`
	OldMessages int `json:"old_messages,omitempty"`
	// Bound is the session's logout count of bodies (and headers) fetched,
	// when the session's end was seen.
	Bound string `json:"bound,omitempty"`
	// MessageIDs are the Message-IDs read, where the events carried them.
	MessageIDs []string `json:"message_ids,omitempty"`
}

// SetID gives a the id derived from what it is about, so that the same
// finding over the same input always has the same id.
func (a *Alert) SetID() {
	h := sha256.New()
	for _, s := range []string{a.Rule, a.User, a.SrcIP, strconv.FormatInt(a.FirstSeen.UnixNano(), 10), strconv.FormatInt(a.Time.UnixNano(), 10)} {
		h.Write([]byte(s))
		h.Write([]byte{0})
	}
	a.ID = hex.EncodeToString(h.Sum(nil)[:8])
}
