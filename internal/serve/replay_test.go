package serve_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/vigilhq/vigil/internal/alert"
	"github.com/vigilhq/vigil/internal/serve"
	"github.com/vigilhq/vigil/internal/shareddata"
)

// replayLab writes the lab's real Dovecot log, cut before the line
// containing cut when cut is set, and replays it (Options.Once) into a new
// data directory with learn_until; it returns the data directory and the
// counters serve left in its metrics.
func replayLab(t *testing.T, cut string, learnUntil time.Time) (string, map[string]float64) {
	t.Helper()
	raw, err := os.ReadFile(shareddata.Path(t, "dovecot-2.3-lab/dovecot-info.log"))
	if err != nil {
		t.Fatal(err)
	}
	text := string(raw)
	if cut != "" {
		i := strings.Index(text, cut)
		if i < 0 {
			t.Fatalf("no %q in the lab log", cut)
		}
		text = text[:strings.LastIndexByte(text[:i], '\n')+1]
	}
	dir := t.TempDir()
	log := filepath.Join(dir, "dovecot-info.log")
	if err := os.WriteFile(log, []byte(text), 0o600); err != nil { //nolint:gosec // G703: the test's own directory
		t.Fatal(err)
	}
	cfg := baseConfig(t, filepath.Join(dir, "data"), false)
	cfg.Sources = []serve.SourceConfig{{Name: "mail", Type: "file", Paths: []string{log}, Timezone: "UTC"}}
	cfg.Detect.LearnUntil = serve.Timestamp{Time: learnUntil}
	reg := prometheus.NewRegistry()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute) // a bound for a hung replay only
	defer cancel()
	if err := serve.Run(ctx, cfg, serve.Options{Once: true, Metrics: reg}); err != nil {
		t.Fatalf("replay: %v", err)
	}
	if ctx.Err() != nil {
		t.Fatal("the replay did not end by itself")
	}
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	fig := map[string]float64{}
	for _, mf := range mfs {
		for _, m := range mf.GetMetric() {
			fig[mf.GetName()] += m.GetCounter().GetValue()
		}
	}
	return cfg.DataDir, fig
}

// TestReplay replays the lab's real Dovecot log with Options.Once, cut
// just before reception's POP3 logout: Run ends by itself once every line
// is read, every event is stored and has run through detection, and the
// session still open at the end of the input is ended then, so the reading
// of reception's mailbox (UIDs 1–3, from the log's mail_opened lines) is an
// alert in the store, beside the password guessing from 127.0.0.3.
func TestReplay(t *testing.T) {
	db, fig := replayLab(t, "pop3(reception)<18310><s7/ZR2Rh8ax/AAAC>: Info: Disconnected: Logged out", time.Time{})
	stored := countEvents(t, filepath.Join(db, "vigil.db"))
	pub := fig["vigil_source_events_published_total"]
	if pub == 0 || float64(stored) != pub || fig["vigil_detect_events_total"] != pub {
		t.Errorf("published %v events, stored %d, detected %v", pub, stored, fig["vigil_detect_events_total"])
	}
	alerts, _ := storedAlerts(t, filepath.Join(db, "vigil.db"))
	var read, guessed *alert.Alert
	for _, a := range alerts {
		switch {
		case a.Rule == "session-read" && a.User == "reception" && a.SrcIP == "127.0.0.2":
			read = a
		case a.Rule == "repeated-failures" && a.User == "reception" && a.SrcIP == "127.0.0.3":
			guessed = a
		}
	}
	if read == nil || guessed == nil {
		t.Fatalf("stored: %s; want reception's session-read from 127.0.0.2 (its session ended at the end of the input) and repeated-failures from 127.0.0.3", ruleList(alerts))
	}
	checkReads(t, read, []alert.Read{{Session: "s7/ZR2Rh8ax/AAAC", User: "reception", Mailbox: "INBOX", UIDs: "1:3", Exact: true}})
}

// TestReplayLearnUntil: events before detect.learn_until only teach the
// baselines. With it after the lab log's last line, the same replay stores
// every event and no alert, and dr.smith's baseline has learnt the day.
func TestReplayLearnUntil(t *testing.T) {
	db, fig := replayLab(t, "", time.Date(2026, 11, 30, 0, 0, 0, 0, time.UTC))
	if n := countEvents(t, filepath.Join(db, "vigil.db")); n == 0 || float64(n) != fig["vigil_detect_events_total"] {
		t.Errorf("stored %d events, detected %v", n, fig["vigil_detect_events_total"])
	}
	if alerts, _ := storedAlerts(t, filepath.Join(db, "vigil.db")); len(alerts) != 0 {
		t.Errorf("alerts raised while learning: %s", ruleList(alerts))
	}
	if b := baselineOf(t, filepath.Join(db, "vigil.db"), "dr.smith"); b.ActiveDays != 1 {
		t.Errorf("dr.smith's baseline after learning: %d active days, want 1", b.ActiveDays)
	}
}

// TestReplayNeedsEndingSources: a replay cannot wait for a syslog listener
// or an HTTP intake to end.
func TestReplayNeedsEndingSources(t *testing.T) {
	cfg := baseConfig(t, t.TempDir(), false)
	cfg.Sources = []serve.SourceConfig{{Name: "exporter", Type: "http", Token: "s3cret"}}
	err := serve.Run(context.Background(), cfg, serve.Options{Once: true})
	if !errors.Is(err, serve.ErrConfig) || !strings.Contains(err.Error(), `source "exporter"`) {
		t.Errorf("once with an http source: %v", err)
	}
}

// TestDetectConfigKeys: detect.learn_until takes RFC 3339 or a date, is
// unset by default, and a bad value names the file and the line.
func TestDetectConfigKeys(t *testing.T) {
	parse := func(detect string) (serve.Config, error) {
		return serve.ParseConfig("t.yml", []byte("data_dir: /tmp/x\nsources: [{name: a, type: stdin}]\ndetect:\n"+detect))
	}
	if cfg, err := parse("  enabled: true\n"); err != nil || !cfg.Detect.LearnUntil.IsZero() {
		t.Errorf("defaults: %+v %v", cfg.Detect, err)
	}
	for in, want := range map[string]time.Time{
		"2021-07-16T00:00:00Z":      time.Date(2021, 7, 16, 0, 0, 0, 0, time.UTC),
		"2021-07-16T02:00:00+02:00": time.Date(2021, 7, 16, 0, 0, 0, 0, time.UTC),
		"2021-07-16":                time.Date(2021, 7, 16, 0, 0, 0, 0, time.UTC),
		`"2021-07-16"`:              time.Date(2021, 7, 16, 0, 0, 0, 0, time.UTC),
	} {
		cfg, err := parse("  learn_until: " + in + "\n")
		if err != nil || !cfg.Detect.LearnUntil.Equal(want) {
			t.Errorf("learn_until %s: %v, %v", in, cfg.Detect.LearnUntil, err)
		}
	}
	for in, want := range map[string]string{
		"  learn_until: last week\n":  `t.yml: line 4: "last week" is not a time`,
		"  learn_until: 2021-13-01\n": `line 4: "2021-13-01" is not a time`,
	} {
		_, err := parse(in)
		if !errors.Is(err, serve.ErrConfig) || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: %v, want %q", in, err, want)
		}
	}
}
