package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/vigilhq/vigil/internal/serve"
)

const exampleConfig = `  # /etc/vigil/vigil.yml
  data_dir: /var/lib/vigil
  http:
    listen: 127.0.0.1:9701        # /healthz /readyz /metrics and HTTP intakes
  bus:                             # embedded NATS JetStream unless url is set
    max_age: 30d
    max_bytes: 10GiB
  store:
    driver: sqlite                 # or postgres, with dsn:
    retention: {max_age: 400d}
  sources:
    - {name: mail, type: file, paths: [/var/log/mail.log*]}
    - {name: syslog, type: syslog, udp: 127.0.0.1:5514, tcp: 127.0.0.1:5514}
    - {name: exporter, type: http, token_file: /etc/vigil/exporter.token}
  inventory:                       # POST /inventory: hosts ship 'vigil inventory' output
    token_file: /etc/vigil/inventory.token                       # max_body: 32MiB
  detect:                          # on by default; every key optional
    geoip_country: /var/lib/GeoIP/GeoLite2-Country.mmdb
    geoip_asn: /var/lib/GeoIP/GeoLite2-ASN.mmdb
    # thresholds: /etc/vigil/detect.yml   # as 'vigil analyze --detect-config'
    # rules: /etc/vigil/rules             # Sigma rules instead of vigil's own
    # learn_until: 2024-03-01             # events before it only teach the baselines (old logs)
  outputs:                         # alerts are always stored; these also send them
    webhook: {url: https://hooks.example/vigil, format: slack}   # min_severity: high
    syslog: {address: udp://siem.example:514}                    # CEF, min_severity: high
    email: {smtp: mail.example:587, to: [it@clinic.example], user: vigil, password_file: /etc/vigil/smtp.pw}
    # stdout: {enabled: true, min_severity: low}                 # JSON lines`

func newServeCmd() *cobra.Command {
	var configPath string
	var once bool
	cmd := &cobra.Command{
		Use:   "serve --config FILE [--once]",
		Short: "Run the daemon: sources, bus, live detection, storage, alerts, metrics",
		Long: `serve runs vigil as a daemon. It tails log files (rotation and compressed
predecessors included), receives syslog over UDP and TCP and Dovecot's event
exporter over HTTP, turns every line into an event and carries it over NATS
JetStream (embedded, or an external cluster with bus.url) into the store
(SQLite, or PostgreSQL). Nothing acknowledged is lost: a source's position
advances only once the bus has its events, and a restart after a crash
neither loses nor duplicates an event.

Detection runs live on the same events (the detectors and Sigma rules of
'vigil analyze', on event time), as its own consumer of the bus: a batch is
acknowledged only once its alerts and incidents are in the store. Per-account
baselines are kept in the store and survive restarts. Alerts are grouped into
incidents (account + source, 24h) and sent to the outputs.

Defaults: detection on, no GeoIP (networks compared by /24 and /48), vigil's
own Sigma rules, default thresholds. Outputs off until configured; each sends
alerts of min_severity and above (default high; stdout JSON lines, when
enabled, default low). stdout is off by default: a daemon's standard output
is usually nobody's, and every alert is in the store anyway. An alert is sent
once: one delivered again after a crash is already stored and not sent again
(a crash between storing and sending loses that one notification, not the
alert). Sessions idle 12h without a logout are ended while the bus is quiet
(detect.tick, 30s). Sessions still open at shutdown are not carried over.

HTTP: /healthz, /readyz, /metrics (Prometheus), each http source's intake,
and, when inventory.token or token_file is set, POST /inventory: a host's
CycloneDX (or SPDX) JSON from 'vigil inventory', answered 204 once stored as
that host's latest inventory, 400 with the reason for a document vigil cannot
read, 401 for a wrong token.
SIGTERM or SIGINT stops the sources, lets the store and detection catch up,
saves the baselines, and exits.

--once replays instead of serving: the file sources read their files to the
end (stdin to EOF; syslog and http sources are refused), serve waits until
the store and detection have every event, ends the sessions still open (the
input is complete), stores what they raise, and exits 0. With
detect.learn_until, a new install fed the clinic's old logs learns its normal
from them first; a later run without --once goes on from where it stopped.
Logs go to stderr. 'vigil config check FILE' checks a configuration.`,
		Example: "  vigil serve --config /etc/vigil/vigil.yml\n  vigil serve --config /etc/vigil/vigil.yml --once   # replay the logs to their end, then exit\n\n" + exampleConfig,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if configPath == "" {
				return usageErrorf("serve needs --config FILE")
			}
			cfg, err := loadConfig(configPath)
			if err != nil {
				return err
			}
			log := newLogger(cmd.ErrOrStderr(), cfg.Log)
			ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
			defer stop()
			return configUsage(serve.Run(ctx, cfg, serve.Options{Logger: log, Stdin: cmd.InOrStdin(), Once: once}))
		},
	}
	cmd.Flags().StringVarP(&configPath, "config", "c", "", "configuration file (YAML)")
	cmd.Flags().BoolVar(&once, "once", false, "replay: read the file and stdin sources to their end, let the store and detection catch up, end open sessions, exit")
	return cmd
}

// loadConfig reads a vigil serve configuration; a bad one is the user's
// error (exit 2).
func loadConfig(path string) (serve.Config, error) {
	cfg, err := serve.LoadConfig(path)
	return cfg, configUsage(err)
}

// configUsage marks a configuration error (serve.ErrConfig) as the user's.
func configUsage(err error) error {
	if errors.Is(err, serve.ErrConfig) {
		return fmt.Errorf("%w: %w", errUsage, err)
	}
	return err
}

func newLogger(w io.Writer, c serve.LogConfig) *slog.Logger {
	var level slog.Level
	_ = level.UnmarshalText([]byte(c.Level)) // checked by the config already
	ho := &slog.HandlerOptions{Level: level}
	if c.Format == "json" {
		return slog.New(slog.NewJSONHandler(w, ho))
	}
	return slog.New(slog.NewTextHandler(w, ho))
}

func newConfigCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "config",
		Short: "Check vigil's configuration",
	}
	cmd.AddCommand(&cobra.Command{
		Use:   "check FILE",
		Short: "Check a configuration file: syntax, unknown keys, values",
		Long: `check reads a vigil serve configuration and reports the first problem with
its file and line: an unknown key, a value of the wrong kind, a missing or
contradictory setting. It exits 0 when the file is good, 2 when it is not.`,
		Example: "  vigil config check /etc/vigil/vigil.yml",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg, err := loadConfig(args[0])
			if err != nil {
				return err
			}
			_, err = fmt.Fprintf(cmd.OutOrStdout(), "%s: ok (%d sources, store %s, bus %s)\n", args[0], len(cfg.Sources), cfg.Store.Driver, busKind(cfg))
			return err
		},
	})
	return cmd
}

func busKind(cfg serve.Config) string {
	if cfg.Bus.URL != "" {
		return cfg.Bus.URL
	}
	return "embedded"
}
