package main

import (
	"strings"
	"testing"

	"github.com/vigilhq/vigil/internal/serve"
)

// TestServeHelpExample checks that the configuration `vigil serve --help`
// shows is one the strict parser accepts, with detection and outputs as it says.
func TestServeHelpExample(t *testing.T) {
	var lines []string
	for _, l := range strings.Split(exampleConfig, "\n") {
		lines = append(lines, strings.TrimPrefix(l, "  "))
	}
	cfg, err := serve.ParseConfig("help example", []byte(strings.Join(lines, "\n")))
	if err != nil {
		t.Fatal(err)
	}
	if !cfg.Detect.Enabled || cfg.Detect.GeoIPCountry == "" || cfg.Outputs.Webhook.Format != "slack" ||
		cfg.Outputs.Webhook.MinSeverity != "high" || cfg.Outputs.Stdout.Enabled || len(cfg.Outputs.Email.To) != 1 ||
		cfg.Inventory.TokenFile != "/etc/vigil/inventory.token" {
		t.Errorf("parsed detect %+v outputs %+v", cfg.Detect, cfg.Outputs)
	}
}
