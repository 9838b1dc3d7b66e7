// Package serve runs vigil's daemon: it reads the configuration, opens the
// store and the bus, starts the sources and the consumers that carry events
// from the bus into the store, serves /healthz, /readyz, /metrics and the
// HTTP intake, runs live detection as a second consumer (engine → incidents →
// store → outputs), applies retention, and drains in-flight events on shutdown.
//
// The package wires the pipeline's parts together; it must not parse lines,
// implement detectors, or talk SQL itself — each of those belongs to its own
// package.
package serve

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/vigilhq/vigil/internal/bus"
	"github.com/vigilhq/vigil/internal/parse"
	"github.com/vigilhq/vigil/internal/source"
	"github.com/vigilhq/vigil/internal/store"
	"github.com/vigilhq/vigil/internal/store/postgres"
	"github.com/vigilhq/vigil/internal/store/sqlite"
)

// Options are what Run needs besides the configuration.
type Options struct {
	Logger *slog.Logger
	// Stdin is read by a source of type stdin. Default os.Stdin.
	Stdin io.Reader
	// Now is the clock. Default time.Now.
	Now func() time.Time
	// Ready, when set, receives the HTTP server's address once serving.
	Ready func(httpAddr string)
	// DrainTimeout bounds how long shutdown waits for the store consumer to
	// catch up. Default 30s.
	DrainTimeout time.Duration
	// RetentionEvery is how often retention prunes stored events. Default 1m.
	RetentionEvery time.Duration
	// Stdout receives the stdout output's alerts. Default os.Stdout.
	Stdout io.Writer
	// Once replays instead of serving: the file sources read their files to
	// the last whole line and stop (stdin to its end; syslog and http
	// sources, which never end, are a configuration error), and Run returns
	// once the store and detection have every event, detection has ended
	// the sessions still open (the input is complete) and stored what that
	// raised. An interruption (ctx) before then is an error: the replay is
	// incomplete. A later run without Once goes on from the checkpoints.
	Once bool
	// Metrics, when set, is the registry Run's metrics go to (default a new
	// one), for a caller that reads the figures after Run returns.
	Metrics *prometheus.Registry
}

// storeDurable is the store consumer's durable name on the bus.
const storeDurable = "store"

// Run runs the daemon until ctx ends (SIGTERM), then drains and returns.
func Run(ctx context.Context, cfg Config, opts Options) error {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Stdin == nil {
		opts.Stdin = os.Stdin
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Stdout == nil {
		opts.Stdout = os.Stdout
	}
	if opts.RetentionEvery <= 0 {
		opts.RetentionEvery = time.Minute
	}
	if opts.DrainTimeout <= 0 {
		opts.DrainTimeout = 30 * time.Second
	}
	log := opts.Logger
	if opts.Once {
		for _, sc := range cfg.Sources {
			if sc.Type != "file" && sc.Type != "stdin" {
				return fmt.Errorf("%w: source %q: a replay (once) reads files and stdin to their end; type %s never ends", ErrConfig, sc.Name, sc.Type)
			}
		}
	}
	if err := os.MkdirAll(cfg.DataDir, 0o750); err != nil {
		return fmt.Errorf("data dir: %w", err)
	}
	// Start-up uses its own context: a SIGTERM during start-up still gets an
	// orderly shutdown of what was opened.
	start := context.WithoutCancel(ctx)
	st, err := openStore(start, cfg)
	if err != nil {
		return err
	}
	defer func() {
		if err := st.Close(); err != nil {
			log.Error("closing the store failed", "err", err)
		}
	}()
	b, err := bus.Open(start, bus.Options{URL: cfg.Bus.URL, Dir: filepath.Join(cfg.DataDir, "jetstream"), Listen: cfg.Bus.Listen,
		SyncAlways: cfg.Bus.SyncAlways, Stream: cfg.Bus.Stream, Subject: cfg.Bus.Subject, MaxAge: time.Duration(cfg.Bus.MaxAge),
		MaxBytes: int64(cfg.Bus.MaxBytes), Logger: log})
	if err != nil {
		return err
	}
	defer func() {
		if err := b.Close(); err != nil {
			log.Error("closing the bus failed", "err", err)
		}
	}()

	reg := opts.Metrics
	if reg == nil {
		reg = prometheus.NewRegistry()
	}
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	m := newMetrics(reg, b, opts.Now)
	env := source.Env{Bus: b, Checkpoints: st, Metrics: source.NewMetrics(reg), Logger: log, Now: opts.Now}
	sources, handlers, err := buildSources(cfg, env, opts.Stdin, opts.Once)
	if err != nil {
		return err
	}
	var det *detector
	durables := []string{storeDurable}
	if cfg.Detect.Enabled {
		det, err = newDetector(start, cfg, st, reg, opts.Stdout, log, opts.Now)
		if err != nil {
			return err
		}
		defer det.close()
		durables = append(durables, detectDurable)
	}

	mux := http.NewServeMux()
	isReady := make(chan struct{})
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, "ok\n") })
	mux.HandleFunc("/readyz", func(w http.ResponseWriter, _ *http.Request) {
		select {
		case <-isReady:
			_, _ = io.WriteString(w, "ready\n")
		default:
			http.Error(w, "starting", http.StatusServiceUnavailable)
		}
	})
	mux.Handle("/metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	for path, h := range handlers {
		mux.Handle(path, h)
	}
	invH, err := inventoryHandler(cfg.Inventory, st, log, opts.Now)
	if err != nil {
		return err
	}
	if invH != nil {
		mux.Handle(inventoryPath, invH)
	}
	ln, err := net.Listen("tcp", cfg.HTTP.Listen)
	if err != nil {
		return fmt.Errorf("http: %w", err)
	}
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Error("http server failed", "err", err)
		}
	}()

	// The store consumer runs on its own context, stopped only after the
	// sources are done and it has caught up.
	consumeCtx, stopConsume := context.WithCancel(context.WithoutCancel(ctx))
	defer stopConsume()
	consumeDone := make(chan error, 1)
	go func() {
		consumeDone <- b.Consume(consumeCtx, bus.ConsumeOptions{Durable: storeDurable, Batch: 16}, m.storeHandler(st, log)) // messages of up to bus.MaxRecords events
	}()
	// Detection is a second durable consumer of the same stream, on its own
	// position: it acknowledges a batch once the engine has run it and the
	// alerts, incidents and baselines are stored.
	detectDone := make(chan error, 1)
	if det != nil {
		go func() { detectDone <- det.run(consumeCtx, b, time.Duration(cfg.Detect.Tick)) }()
	}
	retDone := make(chan struct{})
	retCtx, stopRetention := context.WithCancel(ctx) // also stopped at the end of a replay
	defer stopRetention()
	go func() {
		defer close(retDone)
		retention(retCtx, cfg.Store.Retention, opts.RetentionEvery, st, log, opts.Now, m.pruned)
	}()

	srcCtx, stopSources := context.WithCancel(ctx)
	defer stopSources()
	var wg sync.WaitGroup
	srcErr := make(chan error, len(sources))
	for _, s := range sources {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := s.Run(srcCtx); err != nil {
				srcErr <- fmt.Errorf("source %s: %w", s.Name(), err)
				stopSources()
			}
		}()
	}
	// In a replay, srcDone closes once every source has read its input to
	// the end; otherwise it stays open (a source that ends, like stdin at
	// EOF, leaves the others and the HTTP intake serving).
	srcDone := make(chan struct{})
	if opts.Once {
		go func() {
			wg.Wait()
			close(srcDone)
		}()
	}
	close(isReady)
	log.Info("vigil serving", "http", ln.Addr().String(), "sources", len(sources), "store", cfg.Store.Driver, "bus", busName(cfg))
	if opts.Ready != nil {
		opts.Ready(ln.Addr().String())
	}

	var runErr error
	replayed := false
	select {
	case <-ctx.Done():
		log.Info("shutting down: draining sources")
	case <-srcDone:
		select {
		case runErr = <-srcErr: // a source failed (its error is sent before it is done)
			log.Error("a source failed; shutting down", "err", runErr)
		default:
			replayed = true
			log.Info("replay: the sources are read to their end; waiting for the store and detection")
		}
	case runErr = <-srcErr:
		log.Error("a source failed; shutting down", "err", runErr)
	case runErr = <-consumeDone:
		if runErr == nil {
			runErr = errors.New("store consumer stopped")
		}
		log.Error("the store consumer failed; shutting down", "err", runErr)
	case runErr = <-detectDone:
		if runErr == nil {
			runErr = errors.New("detection consumer stopped")
		}
		log.Error("the detection consumer failed; shutting down", "err", runErr)
		detectDone <- nil // drained below like the others
	}
	stopSources()
	wg.Wait()
	if replayed {
		runErr = catchUp(ctx, b, durables, consumeDone, detectDone)
		if runErr == nil && det != nil {
			runErr = det.finish(consumeCtx)
		}
	} else {
		drain(b, log, opts.DrainTimeout, durables)
		if opts.Once && runErr == nil && ctx.Err() != nil {
			runErr = fmt.Errorf("replay interrupted before the end of its input: %w", ctx.Err())
		}
	}
	stopConsume()
	// A consumer stopped mid-batch by stopConsume did not acknowledge that
	// batch: it comes again at the next start, so it is not a failure.
	if err := <-consumeDone; err != nil && !errors.Is(err, context.Canceled) && runErr == nil {
		runErr = err
	}
	if det != nil {
		if err := <-detectDone; err != nil && runErr == nil {
			runErr = err
		}
	}
	stopRetention()
	<-retDone
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	_ = srv.Shutdown(sctx) // best effort: nothing is left to serve
	log.Info("vigil stopped")
	return runErr
}

func busName(cfg Config) string {
	if cfg.Bus.URL != "" {
		return "external"
	}
	return "embedded"
}

// drain waits until the consumers (store, detection) have everything the
// sources published.
func drain(b *bus.Bus, log *slog.Logger, timeout time.Duration, durables []string) {
	deadline := time.Now().Add(timeout)
	for _, name := range durables {
		for {
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			lag, err := b.Lag(ctx, name)
			cancel()
			if err == nil && lag == 0 {
				break
			}
			if time.Now().After(deadline) {
				log.Warn("shutdown: a consumer did not catch up; the rest stays on the bus for next start", "consumer", name, "lag", lag, "err", err)
				return
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
}

// catchUp waits, without a deadline, until the consumers (store, detection)
// have everything the sources published: the end of a replay. A consumer
// that stops, or ctx ending, ends the wait with an error (the consumer's
// own error is put back for the caller).
func catchUp(ctx context.Context, b *bus.Bus, durables []string, consumeDone, detectDone chan error) error {
	for _, name := range durables {
		for {
			lctx, cancel := context.WithTimeout(ctx, 2*time.Second)
			lag, err := b.Lag(lctx, name)
			cancel()
			if err == nil && lag == 0 {
				break
			}
			select {
			case <-ctx.Done():
				return fmt.Errorf("replay interrupted before the %s consumer had every event: %w", name, ctx.Err())
			case err := <-consumeDone:
				consumeDone <- err
				return stoppedEarly(storeDurable, err)
			case err := <-detectDone:
				detectDone <- err
				return stoppedEarly(detectDurable, err)
			case <-time.After(20 * time.Millisecond):
			}
		}
	}
	return nil
}

func stoppedEarly(name string, err error) error {
	if err == nil {
		return fmt.Errorf("replay: the %s consumer stopped before it had every event", name)
	}
	return fmt.Errorf("replay: the %s consumer stopped before it had every event: %w", name, err)
}

// OpenStore opens the store cfg names, as Run does: for the commands that
// read what the daemon stored (it may be running: SQLite is in WAL mode).
func OpenStore(ctx context.Context, cfg Config) (store.Store, error) { return openStore(ctx, cfg) }

func openStore(ctx context.Context, cfg Config) (store.Store, error) {
	switch cfg.Store.Driver {
	case "postgres":
		return postgres.Open(ctx, postgres.Options{DSN: cfg.Store.DSN, Schema: cfg.Store.Schema})
	default:
		path := cfg.Store.Path
		if path == "" {
			path = filepath.Join(cfg.DataDir, "vigil.db")
		}
		return sqlite.Open(ctx, sqlite.Options{Path: path})
	}
}

// buildSources makes the configured sources; HTTP intakes also come back as
// handlers by URL path. once makes file sources stop at the end of their
// files (a replay).
func buildSources(cfg Config, env source.Env, stdin io.Reader, once bool) ([]source.Source, map[string]http.Handler, error) {
	var out []source.Source
	handlers := map[string]http.Handler{}
	for _, sc := range cfg.Sources {
		po := parse.Options{Format: sc.Format}
		if sc.Timezone != "" {
			loc, err := time.LoadLocation(sc.Timezone)
			if err != nil {
				return nil, nil, fmt.Errorf("source %s: %w", sc.Name, err)
			}
			po.Location = loc
		}
		var s source.Source
		var err error
		switch sc.Type {
		case "file":
			s, err = source.NewFile(env, source.FileOptions{Name: sc.Name, Paths: sc.Paths, Parse: po, Poll: time.Duration(sc.Poll), Once: once})
		case "syslog":
			s, err = source.NewSyslog(env, source.SyslogOptions{Name: sc.Name, UDP: sc.UDP, TCP: sc.TCP, Parse: po})
		case "http":
			token := sc.Token
			if sc.TokenFile != "" {
				b, rerr := os.ReadFile(sc.TokenFile)
				if rerr != nil {
					return nil, nil, fmt.Errorf("source %s: token_file: %w", sc.Name, rerr)
				}
				token = strings.TrimSpace(string(b))
			}
			in, ierr := source.NewIntake(env, source.IntakeOptions{Name: sc.Name, Token: token, Parse: po})
			s, err = in, ierr
			path := sc.Path
			if path == "" {
				path = "/intake/" + sc.Name
			}
			handlers[path] = in
		case "stdin":
			s, err = source.NewReader(env, stdin, source.ReaderOptions{Name: sc.Name, Parse: po})
		}
		if err != nil {
			return nil, nil, err
		}
		out = append(out, s)
	}
	return out, handlers, nil
}
