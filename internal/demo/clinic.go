// Package demo stages vigil's founding case on a synthetic clinic and runs
// vigil over it ('vigil demo'): it builds the clinic from the project's
// generators (internal/sim's staff and logs, internal/clinicmail's patients
// and mail, internal/founding's mail server), plays the founding attack into
// the logs, runs detection (Serve: 'vigil serve”s machinery replaying
// the logs), the exposure assessment on what the
// attacker read and the posture audit, and tells the story a clinic manager
// can read, with the full reports.
//
// The package must not write outside the directory it is given, listen
// beyond loopback or reach the network, use the wall clock for anything but
// timings, or put patient data anywhere but the Maildir, the register and
// the encrypted notification list.
package demo

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/vigilhq/vigil/internal/clinicmail"
	"github.com/vigilhq/vigil/internal/founding"
	"github.com/vigilhq/vigil/internal/sim"
)

// Defaults and limits of Options.
const (
	DefaultStaff = 20
	DefaultDays  = 60
	MinDays      = 40 // a month of normal life before the attack, for the baselines
	MaxDays      = 180
	// mailbox is how many messages each INBOX holds on the first day; a
	// day brings 5–24 more.
	mailbox = 300
	// msgSpacing is the generated mail's spacing (clinicmail's).
	msgSpacing = 47 * time.Minute
)

// Clinic is the synthetic clinic written into Dir, with what really happened.
type Clinic struct {
	Dir      string
	Accounts []string // the staff accounts (and the shared reception mailbox)
	Patients int      // patients the clinic's mail can mention
	// Logs are the mail server's logs: Dovecot's, Postfix's, Roundcube's.
	Logs []string
	// Merged is the same lines as one log in time order, what 'vigil serve'
	// replays (see Serve); LogLines is how many lines that is.
	Merged   string
	LogLines int
	Register string // the patient register (CSV)
	Maildir  string // the victim's Maildir
	Messages int    // messages in it
	HostFile string // the mail server's host file (inventory, history)
	OSVDir   string
	KEV      string
	GeoIP    [2]string // country and ASN databases for the simulated networks
	Start    time.Time // the first day of the logs
	Now      time.Time // the end of the logs: the demo's "now"

	// Truth is the attack as staged.
	Truth sim.Truth
	// TruePatients are the register IDs of the patients in the messages the
	// attacker read (the whole INBOX: the attack ends with a bulk download).
	TruePatients map[string]bool
}

// Build writes the clinic into o.Dir (which must exist).
func Build(o Options) (*Clinic, error) {
	o = o.withDefaults()
	if o.Days < MinDays || o.Days > MaxDays {
		return nil, fmt.Errorf("%w: --days %d: want %d to %d (a month of normal life comes before the attack)", ErrOptions, o.Days, MinDays, MaxDays)
	}
	if o.Staff < 20 || o.Staff > 200 {
		return nil, fmt.Errorf("%w: --staff %d: want 20 to 200", ErrOptions, o.Staff)
	}
	now := founding.Now
	start := now.AddDate(0, 0, -o.Days)
	out := sim.Generate(sim.Options{
		Seed: o.Seed, Staff: o.Staff, Days: o.Days, Start: start,
		Scenarios: []sim.Scenario{sim.FoundingCase},
		AttackDay: o.Days - sim.FoundingDays - 2, Mailbox: mailbox,
	})
	var tr *sim.Truth
	for i := range out.Truth {
		if out.Truth[i].Scenario == sim.FoundingCase {
			tr = &out.Truth[i]
		}
	}
	if tr == nil {
		return nil, fmt.Errorf("demo: the generator staged no founding case")
	}
	c := &Clinic{Dir: o.Dir, Accounts: out.Accounts, Start: start, Now: now, Truth: *tr}

	logs, err := writeLogs(filepath.Join(o.Dir, "logs"), out.Lines)
	if err != nil {
		return nil, err
	}
	c.Logs, c.Merged, c.LogLines = logs[:len(logs)-1], logs[len(logs)-1], len(out.Lines)
	if err := os.WriteFile(filepath.Join(o.Dir, "accounts.txt"), []byte(strings.Join(out.Accounts, "\n")+"\n"), 0o600); err != nil {
		return nil, fmt.Errorf("demo: %w", err)
	}

	// The victim's INBOX: UID 1 oldest, the last one arriving as the logs end.
	corpus := clinicmail.Generate(clinicmail.Options{
		Seed: o.Seed, Messages: tr.Mailbox,
		Start: now.Add(-time.Duration(tr.Mailbox) * msgSpacing),
	})
	c.Patients = len(corpus.Patients)
	c.Messages = len(corpus.Messages)
	c.Maildir = filepath.Join(o.Dir, "mail", tr.Account, "Maildir")
	if _, err := corpus.WriteMaildir(c.Maildir); err != nil {
		return nil, err
	}
	c.Register = filepath.Join(o.Dir, "patients.csv")
	if err := os.WriteFile(c.Register, corpus.Register(), 0o600); err != nil {
		return nil, fmt.Errorf("demo: %w", err)
	}
	c.TruePatients = corpus.Subjects()

	server := filepath.Join(o.Dir, "server")
	if err := founding.Write(server); err != nil {
		return nil, err
	}
	c.HostFile = filepath.Join(server, founding.HostFile)
	c.OSVDir = filepath.Join(server, founding.OSVDir)
	c.KEV = o.KEV
	if c.KEV == "" {
		c.KEV = filepath.Join(server, founding.KEVFile)
	}
	if err := os.MkdirAll(filepath.Join(o.Dir, "geoip"), 0o750); err != nil {
		return nil, fmt.Errorf("demo: %w", err)
	}
	country, asn, err := sim.WriteGeoDBs(filepath.Join(o.Dir, "geoip"))
	if err != nil {
		return nil, fmt.Errorf("demo: %w", err)
	}
	c.GeoIP = [2]string{country, asn}
	return c, nil
}

// writeLogs splits the generated lines the way a Debian mail server keeps
// them: Dovecot's log (with its event exporter's lines), Postfix's mail.log,
// Roundcube's userlogins. Each file is in time order. Last comes merged.log,
// every line in the generator's (time) order, for Serve.
func writeLogs(dir string, lines []string) (paths []string, err error) {
	names := []string{"dovecot.log", "mail.log", filepath.Join("roundcube", "userlogins"), "merged.log"}
	ws := make([]*bufio.Writer, len(names))
	for i, n := range names {
		p := filepath.Join(dir, n)
		if err := os.MkdirAll(filepath.Dir(p), 0o750); err != nil {
			return nil, fmt.Errorf("demo: %w", err)
		}
		f, err := os.OpenFile(p, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o600) //nolint:gosec // G304: under the demo's own directory
		if err != nil {
			return nil, fmt.Errorf("demo: %w", err)
		}
		defer func() {
			if cerr := f.Close(); cerr != nil && err == nil {
				err = fmt.Errorf("demo: %w", cerr)
			}
		}()
		ws[i] = bufio.NewWriterSize(f, 1<<20)
		paths = append(paths, p)
	}
	for _, l := range lines {
		w := ws[0]
		switch {
		case strings.HasPrefix(l, "["):
			w = ws[2]
		case strings.Contains(l, " postfix/"):
			w = ws[1]
		}
		for _, w := range []*bufio.Writer{w, ws[3]} {
			_, _ = w.WriteString(l) // a write error shows at Flush
			_ = w.WriteByte('\n')
		}
	}
	for _, w := range ws {
		if err := w.Flush(); err != nil {
			return nil, fmt.Errorf("demo: %w", err)
		}
	}
	return paths, nil
}
