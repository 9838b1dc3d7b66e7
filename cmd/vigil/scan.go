package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"sort"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/vigilhq/vigil/internal/exposure"
	"github.com/vigilhq/vigil/internal/mailstore"
	"github.com/vigilhq/vigil/internal/phi"
)

type scanFlags struct {
	json       bool
	register   string
	reveal     bool
	mrn        []string
	checkpoint string
	failOn     bool
}

func newScanCmd() *cobra.Command {
	var f scanFlags
	cmd := &cobra.Command{
		Use:   "scan [--json] [--register CSV] [--reveal] PATH|imap://USER@HOST:PORT[/MAILBOX]",
		Short: "Find patient and personal data in mail stores and attachments",
		Long: `scan reads every message under PATH — a Maildir (UIDs from dovecot-uidlist),
an mbox file, an .eml file, a directory holding any of them, or an IMAP
account (imap://user@host:port[/mailbox], imaps:// for TLS; the password from
VIGIL_IMAP_PASSWORD; read-only: EXAMINE and BODY.PEEK, nothing marked read) — with its
attachments (PDF, DOCX, XLSX, CSV, text, ZIP archives, attached messages), and
finds personal and health data: NHS, CHI and National Insurance numbers, dates
of birth, UK/Jersey/Guernsey postcodes, phone numbers, email addresses, ICD-10
and SNOMED CT codes, medications, payment cards, IBANs, your record-number
patterns (--mrn), and person names.

With --register (the practice's patient list as CSV: id, first_name,
last_name, date_of_birth, nhs_number, email, phone, postcode) names are
matched against your patients and every finding is tied to a patient; without
it, names come from salutations and labels ("Dear Mrs …", "Patient: …").

Values are masked (********19) unless --reveal is given. Parts that could not
be scanned fully (archive bombs, damaged PDFs, unknown charsets) are reported
as not_fully_scanned. The mail store is only read, never changed.

--json writes one JSON object per finding: type, value, confidence, path, uid,
message_id, part, offset, subject_id (and reason for not_fully_scanned).`,
		Example: `  vigil scan /var/mail/vhosts/clinic.example/dr.smith/Maildir
  vigil scan --register patients.csv --json ~/Maildir > findings.jsonl
  vigil scan --checkpoint scan.progress /srv/archive   # stop and rerun: it continues`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runScan(cmd.Context(), cmd.OutOrStdout(), cmd.ErrOrStderr(), f, args[0])
		},
	}
	fl := cmd.Flags()
	fl.BoolVar(&f.json, "json", false, "one JSON object per finding on stdout")
	fl.StringVar(&f.register, "register", "", "the practice's patient register (CSV) to match names and link findings to patients")
	fl.BoolVar(&f.reveal, "reveal", false, "show values unmasked (they are patient data: mind where the output goes)")
	fl.StringArrayVar(&f.mrn, "mrn", nil, "a hospital/record number pattern: # digit, @ capital letter (e.g. RX######); repeatable")
	fl.StringVar(&f.checkpoint, "checkpoint", "", "file recording finished messages, so an interrupted scan resumes")
	fl.BoolVar(&f.failOn, "fail-on-findings", false, "exit 1 when any personal data is found")
	return cmd
}

func loadRegister(path string) (*phi.Register, error) {
	if path == "" {
		return nil, nil
	}
	fh, err := os.Open(path) //nolint:gosec // the user names the register
	if err != nil {
		return nil, usageErrorf("--register: %v", err)
	}
	defer func() { _ = fh.Close() }() // read-only
	reg, err := phi.LoadRegister(bufio.NewReader(fh), path)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", errUsage, err)
	}
	return reg, nil
}

// scanRecord is the JSON of one finding or incomplete part.
type scanRecord struct {
	Type       string  `json:"type"`
	Value      string  `json:"value,omitempty"`
	Confidence float64 `json:"confidence,omitempty"`
	Path       string  `json:"path"`
	Mailbox    string  `json:"mailbox,omitempty"`
	UID        uint32  `json:"uid,omitempty"`
	MessageID  string  `json:"message_id"`
	Part       string  `json:"part"`
	Offset     int     `json:"offset"`
	SubjectID  string  `json:"subject_id,omitempty"`
	Reason     string  `json:"reason,omitempty"`
}

func toRecord(r exposure.Record, reveal bool) scanRecord {
	v := r.Value
	if !reveal && v != "" {
		v = phi.Mask(v)
	}
	return scanRecord{Type: r.Type, Value: v, Confidence: r.Confidence, Path: r.Path, Mailbox: r.Mailbox, UID: r.UID,
		MessageID: r.MessageID, Part: r.Part, Offset: r.Offset, SubjectID: r.SubjectID, Reason: r.Reason}
}

func runScan(ctx context.Context, stdout, stderr io.Writer, f scanFlags, path string) error {
	if ctx == nil {
		ctx = context.Background()
	}
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt)
	defer stop()
	reg, err := loadRegister(f.register)
	if err != nil {
		return err
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	opts := exposure.Options{Register: reg, MRN: f.mrn, Checkpoint: f.checkpoint, Logger: log}
	if bar := newProgressBar(stderr, path); bar != nil {
		opts.Progress = bar.update
		defer bar.done()
	}
	res, err := exposure.Scan(ctx, path, opts)
	if errors.Is(err, mailstore.ErrUnknownStore) {
		return fmt.Errorf("%w: %w", errUsage, err)
	}
	if err != nil && res == nil {
		return err
	}
	out := bufio.NewWriterSize(stdout, 64<<10)
	if f.json {
		enc := json.NewEncoder(out)
		enc.SetEscapeHTML(false)
		for _, r := range res.Records {
			if err := enc.Encode(toRecord(r, f.reveal)); err != nil {
				return fmt.Errorf("writing output: %w", err)
			}
		}
	} else {
		writeScanSummary(out, path, res)
	}
	if err2 := out.Flush(); err2 != nil {
		return fmt.Errorf("writing output: %w", err2)
	}
	_, _ = fmt.Fprintf(stderr, "vigil scan: %d messages, %d with personal data, %d patients (%s), %d parts not fully scanned, %d unreadable\n",
		res.Messages, res.MessagesWithPersonalData, res.Subjects.Patients(), exactWord(res.Subjects.Exact), countIncomplete(res), len(res.Errors))
	for _, e := range res.Errors {
		_, _ = fmt.Fprintln(stderr, "vigil scan: unreadable:", e) // path and reason only
	}
	if err != nil {
		return err
	}
	if f.failOn && res.MessagesWithPersonalData > 0 {
		return errFindings
	}
	return nil
}

func exactWord(exact bool) string {
	if exact {
		return "exact"
	}
	return "upper bound"
}

func countIncomplete(res *exposure.Result) int {
	n := 0
	for _, r := range res.Records {
		if r.Type == exposure.NotFullyScanned {
			n++
		}
	}
	return n
}

func writeScanSummary(w io.Writer, path string, res *exposure.Result) {
	byType := map[string]int{}
	for _, r := range res.Records {
		byType[r.Type]++
	}
	var types []string
	for t := range byType {
		types = append(types, t)
	}
	sort.Strings(types)
	_, _ = fmt.Fprintf(w, "Scanned %d messages (%.1f MB) under %s", res.Messages, float64(res.Bytes)/1e6, path)
	if res.Skipped > 0 {
		_, _ = fmt.Fprintf(w, "; %d skipped, done by an earlier run", res.Skipped)
	}
	_, _ = fmt.Fprintf(w, "\nMessages with personal data: %d (with health data: %d)\n", res.MessagesWithPersonalData, res.MessagesWithHealthData)
	others := len(res.Subjects.Subjects) - res.Subjects.Patients()
	_, _ = fmt.Fprintf(w, "Distinct patients: %d (%s); other people: %d\n", res.Subjects.Patients(), exactWord(res.Subjects.Exact), others)
	for _, why := range res.Subjects.Why {
		_, _ = fmt.Fprintf(w, "  %s\n", why)
	}
	_, _ = fmt.Fprintf(w, "\n%-20s %8s\n", "finding", "count")
	for _, t := range types {
		_, _ = fmt.Fprintf(w, "%-20s %8d\n", t, byType[t])
	}
	if n := byType[exposure.NotFullyScanned]; n > 0 {
		_, _ = fmt.Fprintf(w, "\nNot fully scanned:\n")
		for _, r := range res.Records {
			if r.Type == exposure.NotFullyScanned {
				_, _ = fmt.Fprintf(w, "  %s [%s]: %s\n", r.Path, r.Part, r.Reason)
			}
		}
	}
}

// progressBar draws messages, MB and ETA on a terminal's stderr.
type progressBar struct {
	w      io.Writer
	total  int
	bytes  int64
	start  time.Time
	last   time.Time
	active bool
}

func newProgressBar(w io.Writer, path string) *progressBar {
	fh, ok := w.(*os.File)
	if !ok || !term.IsTerminal(int(fh.Fd())) { //nolint:gosec // a file descriptor fits an int
		return nil
	}
	b := &progressBar{w: w, start: time.Now()}
	if strings.Contains(path, "://") {
		return b // IMAP: counting would fetch every message twice
	}
	_ = mailstore.Walk(path, func(m mailstore.Message) error { // a listing only: cheap
		b.total++
		b.bytes += m.Size
		return nil
	})
	return b
}

func (b *progressBar) update(p exposure.Progress) {
	now := time.Now()
	if now.Sub(b.last) < 200*time.Millisecond {
		return
	}
	b.last, b.active = now, true
	done := p.Messages + p.Skipped
	eta := "?"
	if p.Bytes > 0 && b.bytes > 0 {
		rate := float64(p.Bytes) / now.Sub(b.start).Seconds()
		eta = time.Duration(float64(b.bytes-p.Bytes) / rate * float64(time.Second)).Round(time.Second).String()
	}
	_, _ = fmt.Fprintf(b.w, "\r%d/%d messages, %.1f/%.1f MB, ETA %s   ", done, b.total, float64(p.Bytes)/1e6, float64(b.bytes)/1e6, eta)
}

func (b *progressBar) done() {
	if b.active {
		_, _ = fmt.Fprint(b.w, "\r\033[K")
	}
}
