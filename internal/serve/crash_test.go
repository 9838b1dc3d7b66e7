package serve_test

import (
	"fmt"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// buildVigil builds the real binary for tests that run it as a process.
func buildVigil(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "vigil")
	cmd := exec.Command("go", "build", "-o", bin, "github.com/vigilhq/vigil/cmd/vigil") //nolint:gosec // G204: the test builds the binary into its temp dir
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// TestCrashRecovery runs the real vigil binary tailing a file while a writer
// appends Dovecot lines, SIGKILLs it at random moments and restarts it; at
// the end every line must be stored exactly once, with its line number.
// (-short: 20,000 lines and two kills instead of 200,000 and five.)
func TestCrashRecovery(t *testing.T) {
	total, kills := 200000, 5
	if testing.Short() {
		total, kills = 20000, 2
	}
	bin := buildVigil(t)
	dir := t.TempDir()
	logPath := filepath.Join(dir, "dovecot.log")
	data := filepath.Join(dir, "data")
	cfgPath := filepath.Join(dir, "vigil.yml")
	cfg := fmt.Sprintf(`data_dir: %s
http: {listen: "127.0.0.1:0"}
log: {level: warn}
sources:
  - name: dovecot
    type: file
    paths: [%q]
    format: dovecot
    timezone: UTC
    poll: 20ms
`, data, logPath+"*")
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := os.Create(filepath.Join(dir, "vigil.stderr")) //nolint:gosec // G304: the test's own temp file
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = out.Close() }()
	start := func() *exec.Cmd {
		cmd := exec.Command(bin, "serve", "--config", cfgPath) //nolint:gosec // G204: the binary this test built
		cmd.Stdout, cmd.Stderr = out, out
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		return cmd
	}

	gen := newLineGen(t)
	w := newWriter(t, logPath, gen)
	written := make(chan struct{})
	go func() {
		defer close(written)
		const chunk = 1000
		for from := 0; from < total; from += chunk {
			w.write(t, from, from+chunk)
			time.Sleep(15 * time.Millisecond)
		}
	}()

	seed := time.Now().UnixNano()
	t.Logf("kill schedule seed %d", seed)
	rng := rand.New(rand.NewSource(seed)) //nolint:gosec // G404: a reproducible kill schedule (seed logged), not a secret
	cmd := start()
	for k := range kills {
		time.Sleep(time.Duration(200+rng.Intn(1200)) * time.Millisecond)
		if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		_ = cmd.Wait() // killed: the error says so
		t.Logf("kill %d at %d events stored", k+1, countEvents(t, filepath.Join(data, "vigil.db")))
		cmd = start()
	}
	<-written
	db := filepath.Join(data, "vigil.db")
	waitStored(t, db, int64(total), 60*time.Second)
	time.Sleep(500 * time.Millisecond)
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Wait(); err != nil {
		b, _ := os.ReadFile(out.Name())
		t.Fatalf("vigil after SIGTERM: %v\n%s", err, b)
	}
	checkStored(t, db, total, true)
}
