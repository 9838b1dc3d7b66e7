package main

import (
	"bufio"
	"context"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/vigilhq/vigil/internal/serve"
	"github.com/vigilhq/vigil/internal/store/sqlite"
)

// dpkgInstalled reads, independently of internal/inventory, the installed
// packages of a dpkg status file: name → version and name → Source field.
func dpkgInstalled(t *testing.T, path string) (map[string]string, map[string]string) {
	t.Helper()
	f, err := os.Open(path) //nolint:gosec // G304: the test's fixed path
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = f.Close() }() // read-only
	vers, srcs := map[string]string{}, map[string]string{}
	var name, ver, src string
	installed := false
	end := func() {
		if name != "" && installed {
			vers[name], srcs[name] = ver, src
		}
		name, ver, src, installed = "", "", "", false
	}
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		l := sc.Text()
		switch {
		case l == "":
			end()
		case strings.HasPrefix(l, "Package: "):
			name = l[len("Package: "):]
		case strings.HasPrefix(l, "Version: "):
			ver = l[len("Version: "):]
		case strings.HasPrefix(l, "Source: "):
			src = l[len("Source: "):]
		case strings.HasPrefix(l, "Status: "):
			installed = strings.HasSuffix(l, " installed")
		}
	}
	end()
	return vers, srcs
}

// TestInventoryPostedToServe ships this machine's 'vigil inventory' output
// to a running 'vigil serve' (POST /inventory) as the timer in the README
// does: a wrong token gets 401, a broken document 400 with the reason, the
// real one 204 once stored, and the store then holds this host's packages
// as dpkg's status file lists them.
func TestInventoryPostedToServe(t *testing.T) {
	sbom, errOut, code := runCLI(t, "", "inventory")
	if code != 0 {
		t.Fatalf("vigil inventory: exit %d: %s", code, errOut)
	}
	dir := t.TempDir()
	logFile := filepath.Join(dir, "mail.log")
	if err := os.WriteFile(logFile, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := serve.Defaults()
	cfg.DataDir = dir
	cfg.HTTP.Listen = "127.0.0.1:0"
	cfg.Detect.Enabled = false
	cfg.Sources = []serve.SourceConfig{{Name: "mail", Type: "file", Paths: []string{logFile}}}
	tokenFile := filepath.Join(dir, "inventory.token")
	if err := os.WriteFile(tokenFile, []byte("inv-s3cret\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg.Inventory.TokenFile = tokenFile
	cfg.Inventory.MaxBody = serve.ByteSize(len(sbom) + 4096)

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	ready := make(chan string, 1)
	go func() { done <- serve.Run(ctx, cfg, serve.Options{Ready: func(a string) { ready <- a }}) }()
	var addr string
	select {
	case addr = <-ready:
	case err := <-done:
		t.Fatalf("serve stopped at start: %v", err)
	case <-time.After(60 * time.Second):
		t.Fatal("serve did not start in 60s")
	}
	stopped := false
	stop := func() {
		if stopped {
			return
		}
		stopped = true
		cancel()
		if err := <-done; err != nil {
			t.Errorf("serve: %v", err)
		}
	}
	defer stop()

	post := func(token, body string) (int, string) {
		t.Helper()
		req, err := http.NewRequest(http.MethodPost, "http://"+addr+"/inventory", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", "application/json")
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer func() { _ = resp.Body.Close() }() // read below
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if code, _ := post("inv-s3cre", sbom); code != http.StatusUnauthorized {
		t.Errorf("wrong token: %d, want 401", code)
	}
	if code, _ := post("", sbom); code != http.StatusUnauthorized {
		t.Errorf("no token: %d, want 401", code)
	}
	if code, _ := post("inv-s3cret", sbom+strings.Repeat(" ", 8192)); code != http.StatusRequestEntityTooLarge {
		t.Errorf("a body over max_body: %d, want 413", code)
	}
	if code, msg := post("inv-s3cret", sbom[:len(sbom)/2]); code != http.StatusBadRequest || !strings.Contains(msg, "CycloneDX JSON") {
		t.Errorf("truncated document: %d %q, want 400 naming CycloneDX JSON", code, msg)
	}
	status, err := os.ReadFile("/var/lib/dpkg/status")
	if err != nil {
		t.Fatal(err)
	}
	if code, msg := post("inv-s3cret", string(status[:min(len(status), 64<<10)])); code != http.StatusBadRequest || !strings.Contains(msg, "want a CycloneDX or SPDX JSON document") {
		t.Errorf("a dpkg status file: %d %q, want 400", code, msg)
	}
	// Nothing rejected was stored.
	host, err := os.Hostname()
	if err != nil {
		t.Fatal(err)
	}
	st, err := sqlite.Open(context.Background(), sqlite.Options{Path: filepath.Join(dir, "vigil.db")})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = st.Close() }()
	if _, err := st.Inventory(context.Background(), host); err == nil {
		t.Fatal("an inventory was stored before a good one was posted")
	}

	if code, msg := post("inv-s3cret", sbom); code != http.StatusNoContent {
		t.Fatalf("vigil inventory's output: %d %q, want 204", code, msg)
	}
	// 204 means stored: read it back while serve still runs.
	inv, err := st.Inventory(context.Background(), host)
	if err != nil {
		t.Fatalf("after 204: %v", err)
	}
	vers, srcs := dpkgInstalled(t, "/var/lib/dpkg/status")
	if len(inv.Packages) != len(vers) || len(vers) < 100 {
		t.Fatalf("stored %d packages; the status file has %d installed", len(inv.Packages), len(vers))
	}
	withSource := 0
	for _, p := range inv.Packages {
		if v, ok := vers[p.Name]; !ok || v != p.Version {
			t.Errorf("%s %s stored; the status file says %q", p.Name, p.Version, v)
		}
		if !strings.HasPrefix(p.Ecosystem, "Debian:") {
			t.Errorf("%s: ecosystem %q", p.Name, p.Ecosystem)
		}
		// "Source: openssl" or "Source: glibc (2.36-9+deb12u10)".
		name, _, _ := strings.Cut(srcs[p.Name], " ")
		if name != "" && name != p.Name {
			withSource++
			if p.Source != name {
				t.Errorf("%s: source %q stored; the status file says %q", p.Name, p.Source, srcs[p.Name])
			}
		}
	}
	if withSource == 0 {
		t.Error("no package with a Source field came through")
	}
	if time.Since(inv.Taken) > time.Minute || inv.Taken.After(time.Now()) {
		t.Errorf("taken %v", inv.Taken)
	}
	stop()
}
