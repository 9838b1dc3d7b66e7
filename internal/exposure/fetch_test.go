package exposure

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/vigilhq/vigil/internal/clinicmail"
	"github.com/vigilhq/vigil/internal/shareddata"
)

func TestReadsBodyAndSets(t *testing.T) {
	for items, want := range map[string]bool{
		"(UID RFC822.SIZE BODY.PEEK[])": true, "(RFC822)": true, "(BODY[])": true, "(BODY.PEEK[2.1])": true,
		"(BODY.PEEK[HEADER.FIELDS (SUBJECT MESSAGE-ID) ])": false, "(ENVELOPE)": false, "(UID RFC822.SIZE FLAGS)": false, "(RFC822.HEADER)": false,
	} {
		if got := readsBody(items); got != want {
			t.Errorf("readsBody(%q) = %v", items, got)
		}
	}
	uids := []uint32{3, 5, 8, 13}
	for _, c := range []struct {
		set  string
		uid  bool
		want string
	}{{"1:*", false, "[3 5 8 13]"}, {"2,4", false, "[5 13]"}, {"5:8", true, "[5 8]"}, {"*", true, "[13]"}, {"9:x", true, "[]"}} {
		if got := fmt.Sprint(resolveSet(c.set, c.uid, uids)); got != c.want {
			t.Errorf("resolveSet(%q, uid=%v) = %s, want %s", c.set, c.uid, got, c.want)
		}
	}
}

// TestAssessFromFetchCommands: with the lab's info log alone (no
// mail_opened for IMAP), the attacker's "UID FETCH 1:* (… BODY.PEEK[])" and
// "FETCH 1:* (RFC822)" say every message was read; the sequence-number FETCH
// makes the count not exact, and the report says why.
func TestAssessFromFetchCommands(t *testing.T) {
	c := clinicmail.Generate(clinicmail.Options{Seed: 5, Patients: 30, Messages: 25})
	store := filepath.Join(t.TempDir(), "Maildir")
	if _, err := c.WriteMaildir(store); err != nil {
		t.Fatal(err)
	}
	rep, _, err := Assess(context.Background(), AssessOptions{Window: labWindow, Logs: []string{shareddata.Path(t, "dovecot-2.3-lab/dovecot-info.log")},
		Location: time.UTC, Store: store})
	if err != nil {
		t.Fatal(err)
	}
	if rep.MessagesRead != 25 || rep.MessagesScanned != 25 || rep.Exact || len(rep.Why) < 2 {
		t.Errorf("report: read %d, scanned %d, exact %v, why %q", rep.MessagesRead, rep.MessagesScanned, rep.Exact, rep.Why)
	}
}
