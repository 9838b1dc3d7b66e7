package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/netip"
	"os"
	"os/user"
	"sort"
	"time"

	"github.com/spf13/cobra"

	"github.com/vigilhq/vigil/internal/exposure"
	"github.com/vigilhq/vigil/internal/mailstore"
)

type exposureFlags struct {
	account, source, from, to string
	logs                      []string
	maildir, register         string
	recipient, out, tz        string
	json                      bool
}

func newExposureCmd() *cobra.Command {
	var f exposureFlags
	cmd := &cobra.Command{
		Use:   "exposure --account USER --source IP --from TIME --to TIME --log FILE --maildir DIR",
		Short: "Which messages an incident exposed, and which patients are in them",
		Long: `exposure answers "what did the attacker see?". From the mail server's logs it
finds the messages the account's sessions from the source address opened in
the time window (Dovecot's mail_opened events, by address or by the session's
login; logouts' body_count for the sessions), finds them in the account's
Maildir by UID, and scans them and their attachments for personal and health
data. The report gives the messages read, how many hold personal or health
data, the number of distinct patients with the categories exposed, and says
which counts are exact and which are bounds, and why.

With --recipient (an age public key, age1…) the list of patients to notify is
written encrypted to that key in --out, and an audit line (who, when, which
incident, the list's SHA-256; no patient data) is appended to
exposure-audit.log there. Decrypt the list with: age -d -i KEY FILE.`,
		Example: `  vigil exposure --account dr.smith --source 203.0.113.7 \
      --from 2026-11-01T00:00:00Z --to 2026-11-29T23:59:59Z \
      --log /var/log/dovecot-info.log --log /var/log/dovecot-events.jsonl \
      --maildir /var/mail/dr.smith/Maildir --register patients.csv \
      --recipient age1... --out incident-42/`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runExposure(cmd.Context(), cmd.OutOrStdout(), cmd.ErrOrStderr(), f)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.account, "account", "", "the compromised account (as the mail server logs it)")
	fl.StringVar(&f.source, "source", "", "the attacker's source IP address")
	fl.StringVar(&f.from, "from", "", "start of the window (RFC 3339, e.g. 2026-11-01T00:00:00Z)")
	fl.StringVar(&f.to, "to", "", "end of the window (RFC 3339); default now")
	fl.StringArrayVar(&f.logs, "log", nil, "Dovecot log or exporter JSON lines (plain or .gz); repeatable")
	fl.StringVar(&f.maildir, "maildir", "", "the account's Maildir")
	fl.StringVar(&f.register, "register", "", "the practice's patient register (CSV)")
	fl.StringVar(&f.recipient, "recipient", "", "age public key (age1…) to encrypt the notification list to")
	fl.StringVar(&f.out, "out", ".", "directory for the encrypted notification list and the audit log")
	fl.StringVar(&f.tz, "tz", "Local", "time zone of log timestamps that carry none")
	fl.BoolVar(&f.json, "json", false, "write the report as one JSON document")
	return cmd
}

func runExposure(ctx context.Context, stdout, stderr io.Writer, f exposureFlags) error {
	if ctx == nil {
		ctx = context.Background()
	}
	if f.account == "" || f.source == "" || f.from == "" || len(f.logs) == 0 || f.maildir == "" {
		return usageErrorf("exposure needs --account, --source, --from, --log and --maildir")
	}
	src, err := netip.ParseAddr(f.source)
	if err != nil {
		return usageErrorf("--source: %v", err)
	}
	from, err := time.Parse(time.RFC3339, f.from)
	if err != nil {
		return usageErrorf("--from: %v", err)
	}
	to := time.Now()
	if f.to != "" {
		if to, err = time.Parse(time.RFC3339, f.to); err != nil {
			return usageErrorf("--to: %v", err)
		}
	}
	loc, err := location(f.tz)
	if err != nil {
		return err
	}
	reg, err := loadRegister(f.register)
	if err != nil {
		return err
	}
	operator := os.Getenv("USER")
	if u, err := user.Current(); err == nil {
		operator = u.Username
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	rep, _, err := exposure.Assess(ctx, exposure.AssessOptions{
		Window: exposure.Window{Account: f.account, Source: src.Unmap(), From: from, To: to},
		Logs:   f.logs, Location: loc, Store: f.maildir,
		Scan:      exposure.Options{Register: reg, Logger: log},
		Recipient: f.recipient, OutDir: f.out, Operator: operator,
	})
	switch {
	case errors.Is(err, exposure.ErrRecipient), errors.Is(err, mailstore.ErrUnknownStore), errors.Is(err, os.ErrNotExist):
		return fmt.Errorf("%w: %w", errUsage, err)
	case err != nil:
		return err
	}
	if f.json {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(rep); err != nil {
			return fmt.Errorf("writing output: %w", err)
		}
	} else if err := writeExposure(stdout, rep); err != nil {
		return fmt.Errorf("writing output: %w", err)
	}
	if rep.DistinctSubjects > 0 && rep.NotificationList == "" {
		_, _ = fmt.Fprintln(stderr, "vigil exposure: no notification list written: give --recipient age1… to write it encrypted")
	}
	return nil
}

func writeExposure(w io.Writer, r *exposure.Report) error {
	exact := "exact"
	if !r.Exact {
		exact = "NOT exact"
	}
	_, err := fmt.Fprintf(w, `Exposure of %s from %s, %s – %s
  sessions: %d, bodies fetched: %d, mail_opened events: %d
  messages read:               %d
  with personal data:          %d
  with health data:            %d
  distinct patients:           %d (%d with health data, special category)
  other people:                %d
  parts not fully scanned:     %d
  counts are %s
`, r.Account, r.Source, r.From.Format(time.RFC3339), r.To.Format(time.RFC3339), r.Sessions, r.BodiesFetched, r.MailOpenedEvents,
		r.MessagesRead, r.MessagesWithPersonalData, r.MessagesWithHealthData, r.DistinctSubjects, r.SubjectsWithHealthData,
		r.OtherPeople, r.NotFullyScanned, exact)
	if err != nil {
		return err
	}
	for _, why := range r.Why {
		if _, err := fmt.Fprintf(w, "    - %s\n", why); err != nil {
			return err
		}
	}
	var cats []string
	for c := range r.Categories {
		cats = append(cats, c)
	}
	sort.Strings(cats)
	_, _ = fmt.Fprintln(w, "  patients exposed, by category:")
	for _, c := range cats {
		_, _ = fmt.Fprintf(w, "    %-16s %d\n", c, r.Categories[c])
	}
	if r.NotificationList != "" {
		_, _ = fmt.Fprintf(w, "  notification list (encrypted): %s\n  audit log: %s\n", r.NotificationList, r.AuditLog)
	}
	return nil
}
