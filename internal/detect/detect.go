// Package detect finds account compromise and mailbox exfiltration in a
// stream of normalized events, on event time: it joins Dovecot's per-session
// events (login, mail_opened, logout) by session id, keeps a behavioural
// baseline per account, and runs the detectors listed in registry.go and the
// Sigma rules of internal/sigma over every event, raising alert.Alerts with a
// plain-language summary and their evidence.
//
// The package must not read logs, or files other than the GeoIP databases
// and the BaselineStore it is handed; deliver alerts (the caller does); use
// the wall clock (time comes from the events); or put message contents in an
// alert.
package detect

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/netip"
	"reflect"
	"sort"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/vigilhq/vigil/internal/alert"
	"github.com/vigilhq/vigil/internal/event"
)

// Config holds the detectors' thresholds. Zero fields take the defaults of
// DefaultConfig.
type Config struct {
	// Brute force per source: BruteCount failures within BruteWindow.
	BruteCount  int           `yaml:"brute_count"`
	BruteWindow time.Duration `yaml:"brute_window"`
	// Repeated failures from one source on one account (fail2ban's default: 5 in 10 min).
	RepeatCount  int           `yaml:"repeat_count"`
	RepeatWindow time.Duration `yaml:"repeat_window"`
	// Failures on one account from all sources.
	AccountCount  int           `yaml:"account_count"`
	AccountWindow time.Duration `yaml:"account_window"`
	// Spraying: one source failing on SprayAccounts accounts within SprayWindow;
	// distributed guessing: one account failing from GuessSources sources.
	SprayAccounts int           `yaml:"spray_accounts"`
	GuessSources  int           `yaml:"guess_sources"`
	SprayWindow   time.Duration `yaml:"spray_window"`
	// A success after at least GuessedFailures failures from the same source
	// within GuessedWindow.
	GuessedFailures int           `yaml:"guessed_failures"`
	GuessedWindow   time.Duration `yaml:"guessed_window"`
	// Learning: a baseline is used once it covers LearnDays active days.
	LearnDays int `yaml:"learn_days"`
	// Mass read: messages in a session (or a day) above both the floor and
	// Factor times the account's own maximum.
	SessionFloor int `yaml:"session_floor"`
	DayFloor     int `yaml:"day_floor"`
	// BytesFloor is the absolute floor of body bytes fetched in a session.
	BytesFloor int64 `yaml:"bytes_floor"`
	ReadFactor int   `yaml:"read_factor"`
	// Old mail: OldDays is "old"; OldFloor old messages in a session.
	OldDays  int `yaml:"old_days"`
	OldFloor int `yaml:"old_floor"`
	// Slow exfiltration: SlowTotal messages over at least SlowDays days by a
	// source new to the account.
	SlowTotal int `yaml:"slow_total"`
	SlowDays  int `yaml:"slow_days"`
	// Suppress repeats of the same alert (rule, account, key) within this.
	Suppress time.Duration `yaml:"suppress"`
	// SessionIdle ends a session whose logout was never seen.
	SessionIdle time.Duration `yaml:"session_idle"`
	// EndGrace keeps a session open this long (event time, or the caller's
	// clock through Engine.Tick) after its logout line, for the exporter's
	// mail_opened events that Dovecot's stats process writes after it; the
	// same default holds for batch work (vigil analyze, the demo) and live
	// detection (vigil serve). Zero takes the default; a negative value (in
	// code only: the YAML refuses it) ends sessions at the logout line.
	EndGrace time.Duration `yaml:"end_grace"`
}

// LoadConfig reads a YAML file of thresholds (keys as in docs/detection.md,
// durations as "120s", "10m"); an unknown key is an error naming it, and
// keys left out keep their defaults.
func LoadConfig(r io.Reader) (Config, error) {
	var c Config
	dec := yaml.NewDecoder(r)
	dec.KnownFields(true)
	if err := dec.Decode(&c); err != nil && !errors.Is(err, io.EOF) {
		return Config{}, fmt.Errorf("%w: %w", ErrConfig, err)
	}
	v := reflect.ValueOf(c)
	for i := 0; i < v.NumField(); i++ {
		if v.Field(i).Int() < 0 {
			return Config{}, fmt.Errorf("%w: %s must not be negative", ErrConfig, v.Type().Field(i).Tag.Get("yaml"))
		}
	}
	c.fill()
	return c, nil
}

// ErrConfig wraps errors in a detection configuration.
var ErrConfig = errors.New("bad detection configuration")

// DefaultConfig returns the defaults.
func DefaultConfig() Config {
	return Config{
		BruteCount: 8, BruteWindow: 120 * time.Second,
		RepeatCount: 5, RepeatWindow: 10 * time.Minute,
		AccountCount: 20, AccountWindow: 10 * time.Minute,
		SprayAccounts: 5, GuessSources: 5, SprayWindow: time.Hour,
		GuessedFailures: 3, GuessedWindow: 2 * time.Hour,
		LearnDays:    7,
		SessionFloor: 200, DayFloor: 400, ReadFactor: 5, BytesFloor: 256 << 20,
		OldDays: 365, OldFloor: 20,
		SlowTotal: 60, SlowDays: 2,
		Suppress:    24 * time.Hour,
		SessionIdle: 12 * time.Hour,
		EndGrace:    DefaultEndGrace,
	}
}

// DefaultEndGrace is Config.EndGrace's default. Dovecot's stats process was
// seen writing mail_opened lines up to about a second after the session's
// logout line (test/lab); 5 s leaves room for a loaded server.
const DefaultEndGrace = 5 * time.Second

func (c *Config) fill() {
	d := DefaultConfig()
	def := func(v *int, x int) {
		if *v <= 0 {
			*v = x
		}
	}
	defd := func(v *time.Duration, x time.Duration) {
		if *v <= 0 {
			*v = x
		}
	}
	def(&c.BruteCount, d.BruteCount)
	defd(&c.BruteWindow, d.BruteWindow)
	def(&c.RepeatCount, d.RepeatCount)
	defd(&c.RepeatWindow, d.RepeatWindow)
	def(&c.AccountCount, d.AccountCount)
	defd(&c.AccountWindow, d.AccountWindow)
	def(&c.SprayAccounts, d.SprayAccounts)
	def(&c.GuessSources, d.GuessSources)
	defd(&c.SprayWindow, d.SprayWindow)
	def(&c.GuessedFailures, d.GuessedFailures)
	defd(&c.GuessedWindow, d.GuessedWindow)
	def(&c.LearnDays, d.LearnDays)
	def(&c.SessionFloor, d.SessionFloor)
	def(&c.DayFloor, d.DayFloor)
	def(&c.ReadFactor, d.ReadFactor)
	if c.BytesFloor <= 0 {
		c.BytesFloor = d.BytesFloor
	}
	def(&c.OldDays, d.OldDays)
	def(&c.OldFloor, d.OldFloor)
	def(&c.SlowTotal, d.SlowTotal)
	def(&c.SlowDays, d.SlowDays)
	defd(&c.Suppress, d.Suppress)
	defd(&c.SessionIdle, d.SessionIdle)
	if c.EndGrace == 0 {
		c.EndGrace = d.EndGrace
	}
}

// EventRule is a rule evaluated on every event (a compiled Sigma rule); it
// returns the alerts it raises.
type EventRule interface {
	Eval(ev *event.Event) []*alert.Alert
}

// Rules is rs as EventRules (say, loaded Sigma rules for Options.Rules).
func Rules[R EventRule](rs []R) []EventRule {
	out := make([]EventRule, len(rs))
	for i, r := range rs {
		out[i] = r
	}
	return out
}

// Options configure an Engine.
type Options struct {
	Logger *slog.Logger
	// Baselines persists the per-account baselines; nil keeps them in memory.
	Baselines BaselineStore
	// Geo maps addresses to country and ASN; nil disables those detectors'
	// country and ASN reasoning (networks are still compared by prefix).
	Geo Geo
	// Rules are evaluated on every event.
	Rules  []EventRule
	Config Config
	// Detectors overrides the registry (tests); nil means all of registry.go.
	Detectors []Detector
	// LearnOnly updates baselines and raises nothing (vigil learn).
	LearnOnly bool
	// LearnUntil, if set, makes events before it only update baselines, as
	// if 'vigil learn' had read them first: a clinic's logs from before it
	// ran vigil, in the same pass as the rest.
	LearnUntil time.Time
}

// Engine runs the detectors. It is not safe for concurrent use: one engine
// per shard of accounts.
type Engine struct {
	log   *slog.Logger
	cfg   Config
	store BaselineStore
	geo   Geo
	rules []EventRule
	learn bool
	// learnUntil: see Options.LearnUntil.
	learnUntil time.Time

	detectors []Detector
	onFail    []FailureObserver
	onLogin   []LoginObserver
	onRead    []ReadObserver
	onEnd     []EndObserver
	onCommand []CommandObserver
	onMail    []MailObserver
	sweepers  []Sweeper

	baselines map[string]*Baseline
	netIndex  map[netKey]int // how many accounts' baselines hold a network
	sessions  map[string]*Session
	pending   map[string]*Session // logged out, ending after Config.EndGrace
	failSeen  map[string]failMark
	suppress  map[string]time.Time
	now       time.Time
	lastSweep time.Time
	emit      func(*alert.Alert)
	err       error
}

// New returns an engine; the baselines in the store are loaded lazily.
func New(opts Options) (*Engine, error) {
	e := &Engine{
		log: opts.Logger, cfg: opts.Config, store: opts.Baselines, geo: opts.Geo, rules: opts.Rules, learn: opts.LearnOnly, learnUntil: opts.LearnUntil,
		baselines: map[string]*Baseline{}, netIndex: map[netKey]int{}, sessions: map[string]*Session{}, pending: map[string]*Session{},
		failSeen: map[string]failMark{}, suppress: map[string]time.Time{},
	}
	if e.log == nil {
		e.log = slog.New(slog.DiscardHandler)
	}
	e.cfg.fill()
	if e.store == nil {
		e.store = NewMemoryStore()
	}
	e.detectors = opts.Detectors
	if e.detectors == nil {
		e.detectors = Registry()
	}
	for _, d := range e.detectors {
		if o, ok := d.(FailureObserver); ok {
			e.onFail = append(e.onFail, o)
		}
		if o, ok := d.(LoginObserver); ok {
			e.onLogin = append(e.onLogin, o)
		}
		if o, ok := d.(ReadObserver); ok {
			e.onRead = append(e.onRead, o)
		}
		if o, ok := d.(EndObserver); ok {
			e.onEnd = append(e.onEnd, o)
		}
		if o, ok := d.(MailObserver); ok {
			e.onMail = append(e.onMail, o)
		}
		if o, ok := d.(CommandObserver); ok {
			e.onCommand = append(e.onCommand, o)
		}
		if o, ok := d.(Sweeper); ok {
			e.sweepers = append(e.sweepers, o)
		}
	}
	accounts, err := e.store.List()
	if err != nil {
		return nil, fmt.Errorf("listing baselines: %w", err)
	}
	for _, a := range accounts {
		if _, err := e.baseline(a); err != nil {
			return nil, err
		}
	}
	return e, nil
}

// Config returns the effective configuration.
func (e *Engine) Config() Config { return e.cfg }

// Process runs ev through the session join, the detectors and the rules;
// alerts go to emit. Events must come in (roughly) time order.
func (e *Engine) Process(ev *event.Event, emit func(*alert.Alert)) error {
	e.emit = emit
	if ev.Time.After(e.now) {
		e.now = ev.Time
	}
	if e.now.Sub(e.lastSweep) > time.Hour {
		e.sweep(e.now)
	}
	e.endDue(e.now)
	if !e.learning() {
		for _, r := range e.rules {
			for _, a := range r.Eval(ev) {
				e.raise(a, "", e.sessions[ev.Session])
			}
		}
	}
	e.route(ev)
	return e.err
}

// Tick is a live reader's clock, called with the wall clock while its input
// is quiet. It ends the sessions whose logout grace (Config.EndGrace) has
// passed by now, and those idle longer than Config.SessionIdle, running the
// detectors' sweeps at now, so a quiet server still gets its alerts. The
// engine's event time is left as it was: events that come later go on from
// where the input was. Baselines are not saved here (SaveBaselines does that).
func (e *Engine) Tick(now time.Time, emit func(*alert.Alert)) error {
	e.emit = emit
	e.endDue(now)
	if !now.After(e.now) {
		return e.err
	}
	evNow, lastSweep := e.now, e.lastSweep
	e.now = now
	e.sweep(now)
	e.now, e.lastSweep = evNow, lastSweep
	return e.err
}

func (e *Engine) endDue(now time.Time) {
	if len(e.pending) == 0 {
		return
	}
	var due []*Session
	for _, s := range e.pending {
		if !now.Before(s.endAt) {
			due = append(due, s)
		}
	}
	sort.Slice(due, func(i, j int) bool { return due[i].ID < due[j].ID })
	for _, s := range due {
		delete(e.pending, s.ID)
		e.endSession(s)
	}
}

// learning reports whether the engine only learns now.
func (e *Engine) learning() bool { return e.learn || e.now.Before(e.learnUntil) }

// EndPending ends now the sessions that logged out and wait out their
// end grace (a live reader's shutdown: what is in memory is not carried
// over a restart, and these sessions are complete but for late lines).
// Sessions without a logout stay open.
func (e *Engine) EndPending(emit func(*alert.Alert)) error {
	e.emit = emit
	e.endAll(e.pending)
	return e.err
}

// Flush ends every open session (end of input) and saves the baselines.
func (e *Engine) Flush(emit func(*alert.Alert)) error {
	e.emit = emit
	e.endAll(e.sessions)
	return e.SaveBaselines()
}

// endAll ends the sessions of m (e.sessions or e.pending) in ID order, the
// same order every run.
func (e *Engine) endAll(m map[string]*Session) {
	ids := make([]string, 0, len(m))
	for id := range m {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		s := m[id]
		delete(e.pending, id) // a logged-out session is in both maps
		e.endSession(s)
	}
}

// SaveBaselines writes every changed baseline to the store (in one call
// when the store is a BatchBaselineStore).
func (e *Engine) SaveBaselines() error {
	names := make([]string, 0, len(e.baselines))
	for n, b := range e.baselines {
		if b.dirty {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	if bs, ok := e.store.(BatchBaselineStore); ok && len(names) > 0 {
		all := make(map[string]*Baseline, len(names))
		for _, n := range names {
			all[n] = e.baselines[n]
		}
		if err := bs.SaveAll(all); err != nil {
			return fmt.Errorf("saving %d baselines: %w", len(all), err)
		}
		for _, b := range all {
			b.dirty = false
		}
		return nil
	}
	for _, n := range names {
		b := e.baselines[n]
		if err := e.store.Save(n, b); err != nil {
			return fmt.Errorf("saving baseline of %s: %w", n, err)
		}
		b.dirty = false
	}
	return nil
}

// raise fills in an alert's common fields, suppresses repeats of the same
// (rule, user, key) and hands it on.
func (e *Engine) raise(a *alert.Alert, key string, s *Session) {
	if e.learning() {
		return
	}
	if a.Time.IsZero() {
		a.Time = e.now
	}
	if a.Attack == nil {
		a.Attack = []string{} // an empty list in JSON, never null
	}
	if a.FirstSeen.IsZero() {
		a.FirstSeen = a.Time
	}
	if a.LastSeen.IsZero() {
		a.LastSeen = a.Time
	}
	sk := a.Rule + "\x00" + a.User + "\x00" + a.SrcIP + "\x00" + key
	if last, ok := e.suppress[sk]; ok && a.Time.Sub(last) < e.cfg.Suppress {
		return
	}
	e.suppress[sk] = a.Time
	if s != nil {
		if a.Severity > s.flagged {
			s.flagged = a.Severity
		}
		if len(a.Evidence.Sessions) == 0 {
			a.Evidence.Sessions = []string{s.ID}
		}
		if len(a.Evidence.Reads) == 0 && s.opened > 0 {
			a.Evidence.Reads = s.reads()
		}
	}
	a.SetID()
	if e.emit != nil {
		e.emit(a)
	}
}

// Ctx is what a detector sees of the engine.
type Ctx struct{ e *Engine }

// Config is the engine's configuration.
func (c Ctx) Config() *Config { return &c.e.cfg }

// Now is the current event time.
func (c Ctx) Now() time.Time { return c.e.now }

// Baseline returns the account's baseline (never nil).
func (c Ctx) Baseline(user string) *Baseline { b, _ := c.e.baseline(user); return b }

// Mature reports whether the account's baseline has finished learning.
func (c Ctx) Mature(b *Baseline) bool { return b.ActiveDays >= c.e.cfg.LearnDays }

// Place looks up an address; ok is false without a database or a match.
func (c Ctx) Place(a netip.Addr) (Place, bool) {
	if c.e.geo == nil {
		return Place{}, false
	}
	return c.e.geo.Lookup(a)
}

// NetAccounts is how many accounts' baselines hold the network of a.
func (c Ctx) NetAccounts(a netip.Addr) int { return c.e.netIndex[netOf(a)] }

// Raise hands on an alert about session s (nil when none), suppressing
// repeats of (rule, user, source, key) within Config.Suppress.
func (c Ctx) Raise(a *alert.Alert, key string, s *Session) { c.e.raise(a, key, s) }

// Session returns an open session by id.
func (c Ctx) Session(id string) *Session { return c.e.sessions[id] }
