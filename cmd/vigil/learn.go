package main

import (
	"fmt"
	"io"
	"log/slog"

	"github.com/spf13/cobra"

	"github.com/vigilhq/vigil/internal/analyze"
	"github.com/vigilhq/vigil/internal/detect"
)

func newLearnCmd() *cobra.Command {
	var f detectFlags
	cmd := &cobra.Command{
		Use:   "learn --state DIR PATH...",
		Short: "Learn each account's normal behaviour from old logs, before watching new ones",
		Long: `learn reads old mail-server logs and builds, for each account, the baseline the
detectors compare new activity with: the networks, countries and network
providers it logs in from, its protocols, its hours, and how much mail it reads
in a session and in a day. It raises no alerts.

Baselines are kept in --state (one small file per account, at most 2 KiB) and
are used by 'vigil analyze --state' and the daemon. Learning again adds to
them. Feed it logs from a time you trust: what it learns is "normal".`,
		Example: `  vigil learn --state /var/lib/vigil/baselines /var/log/mail.log.*.gz
  vigil learn --state ./baselines --geoip-country GeoLite2-Country.mmdb --geoip-asn GeoLite2-ASN.mmdb old/*.log`,
		Args: atLeastOnePath,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runLearn(cmd.OutOrStdout(), cmd.ErrOrStderr(), f, args)
		},
	}
	f.register(cmd)
	return cmd
}

func runLearn(stdout, stderr io.Writer, f detectFlags, args []string) error {
	batchGC()
	if f.state == "" {
		return usageErrorf("--state DIR is required: it is where the baselines are kept")
	}
	loc, err := location(f.tz)
	if err != nil {
		return err
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	eng, closeGeo, err := f.engine(log, true, nil)
	if err != nil {
		return err
	}
	defer closeGeo()
	r, err := analyze.New(analyze.Options{Logger: log, Format: f.format, Location: loc, Engine: eng})
	if err != nil {
		return fmt.Errorf("%w: %w", errUsage, err)
	}
	var failed []string
	for _, path := range analyze.SortByTime(args, f.format, loc) {
		if err := r.File(path); err != nil {
			_, _ = fmt.Fprintf(stderr, "vigil learn: %v\n", err) // reported; the other files are still read
			failed = append(failed, path)
		}
	}
	res, err := r.Finish()
	if err != nil {
		return err
	}
	st, err := detect.NewFileStore(f.state)
	if err != nil {
		return err
	}
	accounts, err := st.List()
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(stdout, "learned from %d events in %d lines; %d accounts have baselines in %s\n", res.Events, res.Lines, len(accounts), f.state)
	if err != nil {
		return fmt.Errorf("writing output: %w", err)
	}
	if len(failed) > 0 {
		return usageErrorf("could not read %v", failed)
	}
	return nil
}
