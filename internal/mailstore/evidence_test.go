package mailstore

import (
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/vigilhq/vigil/internal/alert"
)

func TestResolve(t *testing.T) {
	root := t.TempDir()
	for _, d := range []string{"cur", "new", ".Sent/cur"} {
		if err := os.MkdirAll(filepath.Join(root, d), 0o700); err != nil {
			t.Fatal(err)
		}
	}
	write := func(p, s string) {
		if err := os.WriteFile(filepath.Join(root, p), []byte(s), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write("dovecot-uidlist", "3 V1 N4 Gabc\n1 :100.M1.vm,S=10\n2 W40 :100.M2.vm,S=20\n3 :100.M3.vm,S=30\n")
	write("cur/100.M1.vm,S=10:2,S", "Message-Id: <one@x>\r\nSubject: a\r\n\r\nbody\r\n")
	write("new/100.M2.vm,S=20", "Subject: b\r\nMessage-ID:  <two@x>\r\n\r\nbody\r\n")
	// UID 3's file was expunged.
	write(".Sent/dovecot-uidlist", "3 V2 N2\n1 :200.M1.vm\n")
	write(".Sent/cur/200.M1.vm:2,", "Message-Id: <sent@x>\r\n\r\n")
	a := &alert.Alert{Evidence: alert.Evidence{Reads: []alert.Read{
		{User: "u", Mailbox: "INBOX", UIDs: "1:3", Exact: true},
		{User: "u", Mailbox: "Sent", UIDs: "1", Exact: true},
		{User: "u", Mailbox: "INBOX", UIDs: "1:3 (sequence numbers)", Exact: false},
	}}}
	if err := Resolve(a, func(string) Maildir { return Maildir(root) }); err != nil {
		t.Fatal(err)
	}
	if got := a.Evidence.Reads[0].MessageIDs; !slices.Equal(got, []string{"<one@x>", "<two@x>"}) {
		t.Errorf("INBOX: %v", got)
	}
	if got := a.Evidence.Reads[1].MessageIDs; !slices.Equal(got, []string{"<sent@x>"}) {
		t.Errorf("Sent: %v", got)
	}
	if a.Evidence.Reads[2].MessageIDs != nil {
		t.Error("an upper bound was resolved as if exact")
	}
	if _, err := ParseUIDSet("5:1"); err == nil {
		t.Error("accepted a reversed range")
	}
}
