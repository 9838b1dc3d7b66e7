package serve

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/vigilhq/vigil/internal/alert"
)

// DetectConfig is live detection's: a durable consumer of the bus that runs
// the detection engine and writes alerts and incidents to the store.
type DetectConfig struct {
	// Enabled runs detection (default true).
	Enabled bool `yaml:"enabled"`
	// Thresholds is a file of detection thresholds (docs/detection.md);
	// "" keeps the defaults.
	Thresholds string `yaml:"thresholds"`
	// Rules is a directory of Sigma rules run instead of vigil's own;
	// NoRules runs the detectors only.
	Rules   string `yaml:"rules"`
	NoRules bool   `yaml:"no_rules"`
	// GeoIPCountry and GeoIPASN are GeoLite2-format databases (optional).
	GeoIPCountry string `yaml:"geoip_country"`
	GeoIPASN     string `yaml:"geoip_asn"`
	// Tick is how often, while the bus is quiet, sessions idle too long are
	// ended (default 30s).
	Tick Duration `yaml:"tick"`
	// IncidentWindow groups an account's and a source's alerts into one
	// incident while they come within it of each other (default 24h).
	IncidentWindow Duration `yaml:"incident_window"`
	// LearnUntil, when set, makes events before it (event time) only teach
	// the per-account baselines and raise nothing, as 'vigil learn' does: a
	// new install first fed the clinic's old logs learns its normal from
	// them instead of alerting on months of history. RFC 3339
	// ("2024-03-01T00:00:00Z") or a date ("2024-03-01", midnight UTC).
	LearnUntil Timestamp `yaml:"learn_until"`
}

// Timestamp is a point in time in YAML: RFC 3339, or a date (midnight UTC).
type Timestamp struct{ time.Time }

// UnmarshalYAML implements yaml.Unmarshaler.
func (t *Timestamp) UnmarshalYAML(n *yaml.Node) error {
	s := strings.TrimSpace(n.Value)
	for _, layout := range []string{time.RFC3339Nano, time.DateOnly} {
		if v, err := time.Parse(layout, s); err == nil {
			t.Time = v.UTC()
			return nil
		}
	}
	return fmt.Errorf("line %d: %q is not a time (like 2024-03-01T00:00:00Z or 2024-03-01)", n.Line, n.Value)
}

func (d *DetectConfig) check() error {
	if d.Rules != "" && d.NoRules {
		return errors.New("detect: rules and no_rules are exclusive")
	}
	if d.Tick <= 0 {
		return errors.New("detect.tick: must be positive")
	}
	if d.IncidentWindow <= 0 {
		return errors.New("detect.incident_window: must be positive")
	}
	return nil
}

// OutputsConfig are the alert outputs. Every alert is stored; these also
// send it out. Each has its lowest severity sent.
type OutputsConfig struct {
	Stdout  StdoutOutput  `yaml:"stdout"`
	Webhook WebhookOutput `yaml:"webhook"`
	Syslog  SyslogOutput  `yaml:"syslog"`
	Email   EmailOutput   `yaml:"email"`
}

// StdoutOutput writes alerts as JSON lines on standard output (off by
// default: a daemon's standard output is often nobody's).
type StdoutOutput struct {
	Enabled     bool   `yaml:"enabled"`
	MinSeverity string `yaml:"min_severity"`
}

// WebhookOutput POSTs each alert to URL (on when URL is set).
type WebhookOutput struct {
	URL string `yaml:"url"`
	// Format is json (the alert), slack or teams (a text message).
	Format      string `yaml:"format"`
	MinSeverity string `yaml:"min_severity"`
}

// SyslogOutput sends each alert as syslog CEF (on when Address is set).
type SyslogOutput struct {
	// Address is udp://HOST:PORT or tcp://HOST:PORT.
	Address     string `yaml:"address"`
	MinSeverity string `yaml:"min_severity"`
}

// EmailOutput mails each alert through an SMTP server (on when SMTP is set).
type EmailOutput struct {
	// SMTP is HOST:PORT.
	SMTP string   `yaml:"smtp"`
	From string   `yaml:"from"`
	To   []string `yaml:"to"`
	// User and PasswordFile authenticate (STARTTLS is then required).
	User         string `yaml:"user"`
	PasswordFile string `yaml:"password_file"`
	MinSeverity  string `yaml:"min_severity"`
}

func checkSeverity(where, s string) error {
	if _, err := alert.ParseSeverity(s); err != nil {
		return fmt.Errorf("%s.min_severity: %w", where, err)
	}
	return nil
}

func (o *OutputsConfig) check() error {
	errs := []error{
		checkSeverity("outputs.stdout", o.Stdout.MinSeverity),
		checkSeverity("outputs.webhook", o.Webhook.MinSeverity),
		checkSeverity("outputs.syslog", o.Syslog.MinSeverity),
		checkSeverity("outputs.email", o.Email.MinSeverity),
	}
	if o.Webhook.URL != "" {
		u, err := url.Parse(o.Webhook.URL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			errs = append(errs, fmt.Errorf("outputs.webhook.url: %q is not an http(s) URL", o.Webhook.URL))
		}
	}
	switch o.Webhook.Format {
	case "json", "slack", "teams":
	default:
		errs = append(errs, fmt.Errorf("outputs.webhook.format: %q is not json, slack or teams", o.Webhook.Format))
	}
	if o.Syslog.Address != "" {
		network, addr, ok := strings.Cut(o.Syslog.Address, "://")
		if !ok || (network != "udp" && network != "tcp") || addr == "" {
			errs = append(errs, fmt.Errorf("outputs.syslog.address: %q is not udp://HOST:PORT or tcp://HOST:PORT", o.Syslog.Address))
		}
	}
	if o.Email.SMTP != "" && len(o.Email.To) == 0 {
		errs = append(errs, errors.New("outputs.email: smtp needs to (the recipients)"))
	}
	if o.Email.PasswordFile != "" && o.Email.User == "" {
		errs = append(errs, errors.New("outputs.email: password_file needs user"))
	}
	return errors.Join(errs...)
}
