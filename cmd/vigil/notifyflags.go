package main

import (
	"fmt"
	"io"
	"net/url"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/vigilhq/vigil/internal/alert"
	"github.com/vigilhq/vigil/internal/notify"
)

// notifyFlags are the alert outputs besides stdout.
type notifyFlags struct {
	webhook       string
	webhookFormat string
	syslog        string
	smtp          string
	mailFrom      string
	mailTo        []string
	smtpUser      string
	notifyMin     string
}

func (f *notifyFlags) register(cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.StringVar(&f.webhook, "webhook", "", "also POST each alert to this URL")
	fl.StringVar(&f.webhookFormat, "webhook-format", "json", "webhook body: json (the alert), slack or teams (a text message)")
	fl.StringVar(&f.syslog, "syslog", "", "also send each alert as syslog CEF to udp://HOST:PORT or tcp://HOST:PORT")
	fl.StringVar(&f.smtp, "smtp", "", "also email each alert through this SMTP server (HOST:PORT); password from VIGIL_SMTP_PASSWORD")
	fl.StringVar(&f.mailFrom, "mail-from", "vigil@localhost", "sender of alert emails")
	fl.StringSliceVar(&f.mailTo, "mail-to", nil, "recipients of alert emails (repeat or comma-separate)")
	fl.StringVar(&f.smtpUser, "smtp-user", "", "SMTP user (STARTTLS is then required)")
	fl.StringVar(&f.notifyMin, "notify-min-severity", "high", "lowest severity sent to webhook, syslog and email")
}

// build returns the configured outputs, or nil when there are none.
func (f *notifyFlags) build() (notify.Notifier, error) {
	minSev, err := alert.ParseSeverity(f.notifyMin)
	if err != nil {
		return nil, usageErrorf("--notify-min-severity: %v", err)
	}
	var fan notify.Fanout
	if f.webhook != "" {
		u, err := url.Parse(f.webhook)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return nil, usageErrorf("--webhook %q: want an http(s) URL", f.webhook)
		}
		switch f.webhookFormat {
		case "json", "slack", "teams":
		default:
			return nil, usageErrorf("--webhook-format %q: want json, slack or teams", f.webhookFormat)
		}
		fan.Targets = append(fan.Targets, notify.Target{Notifier: &notify.Webhook{URL: f.webhook, Format: f.webhookFormat}, Min: minSev})
	}
	if f.syslog != "" {
		network, addr, ok := strings.Cut(f.syslog, "://")
		if !ok || (network != "udp" && network != "tcp") || addr == "" {
			return nil, usageErrorf("--syslog %q: want udp://HOST:PORT or tcp://HOST:PORT", f.syslog)
		}
		host, _ := os.Hostname()
		fan.Targets = append(fan.Targets, notify.Target{Notifier: &notify.Syslog{Network: network, Addr: addr, Hostname: host}, Min: minSev})
	}
	if f.smtp != "" {
		if len(f.mailTo) == 0 {
			return nil, usageErrorf("--smtp needs --mail-to")
		}
		fan.Targets = append(fan.Targets, notify.Target{Notifier: &notify.Email{Addr: f.smtp, From: f.mailFrom, To: f.mailTo,
			Username: f.smtpUser, Password: os.Getenv("VIGIL_SMTP_PASSWORD")}, Min: minSev})
	}
	if len(fan.Targets) == 0 {
		return nil, nil
	}
	return &fan, nil
}

// progress reports lines read on a terminal, and nothing elsewhere.
func progress(w io.Writer) func(string, int64) {
	f, ok := w.(*os.File)
	if !ok {
		return nil
	}
	st, err := f.Stat()
	if err != nil || st.Mode()&os.ModeCharDevice == 0 {
		return nil
	}
	return func(name string, lines int64) {
		_, _ = fmt.Fprintf(w, "\r%s: %d lines read", name, lines) // progress only; a failed write loses nothing
	}
}
