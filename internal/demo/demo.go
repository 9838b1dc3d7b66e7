package demo

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"os"
	"path/filepath"
	"sort"
	"time"

	"filippo.io/age"

	"github.com/vigilhq/vigil/internal/alert"
	"github.com/vigilhq/vigil/internal/exposure"
	"github.com/vigilhq/vigil/internal/history"
	"github.com/vigilhq/vigil/internal/inventory"
	"github.com/vigilhq/vigil/internal/phi"
	"github.com/vigilhq/vigil/internal/posture"
	"github.com/vigilhq/vigil/internal/vulndb"
)

// ErrOptions marks options out of range (the caller's mistake).
var ErrOptions = errors.New("demo options")

// Options configure a run. Zero fields take defaults.
type Options struct {
	Dir   string // must exist; everything is written under it
	Seed  uint64
	Staff int // default 20
	Days  int // days of logs; default 60
	// KEV is CISA's catalogue to judge the mail server with; "" uses the
	// founding case's own entries (internal/founding).
	KEV    string
	Logger *slog.Logger
	// Step, if set, is told each step as it starts (progress).
	Step func(string)
}

func (o Options) withDefaults() Options {
	if o.Staff == 0 {
		o.Staff = DefaultStaff
	}
	if o.Days == 0 {
		o.Days = DefaultDays
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Step == nil {
		o.Step = func(string) {}
	}
	return o
}

// Attack is what detection says happened: derived from the alerts only,
// never from the generator's truth.
type Attack struct {
	Account string    `json:"account"`
	Source  string    `json:"source"`
	Began   time.Time `json:"began"` // the first alert's first event from the source
	// FirstRule is the rule of the source's earliest alert.
	FirstRule string    `json:"first_rule"`
	Alerted   time.Time `json:"alerted"` // the first high or critical alert naming the account and source
	Rule      string    `json:"rule"`    // that alert's rule
	Summary   string    `json:"summary"` // and its summary
	Alerts    int       `json:"alerts"`  // alerts from the source
	// LastSeen is the last event of any of the source's alerts.
	LastSeen time.Time `json:"last_seen"`
}

// Result is a run: the clinic, what each step found, where the reports are.
type Result struct {
	Pipeline  string             `json:"pipeline"`
	Seed      uint64             `json:"seed"`
	Staff     int                `json:"staff"`
	Accounts  int                `json:"accounts"`
	Patients  int                `json:"patients"`
	Messages  int                `json:"messages_in_mailbox"`
	LogsFrom  time.Time          `json:"logs_from"`
	Now       time.Time          `json:"now"`
	LogLines  int64              `json:"log_lines"`
	Events    int64              `json:"events"`
	Attack    *Attack            `json:"attack"`
	Incidents []*alert.Incident  `json:"incidents"`
	Alerts    []*alert.Alert     `json:"alerts"`
	Exposure  *exposure.Report   `json:"exposure"`
	Posture   *posture.Report    `json:"posture"`
	Files     map[string]string  `json:"files"`
	Clinic    *Clinic            `json:"-"`
	Detection *Detection         `json:"-"`
	Other     map[string]int     `json:"other_incidents_by_severity"`
	KEVSource string             `json:"kev_source"`
	Timings   map[string]float64 `json:"-"`
}

// Run builds the clinic in o.Dir and runs vigil over it.
func Run(ctx context.Context, o Options) (*Result, error) {
	o = o.withDefaults()
	timings := map[string]float64{}
	lap := time.Now()
	tick := func(name string) {
		timings[name] = time.Since(lap).Seconds()
		lap = time.Now()
	}
	o.Step("building the clinic: staff, patients, mail, logs, mail server")
	c, err := Build(o)
	if err != nil {
		return nil, err
	}
	tick("build")
	pipe := Serve{Logger: o.Logger}
	res := &Result{Pipeline: pipe.Describe(), Seed: o.Seed, Staff: o.Staff, Accounts: len(c.Accounts),
		Patients: c.Patients, Messages: c.Messages, LogsFrom: c.Start, Now: c.Now, Clinic: c, Timings: timings,
		Files: map[string]string{}, Other: map[string]int{}, KEVSource: "the founding case's own entries (internal/founding/kev.json)"}
	if o.KEV != "" {
		res.KEVSource = "CISA's catalogue at " + o.KEV
	}

	o.Step("detection over the logs")
	det, err := pipe.Detect(ctx, c)
	if err != nil {
		return nil, err
	}
	tick("detect")
	res.Detection, res.LogLines, res.Events = det, det.Lines, det.Events
	res.Incidents, res.Alerts = det.Incidents, det.Alerts
	if det.Config != "" {
		res.Files["serve_config"], res.Files["store"] = det.Config, det.Database
	}
	res.Attack = findAttack(det)
	if res.Attack == nil {
		return res, errors.New("demo: detection raised no high or critical alert naming an account and a source")
	}
	for _, in := range det.Incidents {
		if in.SrcIP != res.Attack.Source {
			res.Other[in.Severity.String()]++
		}
	}

	o.Step("exposure: what the attacker read")
	if res.Exposure, err = assess(ctx, o, c, res); err != nil {
		return nil, err
	}
	tick("exposure")

	o.Step("posture: the mail server's patches")
	if res.Posture, err = audit(o, c); err != nil {
		return nil, err
	}
	tick("posture")

	if err := res.writeReports(o.Dir); err != nil {
		return nil, err
	}
	return res, nil
}

// findAttack picks the incident to tell: the most severe naming an account
// and a source, of equals the one whose source raised the most alerts (an
// attack trips many detectors), then the earliest; and gathers its source's
// alerts.
func findAttack(det *Detection) *Attack {
	bySource := map[string]int{}
	for _, a := range det.Alerts {
		bySource[a.SrcIP]++
	}
	var best *alert.Incident
	for _, in := range det.Incidents {
		if in.User == "" || in.SrcIP == "" || in.Severity < alert.High {
			continue
		}
		switch {
		case best == nil, in.Severity > best.Severity:
		case in.Severity < best.Severity:
			continue
		case bySource[in.SrcIP] > bySource[best.SrcIP]:
		case bySource[in.SrcIP] < bySource[best.SrcIP] || !in.FirstSeen.Before(best.FirstSeen):
			continue
		}
		best = in
	}
	if best == nil {
		return nil
	}
	at := &Attack{Account: best.User, Source: best.SrcIP}
	for _, a := range det.Alerts {
		if a.SrcIP != at.Source {
			continue
		}
		at.Alerts++
		if at.Began.IsZero() || a.FirstSeen.Before(at.Began) {
			at.Began, at.FirstRule = a.FirstSeen, a.Rule
		}
		if a.LastSeen.After(at.LastSeen) {
			at.LastSeen = a.LastSeen
		}
		if a.User == at.Account && a.Severity >= alert.High && (at.Alerted.IsZero() || a.Time.Before(at.Alerted)) {
			at.Alerted, at.Rule, at.Summary = a.Time, a.Rule, a.Summary
		}
	}
	return at
}

// assess runs the exposure assessment on the account and source detection
// named, from the attack's first event to the end of the logs, and writes
// the notification list encrypted to a new key kept in the run's directory.
func assess(ctx context.Context, o Options, c *Clinic, res *Result) (*exposure.Report, error) {
	src, err := netip.ParseAddr(res.Attack.Source)
	if err != nil {
		return nil, fmt.Errorf("demo: alert source %q: %w", res.Attack.Source, err)
	}
	id, err := age.GenerateX25519Identity()
	if err != nil {
		return nil, fmt.Errorf("demo: %w", err)
	}
	key := filepath.Join(o.Dir, "notification-key.txt")
	keyText := fmt.Sprintf("# the key to the demo's notification list: age -d -i %s FILE\n# public key: %s\n%s\n", key, id.Recipient(), id)
	if err := os.WriteFile(key, []byte(keyText), 0o600); err != nil {
		return nil, fmt.Errorf("demo: %w", err)
	}
	res.Files["notification_key"] = key
	fh, err := os.Open(c.Register)
	if err != nil {
		return nil, fmt.Errorf("demo: %w", err)
	}
	defer func() { _ = fh.Close() }() // read-only
	reg, err := phi.LoadRegister(bufio.NewReader(fh), c.Register)
	if err != nil {
		return nil, err
	}
	rep, _, err := exposure.Assess(ctx, exposure.AssessOptions{
		Window: exposure.Window{Account: res.Attack.Account, Source: src.Unmap(), From: res.Attack.Began, To: c.Now},
		Logs:   c.Logs, Location: time.UTC, Store: filepath.Join(c.Dir, "mail", res.Attack.Account, "Maildir"),
		Scan:      exposure.Options{Register: reg, Logger: o.Logger},
		Recipient: id.Recipient().String(), OutDir: filepath.Join(o.Dir, "incident"), Operator: "vigil demo",
		Now: func() time.Time { return c.Now },
	})
	if err != nil {
		return nil, err
	}
	res.Files["notification_list"] = rep.NotificationList
	res.Files["exposure_audit_log"] = rep.AuditLog
	return rep, nil
}

// audit judges the mail server as of the demo's now, as 'vigil posture'
// would with the founding case's OSV records and the KEV catalogue.
func audit(o Options, c *Clinic) (*posture.Report, error) {
	inv, errs, err := inventory.Load(c.HostFile)
	if err != nil {
		return nil, err
	}
	if len(errs) > 0 {
		return nil, fmt.Errorf("demo: %s: %w", c.HostFile, errors.Join(errs...))
	}
	db := vulndb.New(vulndb.Options{Logger: o.Logger, Want: posture.Wanted(inv)})
	if errs, err := db.Load(c.OSVDir); err != nil || len(errs) > 0 {
		return nil, fmt.Errorf("demo: %s: %w", c.OSVDir, errors.Join(append(errs, err)...))
	}
	kev, err := vulndb.LoadKEV(c.KEV)
	if err != nil {
		return nil, err
	}
	exch, err := vulndb.NewExchange()
	if err != nil {
		return nil, err
	}
	hist, errs, err := history.ReadFiles(inv.History, time.UTC)
	if err != nil {
		return nil, err
	}
	if len(errs) > 0 {
		return nil, fmt.Errorf("demo: history: %w", errors.Join(errs...))
	}
	a, err := posture.New(posture.Options{Now: c.Now, Logger: o.Logger, Policy: posture.DefaultPolicy(), OSV: db, KEV: kev, Exchange: exch})
	if err != nil {
		return nil, err
	}
	un := &history.Unattended{Known: inv.AutoUpdates != "", Enabled: inv.AutoUpdates == "on", File: "as " + c.HostFile + " says"}
	r, errs := a.Assess(posture.Host{Inventory: inv, History: hist, Unattended: un})
	if len(errs) > 0 {
		return nil, fmt.Errorf("demo: posture: %w", errors.Join(errs...))
	}
	r.Alerts = posture.Alerts(r, posture.DefaultThresholds())
	return r, nil
}

// writeReports writes report.json and report.md into dir.
func (r *Result) writeReports(dir string) error {
	r.Files["json"] = filepath.Join(dir, "report.json")
	r.Files["markdown"] = filepath.Join(dir, "report.md")
	sort.SliceStable(r.Incidents, func(i, j int) bool { return r.Incidents[i].FirstSeen.Before(r.Incidents[j].FirstSeen) })
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	if err := os.WriteFile(r.Files["json"], append(b, '\n'), 0o600); err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	f, err := os.OpenFile(r.Files["markdown"], os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o600)
	if err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	w := bufio.NewWriter(f)
	r.Markdown(w)
	if err := w.Flush(); err != nil {
		_ = f.Close() // the write error is the one to report
		return fmt.Errorf("demo: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	return nil
}
