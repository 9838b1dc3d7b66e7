package serve

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// ErrConfig marks a configuration error (the CLI exits 2 for it).
var ErrConfig = errors.New("bad configuration")

// Config is vigil serve's configuration file. Zero fields take the defaults
// of Defaults.
type Config struct {
	// DataDir holds the SQLite database and the embedded bus's files.
	DataDir string `yaml:"data_dir"`
	// HTTP is where /healthz, /readyz, /metrics and the HTTP intake listen.
	HTTP HTTPConfig `yaml:"http"`
	Bus  BusConfig  `yaml:"bus"`
	// Store is where events and state are kept.
	Store   StoreConfig    `yaml:"store"`
	Sources []SourceConfig `yaml:"sources"`
	Log     LogConfig      `yaml:"log"`
	// Detect is live detection on the bus.
	Detect DetectConfig `yaml:"detect"`
	// Outputs are where alerts go besides the store.
	Outputs OutputsConfig `yaml:"outputs"`
	// Inventory is the POST /inventory intake of hosts' package inventories.
	Inventory InventoryConfig `yaml:"inventory"`
}

// HTTPConfig is the HTTP server's.
type HTTPConfig struct {
	Listen string `yaml:"listen"`
}

// BusConfig selects and bounds the bus.
type BusConfig struct {
	// URL of an external NATS server; "" runs the embedded one.
	URL string `yaml:"url"`
	// Listen makes the embedded server accept clients on this address.
	Listen string `yaml:"listen"`
	Stream string `yaml:"stream"`
	// Subject is the stream's subject prefix (default vigil.events); give
	// each vigil sharing an external server its own stream and subject.
	Subject string `yaml:"subject"`
	// MaxAge and MaxBytes bound the event stream.
	MaxAge   Duration `yaml:"max_age"`
	MaxBytes ByteSize `yaml:"max_bytes"`
	// SyncAlways fsyncs every bus write before JetStream acknowledges it
	// (embedded server only), so an acknowledged event survives a power
	// loss too. Default true: with events batched into messages it costs
	// about nothing (BenchmarkIngestSyncAlways). false leaves the syncing
	// to JetStream's two-minute interval: a crash of vigil still loses
	// nothing, a power loss can lose what the store had not committed.
	SyncAlways bool `yaml:"sync_always"`
}

// StoreConfig selects the store backend and its retention.
type StoreConfig struct {
	// Driver is "sqlite" (default) or "postgres".
	Driver string `yaml:"driver"`
	// Path is the SQLite file (default DATA_DIR/vigil.db).
	Path string `yaml:"path"`
	// DSN and Schema are PostgreSQL's.
	DSN    string `yaml:"dsn"`
	Schema string `yaml:"schema"`
	// Retention bounds the stored events.
	Retention RetentionConfig `yaml:"retention"`
}

// RetentionConfig bounds stored events by age and count.
type RetentionConfig struct {
	MaxAge    Duration `yaml:"max_age"`
	MaxEvents int64    `yaml:"max_events"`
}

// SourceConfig is one source.
type SourceConfig struct {
	Name string `yaml:"name"`
	// Type is file, syslog, http or stdin.
	Type string `yaml:"type"`
	// Format fixes the log format (default: detected per line).
	Format string `yaml:"format"`
	// Timezone is the zone of timestamps without one (default: local).
	Timezone string `yaml:"timezone"`
	// Paths are files and globs (file).
	Paths []string `yaml:"paths"`
	// Poll is how often idle files are checked (file).
	Poll Duration `yaml:"poll"`
	// UDP and TCP are listen addresses (syslog).
	UDP string `yaml:"udp"`
	TCP string `yaml:"tcp"`
	// Path is the URL path of the intake (http); Token or TokenFile
	// authenticates senders.
	Path      string `yaml:"path"`
	Token     string `yaml:"token"`
	TokenFile string `yaml:"token_file"`
}

// LogConfig is vigil's own log's.
type LogConfig struct {
	// Level is debug, info (default), warn or error.
	Level string `yaml:"level"`
	// Format is text (default) or json.
	Format string `yaml:"format"`
}

// Defaults returns the configuration's defaults.
func Defaults() Config {
	return Config{
		DataDir: "/var/lib/vigil",
		HTTP:    HTTPConfig{Listen: "127.0.0.1:9701"},
		Bus:     BusConfig{Stream: "VIGIL_EVENTS", Subject: "vigil.events", MaxAge: Duration(30 * 24 * time.Hour), SyncAlways: true},
		Store:   StoreConfig{Driver: "sqlite", Retention: RetentionConfig{MaxAge: Duration(400 * 24 * time.Hour)}},
		Log:     LogConfig{Level: "info", Format: "text"},
		Detect:  DetectConfig{Enabled: true, Tick: Duration(30 * time.Second), IncidentWindow: Duration(24 * time.Hour)},
		Outputs: OutputsConfig{
			Stdout:  StdoutOutput{MinSeverity: "low"},
			Webhook: WebhookOutput{Format: "json", MinSeverity: "high"},
			Syslog:  SyslogOutput{MinSeverity: "high"},
			Email:   EmailOutput{From: "vigil@localhost", MinSeverity: "high"},
		},
	}
}

// Duration is a time.Duration in YAML: "90s", "12h", or days "30d".
type Duration time.Duration

// UnmarshalYAML implements yaml.Unmarshaler.
func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	s := n.Value
	if days, ok := strings.CutSuffix(s, "d"); ok {
		v, err := strconv.ParseUint(days, 10, 16)
		if err != nil {
			return fmt.Errorf("line %d: %q is not a duration (like 90s, 12h or 30d)", n.Line, s)
		}
		*d = Duration(time.Duration(v) * 24 * time.Hour) //nolint:gosec // G115: at most 65535 days
		return nil
	}
	v, err := time.ParseDuration(s)
	if err != nil || v < 0 {
		return fmt.Errorf("line %d: %q is not a duration (like 90s, 12h or 30d)", n.Line, s)
	}
	*d = Duration(v)
	return nil
}

// ByteSize is a size in YAML: 1048576, "512MiB", "10GiB", "2GB".
type ByteSize int64

var sizeRE = regexp.MustCompile(`^([0-9]+)\s*([KMGT]i?B|B)?$`)

// UnmarshalYAML implements yaml.Unmarshaler.
func (b *ByteSize) UnmarshalYAML(n *yaml.Node) error {
	m := sizeRE.FindStringSubmatch(strings.TrimSpace(n.Value))
	if m == nil {
		return fmt.Errorf("line %d: %q is not a size (like 512MiB or 10GiB)", n.Line, n.Value)
	}
	v, err := strconv.ParseInt(m[1], 10, 64)
	if err != nil {
		return fmt.Errorf("line %d: %q is not a size", n.Line, n.Value)
	}
	mult := map[string]int64{"": 1, "B": 1, "KB": 1e3, "MB": 1e6, "GB": 1e9, "TB": 1e12,
		"KiB": 1 << 10, "MiB": 1 << 20, "GiB": 1 << 30, "TiB": 1 << 40}[m[2]]
	if v > (1<<62)/mult {
		return fmt.Errorf("line %d: %q is too large", n.Line, n.Value)
	}
	*b = ByteSize(v * mult)
	return nil
}

var unknownField = regexp.MustCompile(`line (\d+): field (\S+) not found in type \S+`)

// LoadConfig reads and checks a configuration file. Errors wrap ErrConfig
// and name the file, the line where known, and the key.
func LoadConfig(path string) (Config, error) {
	b, err := os.ReadFile(path) //nolint:gosec // G304: the configuration file the user named
	if err != nil {
		return Config{}, fmt.Errorf("%w: %w", ErrConfig, err)
	}
	return ParseConfig(path, b)
}

// ParseConfig parses and checks configuration text; name is used in errors.
func ParseConfig(name string, text []byte) (Config, error) {
	cfg := Defaults()
	dec := yaml.NewDecoder(bytes.NewReader(text))
	dec.KnownFields(true)
	if err := dec.Decode(&cfg); err != nil && !errors.Is(err, io.EOF) {
		msg := err.Error()
		msg = strings.TrimPrefix(msg, "yaml: unmarshal errors:\n  ")
		msg = strings.TrimPrefix(msg, "yaml: ")
		msg = unknownField.ReplaceAllString(msg, `line $1: unknown key "$2"`)
		msg = strings.ReplaceAll(msg, "\n  ", "; ")
		return Config{}, fmt.Errorf("%w: %s: %s", ErrConfig, name, msg)
	}
	if err := cfg.check(); err != nil {
		return Config{}, fmt.Errorf("%w: %s: %w", ErrConfig, name, err)
	}
	return cfg, nil
}

var sourceName = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,62}$`)

func (c *Config) check() error {
	if c.DataDir == "" {
		return errors.New("data_dir: must not be empty")
	}
	switch c.Store.Driver {
	case "sqlite":
		if c.Store.DSN != "" {
			return errors.New("store.dsn: only for driver postgres")
		}
	case "postgres":
		if c.Store.DSN == "" {
			return errors.New("store.dsn: driver postgres needs a dsn")
		}
	default:
		return fmt.Errorf("store.driver: %q is not sqlite or postgres", c.Store.Driver)
	}
	if c.Store.Retention.MaxEvents < 0 {
		return errors.New("store.retention.max_events: must not be negative")
	}
	if c.Bus.URL != "" && c.Bus.Listen != "" {
		return errors.New("bus.listen: only for the embedded server (no bus.url)")
	}
	switch c.Log.Level {
	case "debug", "info", "warn", "error":
	default:
		return fmt.Errorf("log.level: %q is not debug, info, warn or error", c.Log.Level)
	}
	if c.Log.Format != "text" && c.Log.Format != "json" {
		return fmt.Errorf("log.format: %q is not text or json", c.Log.Format)
	}
	if len(c.Sources) == 0 {
		return errors.New("sources: at least one source is needed")
	}
	if err := c.Detect.check(); err != nil {
		return err
	}
	if err := c.Outputs.check(); err != nil {
		return err
	}
	if err := c.checkInventory(); err != nil {
		return err
	}
	names := map[string]bool{}
	stdin := 0
	for i, s := range c.Sources {
		where := fmt.Sprintf("sources[%d]", i)
		if !sourceName.MatchString(s.Name) {
			return fmt.Errorf("%s.name: %q: want lower-case letters, digits, - and _", where, s.Name)
		}
		where = fmt.Sprintf("source %q", s.Name)
		if names[s.Name] {
			return fmt.Errorf("%s: name used twice", where)
		}
		names[s.Name] = true
		if s.Timezone != "" {
			if _, err := time.LoadLocation(s.Timezone); err != nil {
				return fmt.Errorf("%s: timezone %q: %w", where, s.Timezone, err)
			}
		}
		if err := s.checkType(where); err != nil {
			return err
		}
		if s.Type == "stdin" {
			stdin++
		}
	}
	if stdin > 1 {
		return errors.New("sources: stdin can be read by one source only")
	}
	return nil
}

func (s *SourceConfig) checkType(where string) error {
	only := func(field string, set bool) error {
		if set {
			return fmt.Errorf("%s: %s does not apply to type %s", where, field, s.Type)
		}
		return nil
	}
	switch s.Type {
	case "file":
		if len(s.Paths) == 0 {
			return fmt.Errorf("%s: type file needs paths", where)
		}
		return errors.Join(only("udp", s.UDP != ""), only("tcp", s.TCP != ""), only("token", s.Token != ""))
	case "syslog":
		if s.UDP == "" && s.TCP == "" {
			return fmt.Errorf("%s: type syslog needs udp or tcp", where)
		}
		return errors.Join(only("paths", len(s.Paths) > 0), only("token", s.Token != ""))
	case "http":
		if s.Token == "" && s.TokenFile == "" {
			return fmt.Errorf("%s: type http needs token or token_file", where)
		}
		if s.Token != "" && s.TokenFile != "" {
			return fmt.Errorf("%s: token and token_file are exclusive", where)
		}
		if s.Path != "" && !strings.HasPrefix(s.Path, "/") {
			return fmt.Errorf("%s: path %q must start with /", where, s.Path)
		}
		return errors.Join(only("paths", len(s.Paths) > 0), only("udp", s.UDP != ""), only("tcp", s.TCP != ""))
	case "stdin":
		return errors.Join(only("paths", len(s.Paths) > 0), only("udp", s.UDP != ""), only("tcp", s.TCP != ""))
	case "":
		return fmt.Errorf("%s: type is missing (file, syslog, http or stdin)", where)
	default:
		return fmt.Errorf("%s: type %q is not file, syslog, http or stdin", where, s.Type)
	}
}
