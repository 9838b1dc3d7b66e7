package lab

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"text/template"
	"time"
)

// mailUID is the uid and gid that owns the lab's mailboxes.
const mailUID = 5000

// Lab is one private Dovecot and Postfix.
type Lab struct {
	Dir        string
	IMAPPort   int
	POP3Port   int
	SubmitPort int // Postfix submission (SASL through Dovecot)
	HTTPPort   int // where the exporter posts a copy of each event (the test owns it)
	VigilPort  int // vigil serve's HTTP intake, where the exporter posts
	Token      string
	Users      map[string]string
	DovecotLog string
	PostfixLog string

	mu     sync.Mutex
	posted [][]byte // bodies Dovecot's http-post exporter sent to HTTPPort
}

// Posted returns the event bodies Dovecot POSTed so far.
func (l *Lab) Posted() [][]byte {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([][]byte(nil), l.posted...)
}

// collect listens where the http-post exporter sends its copy of each event.
func (l *Lab) collect(t *testing.T) {
	ln, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(l.HTTPPort)))
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{ReadHeaderTimeout: 5 * time.Second, Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		if err != nil || r.Method != http.MethodPost {
			http.Error(w, "bad request", http.StatusBadRequest)
			return
		}
		l.mu.Lock()
		l.posted = append(l.posted, b)
		l.mu.Unlock()
		w.WriteHeader(http.StatusOK)
	})}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })
}

// needServers skips the test with the reason when Dovecot or Postfix cannot
// run here, installing them first through scripts/lab-deps.sh when possible.
func needServers(t *testing.T) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("lab: needs root (Dovecot and Postfix start as root and drop privileges)")
	}
	if _, err := exec.LookPath("dovecot"); err != nil || !exists("/usr/sbin/postfix") || !exists("/usr/lib/dovecot/pop3") {
		out, err := exec.Command("../../scripts/lab-deps.sh").CombinedOutput()
		t.Logf("lab-deps: %s", bytes.TrimSpace(out))
		if err != nil {
			t.Fatalf("lab-deps: %v", err)
		}
	}
	if !exists("/usr/sbin/dovecot") || !exists("/usr/sbin/postfix") || !exists("/usr/lib/dovecot/pop3") {
		t.Skip("lab: Dovecot or Postfix missing and could not be installed (needs apt-get)")
	}
}

// tail returns the last n lines of a file, each cut to 300 bytes.
func tail(p string, n int) string {
	b, err := os.ReadFile(p) //nolint:gosec // G304: the lab's own log
	if err != nil {
		return err.Error()
	}
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	lines = lines[max(0, len(lines)-n):]
	for i, l := range lines {
		if len(l) > 300 {
			lines[i] = l[:300] + "…"
		}
	}
	return strings.Join(lines, "\n")
}

func exists(p string) bool { _, err := os.Stat(p); return err == nil }

// freePort asks the kernel for an unused loopback port.
func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = l.Close() }()
	return l.Addr().(*net.TCPAddr).Port
}

// StartLab starts Postfix, then Dovecot (whose auth socket lives in
// Postfix's spool), and stops both by PID when the test ends.
func StartLab(t *testing.T, users map[string]string) *Lab {
	t.Helper()
	needServers(t)
	dir, err := os.MkdirTemp("", "vigil-lab-") // short: unix socket paths are limited to 108 bytes
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if t.Failed() {
			for _, p := range []string{filepath.Join(dir, "log", "dovecot.log"), filepath.Join(dir, "postfix.log")} {
				t.Logf("last lines of %s:\n%s", p, tail(p, 30))
			}
		}
		if t.Failed() && os.Getenv("VIGIL_LAB_KEEP") != "" {
			t.Logf("lab kept in %s", dir)
			return
		}
		_ = os.RemoveAll(dir)
	})
	if err := os.Chmod(dir, 0o755); err != nil { //nolint:gosec // G302: the servers' own users must reach their files
		t.Fatal(err)
	}
	l := &Lab{Dir: dir, Users: users,
		IMAPPort: freePort(t), POP3Port: freePort(t), SubmitPort: freePort(t), HTTPPort: freePort(t), VigilPort: freePort(t), Token: vigilToken,
		DovecotLog: filepath.Join(dir, "log", "dovecot.log"), PostfixLog: filepath.Join(dir, "postfix.log")}
	for _, d := range []string{"run", "state", "log", "mail", "postfix/etc", "postfix/spool", "postfix/data"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o755); err != nil { //nolint:gosec // G301: read by the servers' users
			t.Fatal(err)
		}
	}
	l.render(t, "dovecot.conf", dovecotConf)
	l.render(t, "postfix/etc/main.cf", postfixMain)
	l.render(t, "postfix/etc/master.cf", postfixMaster)
	var pw strings.Builder
	for u, p := range users {
		fmt.Fprintf(&pw, "%s:{PLAIN}%s:%d:%d::%s::\n", u, p, mailUID, mailUID, filepath.Join(dir, "mail", u))
		if err := os.MkdirAll(filepath.Join(dir, "mail", u, "Maildir"), 0o700); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "passwd"), []byte(pw.String()), 0o644); err != nil { //nolint:gosec // G306: Dovecot's auth user reads it; test passwords only
		t.Fatal(err)
	}
	run(t, "chown", "-R", fmt.Sprintf("%d:%d", mailUID, mailUID), filepath.Join(dir, "mail"))
	run(t, "chown", "postfix", filepath.Join(dir, "postfix/data"))

	l.collect(t)
	// Postfix first: it creates spool/private, where Dovecot puts the auth socket.
	run(t, "postfix", "-c", filepath.Join(dir, "postfix/etc"), "start")
	t.Cleanup(func() { stopPID(t, "postfix", filepath.Join(dir, "postfix/spool/pid/master.pid")) })
	run(t, "dovecot", "-c", l.conf())
	t.Cleanup(func() { stopPID(t, "dovecot", filepath.Join(dir, "run/master.pid")) })
	for _, p := range []int{l.IMAPPort, l.POP3Port, l.SubmitPort} {
		waitPort(t, p)
	}
	return l
}

func (l *Lab) conf() string { return filepath.Join(l.Dir, "dovecot.conf") }

func (l *Lab) render(t *testing.T, name, text string) {
	t.Helper()
	var b bytes.Buffer
	if err := template.Must(template.New(name).Parse(text)).Execute(&b, l); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(l.Dir, name), b.Bytes(), 0o644); err != nil { //nolint:gosec // G306: the servers read their config as their own users
		t.Fatal(err)
	}
}

// Doveadm runs doveadm against the lab's Dovecot.
func (l *Lab) Doveadm(stdin []byte, args ...string) ([]byte, error) {
	cmd := exec.Command("doveadm", append([]string{"-c", l.conf()}, args...)...) //nolint:gosec // G204: test arguments
	if stdin != nil {
		cmd.Stdin = bytes.NewReader(stdin)
	}
	out, err := cmd.CombinedOutput()
	if err != nil {
		return out, fmt.Errorf("doveadm %s: %w: %s", strings.Join(args, " "), err, out)
	}
	return out, nil
}

// run runs a command that may leave a daemon behind: its output goes to a
// file, not a pipe the daemon would inherit and hold open.
func run(t *testing.T, name string, args ...string) {
	t.Helper()
	out, err := os.CreateTemp("", "vigil-lab-cmd-")
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = out.Close(); _ = os.Remove(out.Name()) }()
	cmd := exec.Command(name, args...) //nolint:gosec // G204: test commands
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Run(); err != nil {
		b, _ := os.ReadFile(out.Name())
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, b)
	}
}

func waitPort(t *testing.T, port int) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)), time.Second)
		if err == nil {
			_ = c.Close()
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("port %d never opened: %v", port, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// stopPID ends a master process by the PID in its pid file: SIGTERM, then
// SIGKILL if it is still there after 10 s.
func stopPID(t *testing.T, name, pidFile string) {
	b, err := os.ReadFile(pidFile) //nolint:gosec // G304: the lab's own pid file
	if err != nil {
		t.Logf("stop %s: %v", name, err)
		return
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil || pid <= 1 {
		t.Logf("stop %s: bad pid file %q", name, b)
		return
	}
	if err := syscall.Kill(pid, syscall.SIGTERM); err != nil {
		t.Logf("stop %s (pid %d): %v", name, pid, err)
		return
	}
	for i := 0; i < 200; i++ {
		if err := syscall.Kill(pid, 0); errors.Is(err, syscall.ESRCH) {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Logf("stop %s (pid %d): still running after 10s, killing", name, pid)
	_ = syscall.Kill(pid, syscall.SIGKILL)
}
