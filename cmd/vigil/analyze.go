package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"runtime/debug"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/vigilhq/vigil/internal/alert"
	"github.com/vigilhq/vigil/internal/analyze"
	"github.com/vigilhq/vigil/internal/detect"
	"github.com/vigilhq/vigil/internal/parse"
)

type detectFlags struct {
	format     string
	tz         string
	state      string
	geoCountry string
	geoASN     string
	rulesDir   string
	noRules    bool
	config     string
}

func (f *detectFlags) register(cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.StringVar(&f.format, "format", "auto", "log format: auto, "+strings.Join(parse.Formats(), ", ")+", or a family (dovecot)")
	fl.StringVar(&f.tz, "tz", "UTC", "time zone of timestamps that carry none (IANA name, or Local)")
	fl.StringVar(&f.state, "state", "", "directory of per-account baselines (read, then updated); empty: learn in memory only")
	fl.StringVar(&f.geoCountry, "geoip-country", "", "GeoLite2-Country or -City format database (optional)")
	fl.StringVar(&f.geoASN, "geoip-asn", "", "GeoLite2-ASN format database (optional)")
	fl.StringVar(&f.rulesDir, "rules", "", "directory of Sigma rules to run instead of vigil's own (rules/)")
	fl.BoolVar(&f.noRules, "no-rules", false, "run the detectors only, no Sigma rules")
	fl.StringVar(&f.config, "detect-config", "", "YAML file of detector thresholds (docs/detection.md); unknown keys are an error")
}

// engine builds the detection engine the flags describe.
func (f *detectFlags) engine(log *slog.Logger, learnOnly bool, rules []detect.EventRule) (*detect.Engine, func(), error) {
	var opts detect.Options
	opts.Logger, opts.LearnOnly, opts.Rules = log, learnOnly, rules
	closer := func() {}
	if f.config != "" {
		cf, err := os.Open(f.config)
		if err != nil {
			return nil, nil, usageErrorf("--detect-config: %v", err)
		}
		cfg, err := detect.LoadConfig(cf)
		_ = cf.Close() // read-only
		if err != nil {
			return nil, nil, usageErrorf("%s: %v", f.config, err)
		}
		opts.Config = cfg
	}
	if f.state != "" {
		st, err := detect.NewFileStore(f.state)
		if err != nil {
			return nil, nil, usageErrorf("--state: %v", err)
		}
		opts.Baselines = st
	}
	if f.geoCountry != "" || f.geoASN != "" {
		g, err := detect.OpenMMDB(f.geoCountry, f.geoASN)
		if err != nil {
			return nil, nil, usageErrorf("%v", err)
		}
		opts.Geo = g
		closer = func() { _ = g.Close() } // read-only databases
	}
	eng, err := detect.New(opts)
	if err != nil {
		closer()
		return nil, nil, err
	}
	return eng, closer, nil
}

type analyzeFlags struct {
	detectFlags
	notifyFlags
	respondFlags
	json      bool
	exitCode  bool
	minSev    string
	noSummary bool
}

func newAnalyzeCmd() *cobra.Command {
	var f analyzeFlags
	cmd := &cobra.Command{
		Use:   "analyze [--json] PATH...",
		Short: "Batch detection over log files (rotated and gzipped too), on event time",
		Long: `analyze runs vigil's detectors and rules over mail-server logs, on the logs'
own time, as fast as the disk allows. Use it on months of old logs to find out
whether an account was broken into and when it began.

Files are read oldest first, whatever their order on the command line (by the
time of their first event), so 'vigil analyze /var/log/mail.log*' works.
Each alert says what happened in plain words, with its evidence: the sessions,
the log lines, and the message UIDs an attacker's session read. Alerts about
the same account and address within a day are grouped into one incident;
the incident table says when each began.

Baselines (what each account normally does) are learned as the logs are read;
with --state they are kept between runs (see 'vigil learn'). Without GeoIP
databases, new networks are judged by address prefix (/24, /48).

Containment is off unless --respond is given: then each critical exfiltration
alert (mailbox-download, mass-read, session-read) ends the account's sessions
from that address with 'doveadm kick USER IP', and with --block-file or
--nft-set adds the address there; each action goes into the incident's
timeline. --dry-run prints the commands instead of running them.`,
		Example: `  vigil analyze /var/log/dovecot-info.log
  vigil analyze --json --state /var/lib/vigil/baselines /var/log/mail.log.*.gz /var/log/mail.log
  vigil analyze --geoip-country GeoLite2-Country.mmdb --geoip-asn GeoLite2-ASN.mmdb mail.log
  vigil analyze --respond --dry-run /var/log/dovecot-info.log   # what containment would do`,
		Args: atLeastOnePath,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runAnalyze(cmd.OutOrStdout(), cmd.ErrOrStderr(), f, args)
		},
	}
	f.detectFlags.register(cmd)
	f.notifyFlags.register(cmd)
	f.respondFlags.register(cmd)
	fl := cmd.Flags()
	fl.BoolVar(&f.json, "json", false, "write alerts as JSON lines (nothing else on stdout)")
	fl.BoolVar(&f.exitCode, "exit-code", false, "exit 1 when any alert is raised")
	fl.StringVar(&f.minSev, "min-severity", "low", "report alerts of at least this severity: low, medium, high, critical")
	fl.BoolVar(&f.noSummary, "no-summary", false, "do not print the run's summary on stderr")
	return cmd
}

// batchGC makes the garbage collector run less often in batch work (the
// heap is small and short-lived); GOGC in the environment still wins.
func batchGC() {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(400)
	}
}

func runAnalyze(stdout, stderr io.Writer, f analyzeFlags, args []string) error {
	batchGC()
	minSev, err := alert.ParseSeverity(f.minSev)
	if err != nil {
		return usageErrorf("--min-severity: %v", err)
	}
	loc, err := location(f.tz)
	if err != nil {
		return err
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	rules, err := loadRules(f.rulesDir, f.noRules)
	if err != nil {
		return err
	}
	eng, closeGeo, err := f.engine(log, false, rules)
	if err != nil {
		return err
	}
	defer closeGeo()
	notifier, err := f.build()
	if err != nil {
		return err
	}
	ctx := context.Background()
	var notifyErrs int
	resp, err := f.responder(log, stderr)
	if err != nil {
		return err
	}
	timeline := map[string][]alert.Entry{}
	out := bufio.NewWriterSize(stdout, 64<<10)
	enc := json.NewEncoder(out)
	enc.SetEscapeHTML(false)
	var encErr error
	var shown []*alert.Alert
	r, err := analyze.New(analyze.Options{Logger: log, Format: f.format, Location: loc, Engine: eng, OnAlert: func(a *alert.Alert) {
		contain(resp, stderr, a, timeline)
		if a.Severity < minSev {
			return
		}
		shown = append(shown, a)
		if f.json && encErr == nil {
			encErr = enc.Encode(a)
		}
		if notifier != nil {
			if err := notifier.Notify(ctx, a); err != nil {
				notifyErrs++
				log.Error("alert not delivered", "alert", a.ID, "err", err)
			}
		}
	}, Progress: progress(stderr)})
	if err != nil {
		return fmt.Errorf("%w: %w", errUsage, err)
	}
	var failed []string
	for _, path := range analyze.SortByTime(args, f.format, loc) {
		if err := r.File(path); err != nil {
			_, _ = fmt.Fprintf(stderr, "vigil analyze: %v\n", err) // reported; the other files are still read
			failed = append(failed, path)
		}
	}
	res, err := r.Finish()
	if err != nil {
		return err
	}
	if encErr != nil {
		return fmt.Errorf("writing output: %w", encErr)
	}
	for _, inc := range res.Incidents {
		for _, e := range timeline[inc.ID] {
			inc.Record(e)
		}
	}
	if !f.json {
		writeAlertTable(out, shown, res.Incidents, minSev)
	}
	if err := out.Flush(); err != nil {
		return fmt.Errorf("writing output: %w", err)
	}
	if !f.noSummary {
		_, _ = fmt.Fprintf(stderr, "vigil analyze: %d lines, %d events, %d not understood; %d alerts in %d incidents\n",
			res.Lines, res.Events, res.Unparsed, len(shown), len(res.Incidents)) // stderr: nowhere to report a failure
		for _, s := range res.UnparsedSamples {
			_, _ = fmt.Fprintf(stderr, "  not understood: %s ('vigil parse' shows every line)\n", s) // as above
		}
	}
	if len(failed) > 0 {
		return usageErrorf("could not read %s", strings.Join(failed, ", "))
	}
	if notifyErrs > 0 {
		return fmt.Errorf("%d alert(s) could not be delivered", notifyErrs)
	}
	if f.exitCode && len(shown) > 0 {
		return errFindings
	}
	return nil
}

// writeAlertTable prints incidents (when each began) and then each alert with its summary.
func writeAlertTable(w io.Writer, alerts []*alert.Alert, incidents []*alert.Incident, minSev alert.Severity) {
	if len(alerts) == 0 {
		_, _ = fmt.Fprintln(w, "No alerts.")
		return
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	_, _ = fmt.Fprintln(tw, "INCIDENT\tSEVERITY\tACCOUNT\tSOURCE\tBEGAN\tLAST SEEN\tRULES")
	sorted := append([]*alert.Incident(nil), incidents...)
	sort.SliceStable(sorted, func(i, j int) bool { return sorted[i].Severity > sorted[j].Severity })
	for _, in := range sorted {
		if in.Severity < minSev {
			continue
		}
		_, _ = fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", in.ID, in.Severity, dash(in.User), dash(in.SrcIP),
			in.FirstSeen.Format(time.RFC3339), in.LastSeen.Format(time.RFC3339), strings.Join(in.Rules, ","))
	}
	_ = tw.Flush()
	_, _ = fmt.Fprintln(w)
	for _, a := range alerts {
		_, _ = fmt.Fprintf(w, "%s  %-8s  %s  %s\n    %s\n", a.Time.Format(time.RFC3339), strings.ToUpper(a.Severity.String()), a.Rule, strings.Join(a.Attack, ","), a.Summary)
		for _, rd := range a.Evidence.Reads {
			exact := "exact"
			if !rd.Exact {
				exact = "upper bound"
			}
			mb := rd.Mailbox
			if mb == "" {
				mb = "(mailbox not logged)"
			}
			line := fmt.Sprintf("    read: %s %s session %s: UIDs %s (%s)", rd.User, mb, rd.Session, dash(rd.UIDs), exact)
			if rd.Bound != "" {
				line += "; " + rd.Bound
			}
			_, _ = fmt.Fprintln(w, line)
		}
	}
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// atLeastOnePath rejects a command line without files, as a usage error.
func atLeastOnePath(cmd *cobra.Command, args []string) error {
	if len(args) == 0 {
		return usageErrorf("'vigil %s' needs at least one log file", cmd.Name())
	}
	return nil
}
