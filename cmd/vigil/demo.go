package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"github.com/vigilhq/vigil/internal/demo"
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
		Use:   "demo [--dir DIR] [--seed N] [--staff N] [--days N]",
		Short: "Replay the founding case on a synthetic clinic and show what vigil finds",
		Long: `demo shows in under a minute what vigil is for. It builds a synthetic clinic
from vigil's own generators: staff accounts, a patient register (test-range
NHS numbers), the attacked account's mailbox as a real Maildir (letters,
results, referrals, PDF and DOCX attachments), months of Dovecot, Postfix and
Roundcube logs, and the founding case's mail server (Debian 10, updates
stopped 13 months ago). Into the logs it plays the breach vigil was founded
on: a password sprayed and guessed from a network the account never used,
weeks of quiet reading at night, then the whole mailbox downloaded.

Then it runs vigil: detection over the logs on their own time, the exposure
assessment on exactly the messages the attacker opened, and the posture audit
of the mail server, and tells the story: when the attack began, when vigil
alerted (the founding clinic found out three months later), which account and
source, how many messages and patients were exposed and which kinds of data,
the server's patch grade, and what to do next. The full reports (JSON,
Markdown), the age-encrypted notification list and its key are in DIR.

Detection runs on the batch path (the engine of 'vigil analyze'), not yet on
'vigil serve''s embedded JetStream and SQLite: the story says so.

Everything is synthetic; no real patient is in it. The same --seed gives the
same clinic, attack and story (apart from the directory and the timings).`,
		Example: `  vigil demo                          # a new temporary directory, printed
  vigil demo --dir /tmp/clinic --seed 7 --staff 40 --days 90`,
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
	fl.BoolVar(&f.serve, "serve", false, "leave 'vigil serve' running on the demo data (not built yet: the demo runs on the batch path)")
	return cmd
}

func runDemo(ctx context.Context, stdout, stderr io.Writer, f demoFlags) error {
	if ctx == nil {
		ctx = context.Background()
	}
	if f.serve {
		return usageErrorf("demo --serve is not built yet: the demo runs detection on the batch path, not through 'vigil serve' (tracked in issue 8); run 'vigil demo' without --serve, or 'vigil serve --config FILE' on your own logs")
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
		Pipeline: demo.Serve{Logger: log}, Logger: log, Step: step,
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
	return nil
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
