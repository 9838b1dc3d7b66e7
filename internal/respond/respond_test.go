package respond

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/vigilhq/vigil/internal/alert"
)

func crit(rule, user, ip string) *alert.Alert {
	return &alert.Alert{ID: "a1", Rule: rule, Severity: alert.Critical, User: user, SrcIP: ip}
}

func TestDryRunSaysWhatItWouldDo(t *testing.T) {
	var out bytes.Buffer
	block := filepath.Join(t.TempDir(), "blocked.txt")
	at := time.Date(2026, 11, 29, 8, 0, 0, 0, time.UTC)
	r := New(Options{DryRun: true, Out: &out, DoveadmConfig: "/tmp/lab/dovecot.conf", BlockFile: block, NftSet: "inet filter vigil_block", Now: func() time.Time { return at }})
	acts, err := r.Handle(context.Background(), crit("mailbox-download", "dr.smith", "::ffff:127.66.0.2"))
	if err != nil {
		t.Fatal(err)
	}
	want := "would run: doveadm -c /tmp/lab/dovecot.conf kick -- dr.smith 127.66.0.2\n" +
		"would append 127.66.0.2 to " + block + "\n" +
		"would run: nft add element inet filter vigil_block { 127.66.0.2 }\n"
	if out.String() != want {
		t.Errorf("dry run printed\n%s\nwant\n%s", out.String(), want)
	}
	if len(acts) != 3 || !acts[0].DryRun || acts[0].Kind != "kick" || !acts[0].Time.Equal(at) {
		t.Errorf("actions %+v", acts)
	}
	if _, err := os.Stat(block); !os.IsNotExist(err) {
		t.Errorf("dry run wrote the block list: %v", err)
	}
	e := acts[0].Entry("a1")
	if e.Kind != "kick" || e.Alert != "a1" || !e.DryRun || !strings.Contains(e.Detail, "kick -- dr.smith 127.66.0.2") {
		t.Errorf("timeline entry %+v", e)
	}
}

func TestOnlyCriticalExfiltrationOnce(t *testing.T) {
	var out bytes.Buffer
	r := New(Options{DryRun: true, Out: &out})
	for _, a := range []*alert.Alert{
		{Rule: "mailbox-download", Severity: alert.High, User: "u", SrcIP: "127.0.0.9"},
		crit("brute-force-source", "u", "127.0.0.9"),
		crit("mailbox-download", "", "127.0.0.9"),
	} {
		if acts, err := r.Handle(context.Background(), a); err != nil || acts != nil {
			t.Errorf("%s %s: acted (%v, %v)", a.Rule, a.Severity, acts, err)
		}
	}
	if _, err := r.Handle(context.Background(), crit("session-read", "u", "not-an-ip")); err == nil {
		t.Error("no error for an alert without an address")
	}
	first, _ := r.Handle(context.Background(), crit("mailbox-download", "u", "127.0.0.9"))
	again, _ := r.Handle(context.Background(), crit("session-read", "u", "127.0.0.9"))
	if len(first) != 1 || again != nil {
		t.Errorf("first %v, again %v: want one kick, then nothing", first, again)
	}
}

func TestBlockFileAndFailures(t *testing.T) {
	block := filepath.Join(t.TempDir(), "blocked.txt")
	r := New(Options{Doveadm: filepath.Join(t.TempDir(), "no-doveadm"), BlockFile: block, NftSet: "only-two words"})
	acts, err := r.Handle(context.Background(), crit("mailbox-download", "u", "127.66.0.2"))
	if err == nil {
		t.Fatal("no error when doveadm is missing and the nft set is malformed")
	}
	if len(acts) != 3 || acts[0].Err == "" || acts[1].Err != "" || acts[2].Err == "" {
		t.Fatalf("actions %+v", acts)
	}
	b, err := os.ReadFile(block) //nolint:gosec // G304: test file
	if err != nil || string(b) != "127.66.0.2\n" {
		t.Errorf("block list %q (%v)", b, err)
	}
}
