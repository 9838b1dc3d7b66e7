package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/vigilhq/vigil/internal/event"
	"github.com/vigilhq/vigil/internal/parse"
)

type parseFlags struct {
	format      string
	tz          string
	quiet       bool
	showIgnored bool
	noSummary   bool
}

func newParseCmd() *cobra.Command {
	var f parseFlags
	cmd := &cobra.Command{
		Use:   "parse [--format F] [FILE|-]...",
		Short: "Show how vigil reads log lines: one normalized event per line, as JSON",
		Long: `parse reads mail-server log lines and writes, for each line it understood, one
normalized event as a JSON line on stdout (OCSF-shaped; docs/events.md lists the
fields). For a line it did not understand it writes {"unparsed": true, ...} with
the file, the line number and the reason. Lines understood but of no use to
detection (a daemon starting up) are counted as ignored, with the reason.

At the end a summary per format goes to stderr: lines read, parsed, unparsed
and ignored, with the reasons.

Files may be plain or gzip-compressed; "-" or no file reads standard input.
The format is detected per line unless --format fixes it.`,
		Example: `  vigil parse /var/log/mail.log
  vigil parse --format dovecot /var/log/dovecot-info.log.1.gz
  tail -f /var/log/mail.log | vigil parse --quiet -`,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runParse(cmd.OutOrStdout(), cmd.ErrOrStderr(), cmd.InOrStdin(), f, args)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.format, "format", "auto", "log format: auto, "+strings.Join(parse.Formats(), ", ")+", or a family (dovecot)")
	fl.StringVar(&f.tz, "tz", "Local", "time zone of timestamps that carry none (IANA name such as Europe/London, or UTC)")
	fl.BoolVarP(&f.quiet, "quiet", "q", false, "do not write records for lines that were not understood")
	fl.BoolVar(&f.showIgnored, "show-ignored", false, "also write a record for each line ignored on purpose")
	fl.BoolVar(&f.noSummary, "no-summary", false, "do not print the per-format summary on stderr")
	return cmd
}

// lineRecord is what parse writes for a line that produced no event.
type lineRecord struct {
	Unparsed bool   `json:"unparsed,omitempty"`
	Ignored  bool   `json:"ignored,omitempty"`
	LogName  string `json:"log_name"`
	LogLine  int64  `json:"log_line"`
	Format   string `json:"format,omitempty"`
	Reason   string `json:"reason"`
	Line     string `json:"line,omitempty"`
}

func runParse(stdout, stderr io.Writer, stdin io.Reader, f parseFlags, args []string) error {
	loc, err := location(f.tz)
	if err != nil {
		return err
	}
	dec, err := parse.NewDecoder(parse.Options{Format: f.format, Location: loc})
	if err != nil {
		return fmt.Errorf("%w: %w", errUsage, err)
	}
	if len(args) == 0 {
		args = []string{"-"}
	}
	out := bufio.NewWriterSize(stdout, 64<<10)
	var stats parse.Stats
	var failed []string
	for _, name := range args {
		if err := parseOne(out, stdin, dec, &stats, f, name); err != nil {
			_, _ = fmt.Fprintf(stderr, "vigil parse: %v\n", err) // the summary and exit code still report it
			failed = append(failed, name)
		}
	}
	if err := out.Flush(); err != nil {
		return fmt.Errorf("writing output: %w", err)
	}
	if !f.noSummary {
		if err := stats.WriteSummary(stderr); err != nil {
			return err
		}
	}
	if len(failed) > 0 {
		return usageErrorf("could not read %s", strings.Join(failed, ", "))
	}
	return nil
}

func location(tz string) (*time.Location, error) {
	switch tz {
	case "", "Local", "local":
		return time.Local, nil
	}
	loc, err := time.LoadLocation(tz)
	if err != nil {
		return nil, usageErrorf("--tz %q: %v", tz, err)
	}
	return loc, nil
}

func parseOne(out *bufio.Writer, stdin io.Reader, dec *parse.Decoder, stats *parse.Stats, f parseFlags, name string) error {
	var r io.Reader
	logName := name
	if name == "-" {
		r, logName = stdin, "stdin"
		dec.SetReference(time.Now())
	} else {
		rc, mtime, err := parse.Open(name)
		if err != nil {
			return err
		}
		defer func() { _ = rc.Close() }() // read-only: a close error loses nothing
		r = rc
		dec.SetReference(mtime)
	}
	lr := parse.NewLineReader(r)
	enc := json.NewEncoder(out)
	enc.SetEscapeHTML(false)
	var ev event.Event
	for {
		line, num, err := lr.Next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		var format string
		var le *parse.LineError
		if err != nil && !errors.As(err, &le) {
			return fmt.Errorf("%s: %w", logName, err)
		}
		if err == nil {
			format, err = dec.Decode(string(line), &ev)
		}
		stats.Record(format, err)
		if err == nil {
			ev.LogName, ev.LogLine = logName, num
			if err := enc.Encode(&ev); err != nil {
				return fmt.Errorf("writing output: %w", err)
			}
			continue
		}
		isIgnored := errors.Is(err, parse.ErrIgnored)
		if (isIgnored && !f.showIgnored) || (!isIgnored && f.quiet) {
			continue
		}
		rec := lineRecord{Unparsed: !isIgnored, Ignored: isIgnored, LogName: logName, LogLine: num, Format: format, Reason: err.Error()}
		if !errors.Is(err, parse.ErrUnparsed) || len(line) <= 4096 {
			rec.Line = string(line)
		}
		if err := enc.Encode(&rec); err != nil {
			return fmt.Errorf("writing output: %w", err)
		}
	}
}
