package exposure

import (
	"bytes"
	"context"
	"encoding/csv"
	"github.com/vigilhq/vigil/internal/shareddata"
	"net/netip"
	"os"
	"path/filepath"
	"testing"
	"time"

	"filippo.io/age"

	"github.com/vigilhq/vigil/internal/clinicmail"
	"github.com/vigilhq/vigil/internal/phi"
)

var labWindow = Window{Account: "dr.smith", Source: netip.MustParseAddr("127.0.0.2"),
	From: time.Date(2026, 11, 29, 6, 0, 0, 0, time.UTC), To: time.Date(2026, 11, 29, 7, 0, 0, 0, time.UTC)}

// TestReadAccessRealDovecot: the lab's real Dovecot 2.3 exporter events say
// the "attacker" session from 127.0.0.2 opened UIDs 1–6 of dr.smith's INBOX
// (fetched-messages-resolved.txt); its info log has that session's login
// and logout (12 bodies fetched) but no mail_opened line for IMAP.
func TestReadAccessRealDovecot(t *testing.T) {
	a, err := ReadAccess([]string{shareddata.Path(t, "dovecot-2.3-lab/events-http.jsonl")}, labWindow, time.UTC)
	if err != nil {
		t.Fatal(err)
	}
	var uids []uint32
	for _, r := range a.Refs() {
		if r.Mailbox != "INBOX" {
			t.Errorf("mailbox %q", r.Mailbox)
		}
		uids = append(uids, r.UID)
	}
	if len(uids) != 6 || uids[0] != 1 || uids[5] != 6 {
		t.Errorf("opened UIDs %v, want 1–6", uids)
	}
	a, err = ReadAccess([]string{shareddata.Path(t, "dovecot-2.3-lab/dovecot-info.log")}, labWindow, time.UTC)
	if err != nil {
		t.Fatal(err)
	}
	if a.Sessions != 1 || a.BodyCount != 12 || len(a.Opened) != 0 {
		t.Errorf("info log: sessions %d, body_count %d, opened %v; want 1, 12, none", a.Sessions, a.BodyCount, a.Opened)
	}
	// POP3: reception's mailbox downloaded from 127.0.0.2; the info log's
	// mail_opened lines carry the session, not the address.
	w := labWindow
	w.Account = "reception"
	a, err = ReadAccess([]string{shareddata.Path(t, "dovecot-2.3-lab/dovecot-info.log")}, w, time.UTC)
	if err != nil || len(a.Opened) != 3 {
		t.Errorf("POP3 download: opened %v, %v; want UIDs 1–3", a.Opened, err)
	}
	// Another source saw nothing.
	w = labWindow
	w.Source = netip.MustParseAddr("127.0.0.9")
	a, err = ReadAccess([]string{shareddata.Path(t, "dovecot-2.3-lab/events-http.jsonl")}, w, time.UTC)
	if err != nil || len(a.Opened) != 0 {
		t.Errorf("other source: %v, %v", a.Opened, err)
	}
}

// TestAssess: the lab's log against a generated Maildir whose UIDs 1–6 are
// generated clinic messages: the report's counts equal the generator's truth
// for exactly those six, and the notification list decrypts to them.
func TestAssess(t *testing.T) {
	c := clinicmail.Generate(clinicmail.Options{Seed: 77, Patients: 40, Messages: 30})
	dir := t.TempDir()
	store := filepath.Join(dir, "Maildir")
	if _, err := c.WriteMaildir(store); err != nil {
		t.Fatal(err)
	}
	reg, err := phi.LoadRegister(bytes.NewReader(c.Register()), "register.csv")
	if err != nil {
		t.Fatal(err)
	}
	id, err := age.GenerateX25519Identity()
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "report")
	rep, _, err := Assess(context.Background(), AssessOptions{
		Window: labWindow, Logs: []string{shareddata.Path(t, "dovecot-2.3-lab/dovecot-info.log"), shareddata.Path(t, "dovecot-2.3-lab/events-http.jsonl")}, Location: time.UTC,
		Store: store, Scan: Options{Register: reg}, Recipient: id.Recipient().String(), OutDir: out, Operator: "dpo",
		Now: func() time.Time { return time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC) },
	})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]bool{}
	withData := 0
	for _, m := range c.Messages[:6] {
		for _, tr := range m.Truth {
			want[tr.Patient] = true
		}
		if len(m.Truth) > 0 {
			withData++
		}
	}
	if rep.MessagesRead != 6 || rep.DistinctSubjects != len(want) || !rep.Exact {
		t.Errorf("report %+v; want 6 read, %d patients, exact", rep, len(want))
	}
	if rep.MessagesWithPersonalData < withData {
		t.Errorf("%d messages with personal data, want at least %d", rep.MessagesWithPersonalData, withData)
	}
	f, err := os.Open(rep.NotificationList)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = f.Close() }()
	plain, err := age.Decrypt(f, id)
	if err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(plain).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows)-1 != len(want) {
		t.Errorf("notification list has %d patients, want %d", len(rows)-1, len(want))
	}
	nhs := map[string]string{}
	for _, p := range c.Patients {
		nhs[p.NHS] = p.ID
	}
	for _, row := range rows[1:] {
		if !want[nhs[row[4]]] {
			t.Errorf("listed patient (NHS ends %s) was not in the messages read", row[4][8:])
		}
	}
	auditLog, err := os.ReadFile(rep.AuditLog)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(auditLog, []byte(`"operator":"dpo"`)) {
		t.Errorf("audit log: %s", auditLog)
	}
	for _, p := range c.Patients {
		if bytes.Contains(auditLog, []byte(p.NHS)) || bytes.Contains(auditLog, []byte(p.Last)) {
			t.Errorf("audit log holds patient data")
		}
	}
}
