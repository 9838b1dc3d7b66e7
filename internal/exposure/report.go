package exposure

import (
	"context"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"filippo.io/age"

	"github.com/vigilhq/vigil/internal/mailstore"
	"github.com/vigilhq/vigil/internal/phi"
)

// ErrRecipient is returned for a notification-list recipient that is not an
// age X25519 public key (age1…).
var ErrRecipient = errors.New("notification list recipient")

// AssessOptions configures an exposure assessment.
type AssessOptions struct {
	Window   Window
	Logs     []string
	Location *time.Location
	Store    string // the account's Maildir
	Scan     Options
	// Recipient is the age public key the notification list is encrypted
	// to; without one no list is written.
	Recipient string
	// OutDir receives the encrypted list and the audit log.
	OutDir string
	// Operator is who ran the assessment, for the audit log.
	Operator string
	Now      func() time.Time
}

// Report is the exposure report. It holds counts only, never identifiers.
type Report struct {
	Account                  string         `json:"account"`
	Source                   string         `json:"source"`
	From                     time.Time      `json:"from"`
	To                       time.Time      `json:"to"`
	Sessions                 int            `json:"sessions"`
	MailOpenedEvents         int            `json:"mail_opened_events"`
	BodiesFetched            int64          `json:"bodies_fetched"`
	MessagesRead             int            `json:"messages_read"`
	MessagesScanned          int            `json:"messages_scanned"`
	MessagesWithPersonalData int            `json:"messages_with_personal_data"`
	MessagesWithHealthData   int            `json:"messages_with_health_data"`
	DistinctSubjects         int            `json:"distinct_subjects"`
	SubjectsWithHealthData   int            `json:"subjects_with_health_data"`
	OtherPeople              int            `json:"other_people"`
	Categories               map[string]int `json:"categories"`
	NotFullyScanned          int            `json:"not_fully_scanned"`
	Exact                    bool           `json:"exact"`
	Why                      []string       `json:"why,omitempty"`
	NotificationList         string         `json:"notification_list,omitempty"`
	AuditLog                 string         `json:"audit_log,omitempty"`
}

// Assess finds what the window's sessions read and what personal data it held.
func Assess(ctx context.Context, o AssessOptions) (*Report, *Result, error) {
	if o.Now == nil {
		o.Now = time.Now
	}
	var rcpt age.Recipient
	if o.Recipient != "" {
		r, err := age.ParseX25519Recipient(o.Recipient)
		if err != nil {
			return nil, nil, fmt.Errorf("%w: %w", ErrRecipient, err)
		}
		rcpt = r
	}
	acc, err := ReadAccess(o.Logs, o.Window, o.Location)
	if err != nil {
		return nil, nil, err
	}
	rep := &Report{Account: o.Window.Account, Source: o.Window.Source.String(), From: o.Window.From, To: o.Window.To,
		Sessions: acc.Sessions, MailOpenedEvents: acc.Events, BodiesFetched: acc.BodyCount + acc.Retrieved, Exact: true, Categories: map[string]int{}}
	opts := o.Scan
	found := map[MessageRef]bool{}
	if len(acc.Opened) == 0 && len(acc.Fetches) > 0 {
		// No mail_opened events: take the messages from the FETCH commands.
		if err := fromFetches(acc, o.Store, rep); err != nil {
			return nil, nil, err
		}
	}
	switch {
	case len(acc.Opened) > 0:
		rep.MessagesRead = len(acc.Opened)
		opts.Select = func(m mailstore.Message) bool {
			ref := MessageRef{m.Mailbox, m.UID}
			if acc.Opened[ref] {
				found[ref] = true
				return true
			}
			return false
		}
	case rep.BodiesFetched > 0:
		rep.Exact = false
		rep.Why = append(rep.Why, "the logs report bodies fetched but no mail_opened events (enable Dovecot's event exporter): every message in the store is counted as read, an upper bound")
	default:
		rep.Why = append(rep.Why, "no message was read by this account from this source in the window")
		opts.Select = func(mailstore.Message) bool { return false }
	}
	res, err := Scan(ctx, o.Store, opts)
	if err != nil {
		return nil, nil, err
	}
	if len(acc.Opened) == 0 && rep.BodiesFetched > 0 {
		rep.MessagesRead = res.Messages
	}
	if missing := len(acc.Opened) - len(found); len(acc.Opened) > 0 && missing > 0 {
		rep.Exact = false
		rep.Why = append(rep.Why, fmt.Sprintf("%d message(s) read are no longer in the store (expunged or moved): their content is unknown, so the counts are lower bounds", missing))
	}
	if res.Skipped > 0 {
		rep.Exact = false
		rep.Why = append(rep.Why, fmt.Sprintf("%d message(s) skipped as done by an earlier run (checkpoint): counts cover this run only", res.Skipped))
	}
	rep.MessagesScanned = res.Messages
	rep.MessagesWithPersonalData = res.MessagesWithPersonalData
	rep.MessagesWithHealthData = res.MessagesWithHealthData
	for _, r := range res.Records {
		if r.Type == NotFullyScanned {
			rep.NotFullyScanned++
		}
	}
	if rep.NotFullyScanned > 0 {
		rep.Exact = false
		rep.Why = append(rep.Why, fmt.Sprintf("%d part(s) not fully scanned: the counts are lower bounds for them", rep.NotFullyScanned))
	}
	if len(res.Errors) > 0 {
		rep.Exact = false
		rep.Why = append(rep.Why, fmt.Sprintf("%d message(s) could not be read", len(res.Errors)))
	}
	if !res.Subjects.Exact {
		rep.Exact = false
		rep.Why = append(rep.Why, res.Subjects.Why...)
	}
	for _, s := range res.Subjects.Subjects {
		if !s.Patient {
			rep.OtherPeople++
			continue
		}
		rep.DistinctSubjects++
		health := false
		for t := range s.Categories {
			rep.Categories[string(t)]++
			health = health || t.Health()
		}
		if health {
			rep.SubjectsWithHealthData++
		}
	}
	if o.OutDir != "" {
		if err := os.MkdirAll(o.OutDir, 0o700); err != nil {
			return nil, nil, fmt.Errorf("exposure: %w", err)
		}
		var sum string
		if rcpt != nil && rep.DistinctSubjects > 0 {
			name := filepath.Join(o.OutDir, "notification-list-"+o.Now().UTC().Format("20060102T150405Z")+".csv.age")
			if sum, err = writeList(name, rcpt, res); err != nil {
				return nil, nil, err
			}
			rep.NotificationList = name
		}
		rep.AuditLog = filepath.Join(o.OutDir, "exposure-audit.log")
		if err := audit(rep.AuditLog, o, rep, sum); err != nil {
			return nil, nil, err
		}
	}
	return rep, res, nil
}

// fromFetches fills acc.Opened from the FETCH commands, resolving message
// sets against the store's UIDs.
func fromFetches(acc *Access, store string, rep *Report) error {
	uids := map[string][]uint32{}
	if err := mailstore.Walk(store, func(m mailstore.Message) error {
		if m.UID != 0 {
			uids[m.Mailbox] = append(uids[m.Mailbox], m.UID)
		}
		return nil
	}); err != nil {
		return err
	}
	bySeq := false
	for _, f := range acc.Fetches {
		list := uids[f.Mailbox]
		sort.Slice(list, func(i, j int) bool { return list[i] < list[j] })
		for _, u := range resolveSet(f.Set, f.UID, list) {
			acc.Opened[MessageRef{f.Mailbox, u}] = true
		}
		bySeq = bySeq || !f.UID
	}
	rep.Why = append(rep.Why, fmt.Sprintf("no mail_opened events: the messages read come from %d IMAP FETCH command(s) that fetched bodies", len(acc.Fetches)))
	if bySeq {
		rep.Exact = false
		rep.Why = append(rep.Why, "some FETCH commands name sequence numbers: mapped to UIDs by the store's order today, which expunges since the incident would shift")
	}
	return nil
}

// writeList writes the patients to notify as CSV, encrypted to rcpt, and
// returns the SHA-256 of the encrypted file.
func writeList(name string, rcpt age.Recipient, res *Result) (string, error) {
	f, err := os.OpenFile(name, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600) //nolint:gosec // the user's output directory
	if err != nil {
		return "", fmt.Errorf("exposure: %w", err)
	}
	h := sha256.New()
	enc, err := age.Encrypt(io.MultiWriter(f, h), rcpt)
	if err != nil {
		_ = f.Close()
		return "", fmt.Errorf("exposure: %w", err)
	}
	cw := csv.NewWriter(enc)
	_ = cw.Write([]string{"subject_id", "register_id", "name", "date_of_birth", "nhs_number", "chi_number", "nino", "email", "postcode", "categories", "health_data", "messages"})
	for _, s := range res.Subjects.Subjects {
		if !s.Patient {
			continue
		}
		var cats []string
		health := "no"
		for t := range s.Categories {
			cats = append(cats, string(t))
			if t.Health() {
				health = "yes"
			}
		}
		sort.Strings(cats)
		id := s.Identifiers
		_ = cw.Write([]string{s.ID, s.RegisterID, id[phi.PersonName], id[phi.DOB], id[phi.NHS], id[phi.CHI], id[phi.NINO], id[phi.Email], id[phi.Postcode],
			strings.Join(cats, ";"), health, fmt.Sprint(len(s.Messages))})
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		_ = f.Close()
		return "", fmt.Errorf("exposure: %w", err)
	}
	if err := enc.Close(); err != nil {
		_ = f.Close()
		return "", fmt.Errorf("exposure: %w", err)
	}
	if err := f.Close(); err != nil {
		return "", fmt.Errorf("exposure: %w", err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// audit appends who made the report, when, for what, and the list's hash.
func audit(name string, o AssessOptions, rep *Report, sum string) error {
	line, err := json.Marshal(map[string]any{
		"time": o.Now().UTC(), "operator": o.Operator, "action": "exposure report",
		"account": rep.Account, "source": rep.Source, "from": rep.From, "to": rep.To,
		"messages_read": rep.MessagesRead, "distinct_subjects": rep.DistinctSubjects, "exact": rep.Exact,
		"notification_list": rep.NotificationList, "notification_list_sha256": sum, "recipient": o.Recipient,
	})
	if err != nil {
		return fmt.Errorf("exposure: audit: %w", err)
	}
	f, err := os.OpenFile(name, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600) //nolint:gosec // the user's output directory
	if err != nil {
		return fmt.Errorf("exposure: audit: %w", err)
	}
	if _, err := f.Write(append(line, '\n')); err != nil {
		_ = f.Close()
		return fmt.Errorf("exposure: audit: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("exposure: audit: %w", err)
	}
	return nil
}
