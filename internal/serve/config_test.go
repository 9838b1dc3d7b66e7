package serve_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/vigilhq/vigil/internal/serve"
)

func TestGoodConfig(t *testing.T) {
	cfg, err := serve.LoadConfig("testdata/good.yml")
	if err != nil {
		t.Fatal(err)
	}
	if len(cfg.Sources) != 4 || cfg.Bus.MaxAge != serve.Duration(30*24*time.Hour) || cfg.Bus.MaxBytes != 10<<30 ||
		cfg.Store.Retention.MaxEvents != 50000000 || cfg.Sources[0].Poll != serve.Duration(250*time.Millisecond) {
		t.Errorf("parsed %+v", cfg)
	}
	if !cfg.Detect.Enabled || cfg.Detect.GeoIPASN != "/var/lib/GeoIP/GeoLite2-ASN.mmdb" || cfg.Detect.Tick != serve.Duration(30*time.Second) ||
		cfg.Outputs.Syslog.MinSeverity != "medium" || cfg.Outputs.Webhook.Format != "slack" || len(cfg.Outputs.Email.To) != 1 || cfg.Outputs.Stdout.Enabled {
		t.Errorf("parsed detect %+v outputs %+v", cfg.Detect, cfg.Outputs)
	}
	// Left out, detection is on with its defaults and every output is off.
	d := serve.Defaults()
	if !d.Detect.Enabled || d.Outputs.Stdout.Enabled || d.Outputs.Webhook.URL != "" || d.Outputs.Webhook.MinSeverity != "high" {
		t.Errorf("defaults: detect %+v outputs %+v", d.Detect, d.Outputs)
	}
}

// TestBadConfigs checks each file of testdata/bad gives its error, naming
// the file, the line (where YAML knows it) and the key.
func TestBadConfigs(t *testing.T) {
	want := map[string]string{ //nolint:gosec // G101: expected error messages, no credentials
		"unknown-key.yml":        `unknown-key.yml: line 5: unknown key "max_agee"`,
		"unknown-top-key.yml":    `unknown-top-key.yml: line 2: unknown key "datadir"`,
		"unknown-source-key.yml": `unknown-source-key.yml: line 3: unknown key "pathz"`,
		"no-sources.yml":         "sources: at least one source is needed",
		"bad-type.yml":           `source "a": type "tail" is not file, syslog, http or stdin`,
		"file-no-paths.yml":      `source "a": type file needs paths`,
		"duplicate-name.yml":     `source "a": name used twice`,
		"bad-name.yml":           `sources[0].name: "Mail Log": want lower-case letters, digits, - and _`,
		"http-no-token.yml":      `source "a": type http needs token or token_file`,
		"syslog-paths.yml":       `source "a": paths does not apply to type syslog`,
		"bad-duration.yml":       `line 2: "soon" is not a duration (like 90s, 12h or 30d)`,
		"bad-size.yml":           `line 2: "10 gigs" is not a size (like 512MiB or 10GiB)`,
		"bad-driver.yml":         `store.driver: "mysql" is not sqlite or postgres`,
		"postgres-no-dsn.yml":    "store.dsn: driver postgres needs a dsn",
		"bad-timezone.yml":       `source "a": timezone "Mars/Olympus"`,
		"listen-with-url.yml":    "bus.listen: only for the embedded server (no bus.url)",
		"syntax.yml":             "syntax.yml: ",
		"bad-level.yml":          `log.level: "loud" is not debug, info, warn or error`,
		"output-severity.yml":    `outputs.webhook.min_severity: unknown severity "loud"`,
		"email-no-to.yml":        "outputs.email: smtp needs to (the recipients)",
		"unknown-detect-key.yml": `unknown-detect-key.yml: line 5: unknown key "geoip_contry"`,
		"inv-two-tokens.yml":     "inventory: token and token_file are exclusive",
		"inv-path-taken.yml":     `source "a": path /inventory is the inventory intake's`,
	}
	files, err := filepath.Glob("testdata/bad/*.yml")
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != len(want) {
		t.Errorf("%d bad files, %d expectations", len(files), len(want))
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			w, ok := want[filepath.Base(f)]
			if !ok {
				t.Fatal("no expected error for this file")
			}
			_, err := serve.LoadConfig(f)
			if err == nil {
				t.Fatal("accepted")
			}
			if !errors.Is(err, serve.ErrConfig) || !strings.Contains(err.Error(), w) || !strings.Contains(err.Error(), f) {
				t.Errorf("error %q\nwant it to name %s and contain %q", err, f, w)
			}
		})
	}
}

func TestMissingConfig(t *testing.T) {
	_, err := serve.LoadConfig(filepath.Join(t.TempDir(), "none.yml"))
	if !errors.Is(err, serve.ErrConfig) || !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: %v", err)
	}
}
