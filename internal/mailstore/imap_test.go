package mailstore

import (
	"bytes"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/vigilhq/vigil/internal/clinicmail"
)

// startDovecot runs a private Dovecot (see ../shared/docs/DOVECOT-LAB.md)
// serving user "dr.smith" (password "secret") with the Maildir at maildir.
// It skips the test where Dovecot is not installed or cannot run.
func startDovecot(t *testing.T, dir string) string {
	t.Helper()
	bin, err := exec.LookPath("dovecot")
	if err != nil {
		t.Skip("dovecot not installed (apt-get install dovecot-imapd)")
	}
	if os.Geteuid() != 0 {
		t.Skip("a private Dovecot needs root here (mail files owned by uid 5000)")
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	_ = l.Close()
	conf := fmt.Sprintf(`base_dir = %[1]s/run
state_dir = %[1]s/state
instance_name = vigil-test-%[2]d
protocols = imap
listen = 127.0.0.1
log_path = %[1]s/dovecot.log
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%%u %[1]s/passwd
}
userdb {
  driver = passwd-file
  args = username_format=%%u %[1]s/passwd
}
first_valid_uid = 5000
last_valid_uid = 5000
first_valid_gid = 5000
last_valid_gid = 5000
mail_location = maildir:%[1]s/mail/%%u/Maildir
namespace inbox {
  inbox = yes
  separator = /
}
service imap-login {
  inet_listener imap {
    address = 127.0.0.1
    port = %[2]d
  }
  inet_listener imaps {
    port = 0
  }
}
service doveadm {
  inet_listener {
    port = 0
  }
}
`, dir, port)
	if err := os.WriteFile(filepath.Join(dir, "dovecot.conf"), []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	passwd := fmt.Sprintf("dr.smith:{PLAIN}secret:5000:5000::%s/mail/dr.smith\n", dir)
	if err := os.WriteFile(filepath.Join(dir, "passwd"), []byte(passwd), 0o644); err != nil { //nolint:gosec // dovecot's auth process must read it
		t.Fatal(err)
	}
	// dovecot daemonizes: no pipes to it, or Run would wait for the daemon.
	if err := exec.Command(bin, "-c", filepath.Join(dir, "dovecot.conf")).Run(); err != nil { //nolint:gosec // the test's own config
		t.Skipf("dovecot did not start: %v", err)
	}
	t.Cleanup(func() {
		if b, err := os.ReadFile(filepath.Join(dir, "dovecot.log")); err == nil && t.Failed() { //nolint:gosec // the test's own log
			t.Logf("dovecot.log:\n%s", b)
		}
		_ = exec.Command("doveadm", "-c", filepath.Join(dir, "dovecot.conf"), "stop").Run() //nolint:gosec // as above
	})
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	for i := 0; ; i++ {
		c, err := net.Dial("tcp", addr)
		if err == nil {
			_ = c.Close()
			return addr
		}
		if i > 100 {
			t.Fatalf("dovecot not listening on %s", addr)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestIMAPRealDovecot reads a generated Maildir through a real Dovecot:
// every message comes back with the UID our dovecot-uidlist gave it and the
// same bytes, and no message is marked \Seen (EXAMINE and BODY.PEEK).
func TestIMAPRealDovecot(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a real Dovecot (about 7 s); run without -short")
	}
	// Not t.TempDir: its parent is 0700, and Dovecot's own users must get in.
	dir, err := os.MkdirTemp("", "vigil-imap-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil { //nolint:gosec // the mail user must traverse it
		t.Fatal(err)
	}
	c := clinicmail.Generate(clinicmail.Options{Seed: 31, Patients: 20, Messages: 120})
	maildir := filepath.Join(dir, "mail", "dr.smith", "Maildir")
	names, err := c.WriteMaildir(maildir)
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range names { // unread: drop the S flag
		if err := os.Rename(filepath.Join(maildir, "cur", n), filepath.Join(maildir, "cur", strings.TrimSuffix(n, "S"))); err != nil {
			t.Fatal(err)
		}
	}
	if out, err := exec.Command("chown", "-R", "5000:5000", filepath.Join(dir, "mail")).CombinedOutput(); err != nil { //nolint:gosec // the test's own temp directory
		t.Skipf("chown: %v %s", err, out)
	}
	addr := startDovecot(t, dir)
	t.Setenv("VIGIL_IMAP_PASSWORD", "secret")
	got := 0
	err = Walk("imap://dr.smith@"+addr+"/INBOX", func(m Message) error {
		want := c.Messages[m.UID-1].Raw
		body := readAll(t, m)
		// Dovecot serves the stored bytes; it may end lines with CRLF.
		if !bytes.Equal(bytes.ReplaceAll(body, []byte("\r\n"), []byte("\n")), bytes.ReplaceAll(want, []byte("\r\n"), []byte("\n"))) {
			t.Errorf("UID %d: %d bytes, want the %d of message %d", m.UID, len(body), len(want), m.UID-1)
		}
		if !strings.HasSuffix(m.Key, fmt.Sprintf("/INBOX;UID=%d", m.UID)) {
			t.Errorf("key %q", m.Key)
		}
		got++
		return nil
	})
	if err != nil || got != len(c.Messages) {
		t.Fatalf("read %d of %d messages: %v", got, len(c.Messages), err)
	}
	entries, err := os.ReadDir(filepath.Join(maildir, "cur"))
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if strings.HasSuffix(e.Name(), "S") {
			t.Errorf("%s was marked \\Seen by the scan", e.Name())
		}
	}
	if err := Walk("imap://dr.smith:wrong@"+addr+"/INBOX", func(Message) error { return nil }); err == nil {
		t.Error("a wrong password was accepted")
	}
}
