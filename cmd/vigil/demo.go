package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/vigilhq/vigil/internal/demo"
	"github.com/vigilhq/vigil/internal/serve"
)

type demoFlags struct {
	dir         string
	seed        uint64
	staff, days int
	kev         string
	serve       bool
}

// sharedKEV is where the repository's test data keeps CISA's catalogue
// (beside the repository, or under $VIGIL_SHARED).
const sharedKEV = "../shared/data/kev/known_exploited_vulnerabilities.json"

// defaultKEV returns the shared catalogue's path if it is there, else "".
func defaultKEV() string {
	p := sharedKEV
	if d := os.Getenv("VIGIL_SHARED"); d != "" {
		p = filepath.Join(d, "data", "kev", "known_exploited_vulnerabilities.json")
	}
	if _, err := os.Stat(p); err != nil { //nolint:gosec // G703: the operator's own VIGIL_SHARED, only looked at
		return ""
	}
	return p
}

func newDemoCmd() *cobra.Command {
	var f demoFlags
	cmd := &cobra.Command{
		Use:   "demo [--dir DIR] [--seed N] [--staff N] [--days N] [--kev FILE] [--serve]",
		Short: "Replay the founding case on a synthetic clinic and show what vigil finds",
		Long: `demo shows in under a minute what vigil is for. It builds a synthetic clinic
from vigil's own generators: staff accounts, a patient register (test-range
NHS numbers), the attacked account's mailbox as a real Maildir (letters,
results, referrals, PDF and DOCX attachments), months of Dovecot, Postfix and
Roundcube logs, and the founding case's mail server (Debian 10, updates
stopped 13 months ago). Into the logs it plays the breach vigil was founded
on: a password sprayed and guessed from a network the account never used,
weeks of quiet reading at night, then the whole mailbox downloaded.

Then it runs vigil. Detection runs through the machinery of 'vigil serve' on
its embedded default, in-process and fast-forwarded on the logs' own time: it
writes a serve configuration (DIR/vigil.yaml), serve's file source reads the
logs (merged in time order) to their end, every event goes over the embedded
NATS JetStream bus into the SQLite store (DIR/data/vigil.db) and through live
detection, which stores its alerts and incidents there; the logs' first two
weeks only teach it the clinic's normal (detect.learn_until). The story reads
the alerts back from the store. Then come the exposure assessment on exactly the messages the
attacker opened and the posture audit of the mail server, and the story:
when the attack began, when vigil alerted (the founding clinic found out three
months later), which account and source, how many messages and patients were
exposed and which kinds of data, the server's patch grade, and what to do
next. The full reports (JSON, Markdown), the age-encrypted notification list
and its key are in DIR.

With --serve, 'vigil serve' then keeps running on the demo's data with the
same configuration (HTTP on 127.0.0.1, its address printed: /healthz,
/readyz, /metrics), tailing the log for new lines, until Ctrl-C or SIGTERM;
it prints how to look at what it stored. Later, 'vigil serve --config
DIR/vigil.yaml' does the same.

Everything is synthetic; no real patient is in it. The same --seed gives the
same clinic, attack and story (apart from the directory and the timings).`,
		Example: `  vigil demo                          # a new temporary directory, printed
  vigil demo --dir /tmp/clinic --seed 7 --staff 40 --days 90
  vigil demo --serve                  # then keep 'vigil serve' running on it`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runDemo(cmd.Context(), cmd.OutOrStdout(), cmd.ErrOrStderr(), f)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.dir, "dir", "", "directory to build the clinic and write the reports in (created; must be empty); default a new temporary directory")
	fl.Uint64Var(&f.seed, "seed", 1, "seed of the generators: the same seed gives the same clinic, attack and story")
	fl.IntVar(&f.staff, "staff", demo.DefaultStaff, "staff accounts in the clinic (20–200)")
	fl.IntVar(&f.days, "days", demo.DefaultDays, fmt.Sprintf("days of mail-server logs (%d–%d); the attack takes the last four weeks", demo.MinDays, demo.MaxDays))
	fl.StringVar(&f.kev, "kev", "", "CISA KEV catalogue to judge the mail server with; default "+sharedKEV+" (or under $VIGIL_SHARED) if present, else the founding case's own entries")
	fl.BoolVar(&f.serve, "serve", false, "after the story, keep 'vigil serve' running on the demo's data and configuration (HTTP on 127.0.0.1, address printed) until Ctrl-C or SIGTERM")
	return cmd
}

func runDemo(ctx context.Context, stdout, stderr io.Writer, f demoFlags) error {
	if ctx == nil {
		ctx = context.Background()
	}
	if f.serve {
		// SIGINT and SIGTERM end the run, or the serving after it, in order.
		var stop context.CancelFunc
		ctx, stop = signal.NotifyContext(ctx, syscall.SIGTERM, os.Interrupt)
		defer stop()
	}
	dir := f.dir
	if dir == "" {
		d, err := os.MkdirTemp("", "vigil-demo-")
		if err != nil {
			return err
		}
		dir = d
	} else {
		if err := os.MkdirAll(dir, 0o750); err != nil {
			return usageErrorf("--dir: %v", err)
		}
		if ents, err := os.ReadDir(dir); err != nil || len(ents) > 0 {
			return usageErrorf("--dir %s: want a new or empty directory", dir)
		}
	}
	if abs, err := filepath.Abs(dir); err == nil {
		dir = abs
	}
	kev := f.kev
	if kev == "" {
		kev = defaultKEV()
	}
	if kev != "" {
		if abs, err := filepath.Abs(kev); err == nil {
			kev = abs
		}
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	_, _ = fmt.Fprintf(stderr, "vigil demo: building the clinic in %s\n", dir) // progress on stderr
	started := time.Now()
	step := func(string) {}
	if isTerminal(stderr) {
		step = func(s string) { _, _ = fmt.Fprintf(stderr, "vigil demo: %s…\n", s) } // as above
	}
	res, err := demo.Run(ctx, demo.Options{
		Dir: dir, Seed: f.seed, Staff: f.staff, Days: f.days, KEV: kev,
		Logger: log, Step: step,
	})
	if errors.Is(err, demo.ErrOptions) {
		return fmt.Errorf("%w: %w", errUsage, err)
	}
	if err != nil {
		return err
	}
	out := bufio.NewWriter(stdout)
	res.Story(out)
	_, _ = fmt.Fprintf(out, "\nDone in %.1f s.\n", time.Since(started).Seconds()) // a write error shows at Flush
	if err := out.Flush(); err != nil {
		return fmt.Errorf("writing output: %w", err)
	}
	if !f.serve {
		return nil
	}
	return serveDemo(ctx, stdout, log, res)
}

// serveDemo runs 'vigil serve' on the demo's configuration and data until
// ctx ends, after printing where it listens and how to explore its store.
func serveDemo(ctx context.Context, stdout io.Writer, log *slog.Logger, res *demo.Result) error {
	cfgPath := res.Files["serve_config"]
	cfg, err := serve.LoadConfig(cfgPath)
	if err != nil {
		return err
	}
	var werr error
	ready := func(addr string) {
		db, logs := res.Files["store"], res.Clinic.Merged
		_, werr = fmt.Fprintf(stdout, `
vigil serve is running on the demo's data until Ctrl-C or SIGTERM:
  http://%[1]s  (/healthz, /readyz, /metrics)
  configuration %[2]s, store %[3]s (%[4]s, %[5]s)
Explore:
  curl http://%[1]s/readyz
  curl -s http://%[1]s/metrics | grep '^vigil_'
  vigil alerts --config %[2]s                # the stored alerts; --incidents, --account A, --json
  Lines appended to %[6]s are read, stored and run through detection as they come.
  vigil config check %[2]s; vigil serve --config %[2]s   # the same, later
`, addr, cfgPath, db, plural(len(res.Alerts), "alert"), plural(len(res.Incidents), "incident"), logs)
	}
	if err := serve.Run(ctx, cfg, serve.Options{Logger: log, Ready: ready}); err != nil {
		return fmt.Errorf("vigil serve: %w", err)
	}
	if werr != nil {
		return fmt.Errorf("writing output: %w", werr)
	}
	return nil
}

// plural writes n and the noun, with an s unless n is 1.
func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

// isTerminal reports whether w is a character device (progress goes only there).
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}
