package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vigilhq/vigil/internal/shareddata"
	"github.com/vigilhq/vigil/internal/store/sqlite"
)

// TestServeOnce replays the lab's real Dovecot log with 'vigil serve
// --once': it exits 0 by itself with every line's event and the guessing
// from 127.0.0.3 in the store; with an http source --once is refused.
func TestServeOnce(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "vigil.yml")
	text := "data_dir: " + filepath.Join(dir, "data") + "\nhttp: {listen: 127.0.0.1:0}\nlog: {level: warn}\n" +
		"sources: [{name: mail, type: file, timezone: UTC, paths: [" + shareddata.Path(t, "dovecot-2.3-lab/dovecot-info.log") + "]}]\n"
	if err := os.WriteFile(cfg, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, errOut, code := runCLI(t, "", "serve", "--config", cfg, "--once"); code != exitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	// Every line but Dovecot's start-up line (ignored) is an event.
	raw, err := os.ReadFile(shareddata.Path(t, "dovecot-2.3-lab/dovecot-info.log"))
	if err != nil {
		t.Fatal(err)
	}
	want := int64(strings.Count(string(raw), "\n") - strings.Count(string(raw), " starting up for "))
	st, err := sqlite.Open(t.Context(), sqlite.Options{Path: filepath.Join(dir, "data", "vigil.db")})
	if err != nil {
		t.Fatal(err)
	}
	n, err := st.CountEvents(t.Context())
	_ = st.Close() // read-only use
	if err != nil || n != want {
		t.Errorf("%d events stored (%v), want %d", n, err, want)
	}
	found := false
	for _, a := range storedAlerts(t, filepath.Join(dir, "data", "vigil.db")) {
		found = found || (a.Rule == "repeated-failures" && a.Account == "reception")
	}
	if !found {
		t.Error("no repeated-failures alert on reception in the store after the replay")
	}

	http := filepath.Join(dir, "http.yml")
	if err := os.WriteFile(http, []byte("data_dir: "+filepath.Join(dir, "data2")+"\nsources: [{name: exporter, type: http, token: x}]\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, errOut, code := runCLI(t, "", "serve", "--config", http, "--once"); code != exitUsage || !strings.Contains(errOut, `source "exporter"`) {
		t.Errorf("--once with an http source: exit %d, %s", code, errOut)
	}
}
