package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/vigilhq/vigil/internal/alert"
	"github.com/vigilhq/vigil/internal/serve"
	"github.com/vigilhq/vigil/internal/store"
)

func newAlertsCmd() *cobra.Command {
	var (
		configPath, account, since string
		incidents, asJSON          bool
	)
	cmd := &cobra.Command{
		Use:   "alerts --config FILE [--account A] [--since DATE] [--incidents] [--json]",
		Short: "List the alerts (or incidents) that vigil serve stored",
		Long: `alerts reads the store of a 'vigil serve' configuration (SQLite or
PostgreSQL; the daemon may be running) and lists its alerts, oldest first:
time (UTC), severity, rule, account, incident and summary. With --incidents
it lists the incidents instead, newest first. --json writes one JSON object
per line: each alert or incident as detection stored it, with its evidence
(sessions, the messages read).`,
		Example: `  vigil alerts --config /etc/vigil/vigil.yml
  vigil alerts --config /etc/vigil/vigil.yml --account dr.smith --since 2024-03-01
  vigil alerts --config /etc/vigil/vigil.yml --incidents
  vigil alerts --config /tmp/clinic/vigil.yaml --json | jq .evidence`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if configPath == "" {
				return usageErrorf("--config: which vigil serve configuration's store to read")
			}
			var q store.AlertQuery
			q.Account = account
			if since != "" {
				t, err := parseDay(since)
				if err != nil {
					return usageErrorf("--since %q: %v", since, err)
				}
				q.Since = t
			}
			cfg, err := loadConfig(configPath)
			if err != nil {
				return err
			}
			st, err := serve.OpenStore(cmd.Context(), cfg)
			if err != nil {
				return err
			}
			defer func() { _ = st.Close() }() // read only
			out := cmd.OutOrStdout()
			if incidents {
				if account != "" || since != "" {
					return usageErrorf("--account and --since select alerts, not incidents")
				}
				incs, err := st.ListIncidents(cmd.Context(), "")
				if err != nil {
					return err
				}
				return writeIncidents(out, incs, asJSON)
			}
			as, err := st.QueryAlerts(cmd.Context(), q)
			if err != nil {
				return err
			}
			return writeAlerts(out, as, asJSON)
		},
	}
	f := cmd.Flags()
	f.StringVar(&configPath, "config", "", "the vigil serve configuration whose store to read")
	f.StringVar(&account, "account", "", "only this account's alerts")
	f.StringVar(&since, "since", "", "only alerts at or after this time (2024-03-01, or RFC 3339)")
	f.BoolVar(&incidents, "incidents", false, "list the incidents instead of the alerts")
	f.BoolVar(&asJSON, "json", false, "one JSON object per line, as stored, with the evidence")
	return cmd
}

// parseDay reads a date (UTC) or an RFC 3339 time.
func parseDay(s string) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return time.Time{}, errors.New("want a date (2024-03-01) or an RFC 3339 time")
	}
	return t, nil
}

// severityName names a stored severity (1 informational … 5 critical).
func severityName(s store.Severity) string {
	switch {
	case s < 2:
		return "info"
	case s > 5:
		return fmt.Sprintf("severity %d", s)
	}
	return alert.Severity(s - 1).String() //nolint:gosec // G115: 1..4 here
}

func writeAlerts(w io.Writer, as []store.Alert, asJSON bool) error {
	if asJSON {
		return writeJSONLines(w, len(as), func(i int) ([]byte, error) {
			a := as[i]
			if len(a.Data) > 0 {
				return a.Data, nil
			}
			return json.Marshal(map[string]any{"id": a.ID, "time": a.Time, "rule": a.Rule, "user": a.Account,
				"severity": severityName(a.Severity), "summary": a.Summary, "incident": a.IncidentID})
		})
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	_, _ = fmt.Fprintln(tw, "TIME (UTC)\tSEVERITY\tRULE\tACCOUNT\tINCIDENT\tSUMMARY")
	for _, a := range as {
		_, _ = fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", a.Time.UTC().Format("2006-01-02 15:04:05"), severityName(a.Severity),
			a.Rule, dash(a.Account), dash(a.IncidentID), oneLine(a.Summary))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	_, err := fmt.Fprintf(w, "%d alert(s)\n", len(as))
	return err
}

func writeIncidents(w io.Writer, incs []store.Incident, asJSON bool) error {
	if asJSON {
		return writeJSONLines(w, len(incs), func(i int) ([]byte, error) {
			in := incs[i]
			if len(in.Data) > 0 {
				return in.Data, nil
			}
			return json.Marshal(map[string]any{"id": in.ID, "opened": in.Opened, "updated": in.Updated, "status": in.Status,
				"title": in.Title, "accounts": in.Accounts})
		})
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	_, _ = fmt.Fprintln(tw, "OPENED (UTC)\tUPDATED (UTC)\tSTATUS\tID\tTITLE")
	for _, in := range incs {
		_, _ = fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", in.Opened.UTC().Format("2006-01-02 15:04"), in.Updated.UTC().Format("2006-01-02 15:04"),
			in.Status, in.ID, oneLine(in.Title))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	_, err := fmt.Fprintf(w, "%d incident(s)\n", len(incs))
	return err
}

func writeJSONLines(w io.Writer, n int, item func(int) ([]byte, error)) error {
	for i := range n {
		b, err := item(i)
		if err != nil {
			return err
		}
		if _, err := w.Write(append(b, '\n')); err != nil {
			return err
		}
	}
	return nil
}

// oneLine keeps a table row on one line whatever a summary holds.
func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}
