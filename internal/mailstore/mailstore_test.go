package mailstore

import (
	"bytes"
	"fmt"
	"github.com/vigilhq/vigil/internal/shareddata"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/vigilhq/vigil/internal/clinicmail"
)

func readAll(t *testing.T, m Message) []byte {
	t.Helper()
	rc, err := m.Open()
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = rc.Close() }()
	b, err := io.ReadAll(rc)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestRealDovecotUIDList(t *testing.T) {
	m, err := ReadUIDList(shareddata.Path(t, "dovecot-2.3-lab/dr.smith.dovecot-uidlist"))
	if err != nil {
		t.Fatal(err)
	}
	// From fetched-messages-resolved.txt: uid=2 is 1795933105.M994067P8437.vm,S=428,W=445
	if got := m["1795933105.M994067P8437.vm,S=428,W=445"]; got != 2 {
		t.Errorf("UID = %d, want 2", got)
	}
	if got := m["1795933106.M43834P8441.vm,S=820,W=857"]; got != 6 {
		t.Errorf("UID = %d, want 6", got)
	}
}

func TestMaildirUIDs(t *testing.T) {
	c := clinicmail.Generate(clinicmail.Options{Seed: 5, Patients: 20, Messages: 30})
	dir := t.TempDir()
	if _, err := c.WriteMaildir(dir); err != nil {
		t.Fatal(err)
	}
	n := 0
	err := Walk(dir, func(m Message) error {
		want := c.Messages[m.UID-1].Raw
		if !bytes.Equal(readAll(t, m), want) {
			t.Errorf("UID %d is not message %d", m.UID, m.UID-1)
		}
		if m.Mailbox != "INBOX" {
			t.Errorf("mailbox %q", m.Mailbox)
		}
		n++
		return nil
	})
	if err != nil || n != 30 {
		t.Fatalf("walked %d messages, err %v", n, err)
	}
}

func TestMboxAndEml(t *testing.T) {
	c := clinicmail.Generate(clinicmail.Options{Seed: 6, Patients: 20, Messages: 5})
	dir := t.TempDir()
	var mbox bytes.Buffer
	var want [][]byte
	for i, m := range c.Messages {
		w := m.Raw
		if !bytes.HasSuffix(w, []byte("\n")) {
			w = append(append([]byte{}, w...), '\n')
		}
		w = append(append([]byte{}, w...), '\n') // the empty line before the next "From "
		want = append(want, w)
		fmt.Fprintf(&mbox, "From sender@example.org Mon Mar  2 08:00:00 2026\n%s", w)
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("m%d.eml", i)), m.Raw, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "archive.mbox"), mbox.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	var fromMbox, fromEml int
	err := Walk(dir, func(m Message) error {
		got := readAll(t, m)
		if m.Offset > 0 {
			if !bytes.Equal(got, want[fromMbox]) {
				t.Errorf("mbox message %d: got %d bytes, want %d", fromMbox, len(got), len(want[fromMbox]))
			}
			fromMbox++
		} else {
			fromEml++
		}
		return nil
	})
	if err != nil || fromMbox != 5 || fromEml != 5 {
		t.Fatalf("mbox %d, eml %d, err %v", fromMbox, fromEml, err)
	}
	if err := Walk(t.TempDir(), func(Message) error { return nil }); err == nil {
		t.Error("an empty directory is not a mail store")
	}
}

func TestCheckpointResumes(t *testing.T) {
	p := filepath.Join(t.TempDir(), "scan.checkpoint")
	c, err := OpenCheckpoint(p)
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"a", "b"} {
		if err := c.Mark(k); err != nil {
			t.Fatal(err)
		}
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	// A crash mid-write leaves a partial last line.
	f, _ := os.OpenFile(p, os.O_APPEND|os.O_WRONLY, 0o600) //nolint:gosec // the test's own temp file
	_, _ = f.WriteString("c-partial")
	_ = f.Close()
	c, err = OpenCheckpoint(p)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = c.Close() }()
	if !c.Done("a") || !c.Done("b") || c.Done("c-partial") || c.Len() != 2 {
		t.Errorf("done a=%v b=%v partial=%v len=%d", c.Done("a"), c.Done("b"), c.Done("c-partial"), c.Len())
	}
}
