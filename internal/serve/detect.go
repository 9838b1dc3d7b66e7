package serve

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/vigilhq/vigil/internal/alert"
	"github.com/vigilhq/vigil/internal/bus"
	"github.com/vigilhq/vigil/internal/detect"
	"github.com/vigilhq/vigil/internal/event"
	"github.com/vigilhq/vigil/internal/notify"
	"github.com/vigilhq/vigil/internal/sigma"
	"github.com/vigilhq/vigil/internal/store"
	"github.com/vigilhq/vigil/rules"
)

// detectDurable is the detection consumer's durable name on the bus.
const detectDurable = "detect"

// detector is the detection consumer: one engine, fed by one bus consumer
// and a ticker; mu makes the two take turns (the engine is not safe for
// concurrent use).
type detector struct {
	log   *slog.Logger
	st    store.Store
	eng   *detect.Engine
	out   notify.Notifier // nil when no output is configured
	now   func() time.Time
	close func()

	mu       sync.Mutex
	grp      alert.Grouper
	raised   []*alert.Alert
	last     time.Time // when the last batch was handled (wall clock)
	touched  map[string]*alert.Incident
	alertsC  *prometheus.CounterVec
	eventsC  prometheus.Counter
	badC     prometheus.Counter
	notifyFC prometheus.Counter
}

// newDetector builds the engine (thresholds, Sigma rules, GeoIP, baselines
// in the store), the outputs, and resumes the open incidents of the store.
func newDetector(ctx context.Context, cfg Config, st store.Store, reg prometheus.Registerer, stdout io.Writer, log *slog.Logger, now func() time.Time) (*detector, error) {
	dc := cfg.Detect
	opts := detect.Options{Logger: log, Baselines: detect.NewStoreBaselines(st), LearnUntil: dc.LearnUntil.Time}
	if dc.Thresholds != "" {
		f, err := os.Open(dc.Thresholds)
		if err != nil {
			return nil, fmt.Errorf("%w: detect.thresholds: %w", ErrConfig, err)
		}
		c, err := detect.LoadConfig(f)
		_ = f.Close() // read-only
		if err != nil {
			return nil, fmt.Errorf("%w: detect.thresholds: %s: %w", ErrConfig, dc.Thresholds, err)
		}
		opts.Config = c
	}
	if !dc.NoRules {
		var rs []*sigma.Rule
		var err error
		if dc.Rules == "" {
			rs, err = sigma.Load(rules.FS, ".")
		} else {
			rs, err = sigma.Load(os.DirFS(dc.Rules), ".")
		}
		if err != nil {
			return nil, fmt.Errorf("%w: detect.rules: %w", ErrConfig, err)
		}
		opts.Rules = detect.Rules(rs)
	}
	closeGeo := func() {}
	if dc.GeoIPCountry != "" || dc.GeoIPASN != "" {
		g, err := detect.OpenMMDB(dc.GeoIPCountry, dc.GeoIPASN)
		if err != nil {
			return nil, fmt.Errorf("%w: detect.geoip: %w", ErrConfig, err)
		}
		opts.Geo = g
		closeGeo = func() { _ = g.Close() } // read-only databases
	}
	eng, err := detect.New(opts)
	if err != nil {
		closeGeo()
		return nil, fmt.Errorf("detection: %w", err)
	}
	out, err := buildOutputs(cfg.Outputs, stdout)
	if err != nil {
		closeGeo()
		return nil, err
	}
	d := &detector{log: log, st: st, eng: eng, out: out, now: now, close: closeGeo, touched: map[string]*alert.Incident{},
		alertsC:  prometheus.NewCounterVec(prometheus.CounterOpts{Name: "vigil_detect_alerts_total", Help: "New alerts raised and stored, by severity."}, []string{"severity"}),
		eventsC:  prometheus.NewCounter(prometheus.CounterOpts{Name: "vigil_detect_events_total", Help: "Events run through detection."}),
		badC:     prometheus.NewCounter(prometheus.CounterOpts{Name: "vigil_detect_events_bad_total", Help: "Bus messages detection could not decode (skipped)."}),
		notifyFC: prometheus.NewCounter(prometheus.CounterOpts{Name: "vigil_detect_notify_failed_total", Help: "Alert deliveries to outputs that failed (the alert is stored)."}),
	}
	d.grp.Window = time.Duration(dc.IncidentWindow)
	reg.MustRegister(d.alertsC, d.eventsC, d.badC, d.notifyFC)
	if err := d.resume(ctx); err != nil {
		closeGeo()
		return nil, err
	}
	return d, nil
}

// resume reopens the store's open incidents in the grouper, so that alerts
// after a restart join the incident they belong to.
func (d *detector) resume(ctx context.Context) error {
	incs, err := d.st.ListIncidents(ctx, store.IncidentOpen)
	if err != nil {
		return fmt.Errorf("detection: open incidents: %w", err)
	}
	for i := len(incs) - 1; i >= 0; i-- { // oldest first: the newest wins a key
		if len(incs[i].Data) == 0 {
			continue
		}
		var inc alert.Incident
		if err := json.Unmarshal(incs[i].Data, &inc); err != nil {
			d.log.Warn("stored incident unreadable; not resumed", "incident", incs[i].ID, "err", err)
			continue
		}
		d.grp.Resume(&inc)
	}
	return nil
}

func (d *detector) collect(a *alert.Alert) { d.raised = append(d.raised, a) }

// handle runs a batch of bus messages through the engine in stream order, then stores what it raised; the batch is acknowledged (by
// returning nil) only after that.
func (d *detector) handle(ctx context.Context, batch []bus.Delivery) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	evs := make([]event.Event, 0, len(batch)*bus.MaxRecords/4)
	for _, m := range batch {
		err := bus.Records(m.Data, func(id string, data []byte) error {
			var ev event.Event
			if err := ev.UnmarshalJSON(data); err != nil {
				d.badC.Inc()
				d.log.Warn("bus record is not an event; detection skipped it", "subject", m.Subject, "id", id, "err", err)
				return nil
			}
			evs = append(evs, ev)
			return nil
		})
		if err != nil {
			d.badC.Inc()
			d.log.Warn("bus message is not a run of event records; detection skipped the rest of it", "subject", m.Subject, "id", m.ID, "err", err)
		}
	}
	// Events run in stream order, the order the sources delivered them: a
	// replay after a crash then runs them as they first ran. (Not sorted by
	// time: log lines carry whole seconds, exporter events microseconds, and
	// a sort would put a logout before the reads of its own second.)
	for i := range evs {
		if err := d.eng.Process(&evs[i], d.collect); err != nil {
			return fmt.Errorf("detection: %w", err)
		}
	}
	d.eventsC.Add(float64(len(evs)))
	d.last = d.now()
	return d.commit(ctx)
}

// tick saves the changed baselines, and ends idle sessions while the bus
// is quiet.
func (d *detector) tick(ctx context.Context, quiet time.Duration) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if err := d.eng.SaveBaselines(); err != nil {
		return fmt.Errorf("detection: %w", err)
	}
	now := d.now()
	if now.Sub(d.last) < quiet {
		return nil
	}
	if err := d.eng.Tick(now, d.collect); err != nil {
		return fmt.Errorf("detection: %w", err)
	}
	return d.commit(ctx)
}

// commit groups the raised alerts into incidents, stores alerts and
// incidents, and then sends the alerts new to the store to the
// outputs. An alert already stored (the same finding from events delivered
// again after a crash: alert IDs come from what they are about) is replaced,
// not sent again.
func (d *detector) commit(ctx context.Context) error {
	if len(d.raised) == 0 {
		return nil
	}
	var fresh []*alert.Alert
	for _, a := range d.raised {
		old, err := d.st.Alert(ctx, a.ID)
		isNew := errors.Is(err, store.ErrNotFound)
		if err != nil && !isNew {
			return fmt.Errorf("detection: %w", err)
		}
		if isNew {
			inc := d.grp.Add(a)
			d.touched[inc.ID] = inc
		} else {
			a.Incident = old.IncidentID // grouped when it was first stored
		}
		data, err := json.Marshal(a)
		if err != nil {
			return fmt.Errorf("detection: %w", err)
		}
		sa := store.Alert{ID: a.ID, Time: a.Time, Rule: a.Rule, Account: a.User, Severity: storeSeverity(a.Severity),
			Summary: a.Summary, IncidentID: a.Incident, Data: data}
		if err := d.st.PutAlert(ctx, sa); err != nil {
			return fmt.Errorf("detection: %w", err)
		}
		if isNew {
			fresh = append(fresh, a)
			d.alertsC.WithLabelValues(a.Severity.String()).Inc()
		}
	}
	for id, inc := range d.touched {
		data, err := json.Marshal(inc)
		if err != nil {
			return fmt.Errorf("detection: %w", err)
		}
		si := store.Incident{ID: inc.ID, Opened: inc.FirstSeen, Updated: inc.LastSeen, Status: store.IncidentOpen,
			Title: incidentTitle(inc), Accounts: nonEmpty(inc.User), Data: data}
		if err := d.st.PutIncident(ctx, si); err != nil {
			return fmt.Errorf("detection: %w", err)
		}
		delete(d.touched, id)
	}
	d.raised = d.raised[:0]
	for _, a := range fresh {
		d.log.Info("alert", "rule", a.Rule, "severity", a.Severity.String(), "id", a.ID, "incident", a.Incident)
		if d.out == nil {
			continue
		}
		if err := d.out.Notify(ctx, a); err != nil {
			d.notifyFC.Inc()
			d.log.Warn("alert not delivered to an output; it is in the store", "id", a.ID, "err", err)
		}
	}
	return nil
}

// storeSeverity maps alert severities (low..critical) onto the store's
// 1 (informational) .. 5 (critical).
func storeSeverity(s alert.Severity) store.Severity { return store.Severity(s) + 1 }

func incidentTitle(inc *alert.Incident) string {
	var b strings.Builder
	b.WriteString(strings.Join(inc.Rules, ", "))
	if inc.User != "" {
		b.WriteString(": " + inc.User)
	}
	if inc.SrcIP != "" {
		b.WriteString(" from " + inc.SrcIP)
	}
	return b.String()
}

func nonEmpty(s string) []string {
	if s == "" {
		return nil
	}
	return []string{s}
}

// finish ends every open session (the input is complete: a replay read to
// its end) and stores what that raises, with the baselines.
func (d *detector) finish(ctx context.Context) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if err := d.eng.Flush(d.collect); err != nil {
		return fmt.Errorf("detection: %w", err)
	}
	return d.commit(ctx)
}

// runDetector consumes the bus and ticks until ctx ends.
func (d *detector) run(ctx context.Context, b *bus.Bus, every time.Duration) error {
	tctx, stop := context.WithCancel(ctx)
	tickDone := make(chan struct{})
	go func() {
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			select {
			case <-tctx.Done():
				close(tickDone)
				return
			case <-t.C:
				if err := d.tick(tctx, every); err != nil && tctx.Err() == nil {
					d.log.Warn("detection tick failed", "err", err)
				}
			}
		}
	}()
	err := b.Consume(ctx, bus.ConsumeOptions{Durable: detectDurable, Batch: 8}, d.handle)
	if ctx.Err() != nil && errors.Is(err, context.Canceled) {
		// Stopped mid-batch at shutdown: the batch was not acknowledged
		// and comes again at the next start.
		err = nil
	}
	stop()
	<-tickDone
	d.mu.Lock()
	defer d.mu.Unlock()
	// Sessions that logged out and wait for late lines end now: the
	// engine's memory is not carried over a restart, their events are
	// acknowledged, and what they raise would otherwise be lost.
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	if perr := d.eng.EndPending(d.collect); perr != nil && err == nil {
		err = fmt.Errorf("detection: %w", perr)
	}
	if cerr := d.commit(sctx); cerr != nil && err == nil {
		err = cerr
	}
	if serr := d.eng.SaveBaselines(); serr != nil && err == nil {
		err = fmt.Errorf("detection: %w", serr)
	}
	return err
}

// buildOutputs returns the configured outputs, or nil when there are none.
func buildOutputs(o OutputsConfig, stdout io.Writer) (notify.Notifier, error) {
	sev := func(s string) alert.Severity { v, _ := alert.ParseSeverity(s); return v } // checked with the config
	var fan notify.Fanout
	if o.Stdout.Enabled {
		fan.Targets = append(fan.Targets, notify.Target{Notifier: notify.NewJSONLines(stdout), Min: sev(o.Stdout.MinSeverity)})
	}
	if o.Webhook.URL != "" {
		fan.Targets = append(fan.Targets, notify.Target{Notifier: &notify.Webhook{URL: o.Webhook.URL, Format: o.Webhook.Format}, Min: sev(o.Webhook.MinSeverity)})
	}
	if o.Syslog.Address != "" {
		network, addr, _ := strings.Cut(o.Syslog.Address, "://")
		host, _ := os.Hostname()
		fan.Targets = append(fan.Targets, notify.Target{Notifier: &notify.Syslog{Network: network, Addr: addr, Hostname: host}, Min: sev(o.Syslog.MinSeverity)})
	}
	if o.Email.SMTP != "" {
		var password string
		if o.Email.PasswordFile != "" {
			p, err := os.ReadFile(o.Email.PasswordFile)
			if err != nil {
				return nil, fmt.Errorf("%w: outputs.email.password_file: %w", ErrConfig, err)
			}
			password = strings.TrimSpace(string(p))
		}
		fan.Targets = append(fan.Targets, notify.Target{Notifier: &notify.Email{Addr: o.Email.SMTP, From: o.Email.From, To: o.Email.To,
			Username: o.Email.User, Password: password}, Min: sev(o.Email.MinSeverity)})
	}
	if len(fan.Targets) == 0 {
		return nil, nil
	}
	return &fan, nil
}
