package source

import (
	"bufio"
	"bytes"
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/vigilhq/vigil/internal/parse"
)

// IntakeOptions configure the HTTP intake.
type IntakeOptions struct {
	Name string
	// Token authenticates senders: "Authorization: Bearer TOKEN", or HTTP
	// basic auth with TOKEN as the password (Dovecot's http-post URL can
	// carry user:TOKEN@host). Required.
	Token string
	Parse parse.Options
	// MaxBody caps a request body. Default 8 MiB.
	MaxBody int64
}

// readyWait bounds how long a request waits for the intake to start.
const readyWait = 10 * time.Second

// Intake receives Dovecot's event exporter (transport = http-post): each
// POST body holds one JSON event, or several as JSON lines. It answers 204
// only after every event of the request is durable on the bus, so a sender
// that sees an error can retry.
type Intake struct {
	opts IntakeOptions
	env  Env
	q    *queue
	// ready is closed when Run starts; a request before waits for it up to
	// readyWait, then gets 503.
	ready chan struct{}
	// mu guards closing; reqs counts requests in flight, which shutdown
	// lets finish before the queue closes.
	mu      sync.Mutex
	closing bool
	reqs    sync.WaitGroup
}

var (
	_ Source       = (*Intake)(nil)
	_ http.Handler = (*Intake)(nil)
)

// NewIntake returns the intake; mount it on an HTTP server and Run it.
func NewIntake(env Env, opts IntakeOptions) (*Intake, error) {
	env.defaults()
	if opts.Token == "" {
		return nil, fmt.Errorf("http source %s: needs a token", opts.Name)
	}
	if opts.MaxBody <= 0 {
		opts.MaxBody = 8 << 20
	}
	em, err := newEmitter(&env, opts.Name, opts.Parse)
	if err != nil {
		return nil, err
	}
	return &Intake{opts: opts, env: env, q: newQueue(em, 2000, env.Now()), ready: make(chan struct{})}, nil
}

// Name implements Source.
func (s *Intake) Name() string { return s.opts.Name }

// Run implements Source: it publishes what requests bring until ctx ends.
func (s *Intake) Run(ctx context.Context) error {
	go s.q.run(ctx)
	close(s.ready)
	<-ctx.Done()
	s.mu.Lock()
	s.closing = true
	s.mu.Unlock()
	s.reqs.Wait()
	close(s.q.in)
	<-s.q.stopped
	return s.q.err
}

// enter registers a request unless shutting down.
func (s *Intake) enter() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closing {
		return false
	}
	s.reqs.Add(1)
	return true
}

// AcceptPost answers a request that is not a POST (405) or does not carry
// token (401; as the basic-auth password or a bearer token, compared in
// constant time) and reports whether the handler goes on. vigil's HTTP
// intakes (events, inventories) share it.
func AcceptPost(w http.ResponseWriter, r *http.Request, token string) bool {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		http.Error(w, "POST only", http.StatusMethodNotAllowed)
		return false
	}
	var got string
	if _, pw, ok := r.BasicAuth(); ok {
		got = pw
	} else if a := r.Header.Get("Authorization"); strings.HasPrefix(a, "Bearer ") {
		got = strings.TrimPrefix(a, "Bearer ")
	}
	if subtle.ConstantTimeCompare([]byte(got), []byte(token)) != 1 {
		w.Header().Set("WWW-Authenticate", `Basic realm="vigil"`)
		http.Error(w, "bad or missing token", http.StatusUnauthorized)
		return false
	}
	return true
}

// ServeHTTP implements http.Handler.
func (s *Intake) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if !AcceptPost(w, r, s.opts.Token) {
		return
	}
	// The HTTP server may take a request a moment before the sources'
	// goroutines have started: wait for Run rather than refuse (Dovecot's
	// exporter does not retry a refused event).
	wait := time.NewTimer(readyWait)
	select {
	case <-s.ready:
		wait.Stop()
	case <-r.Context().Done():
		wait.Stop()
		http.Error(w, "cancelled", http.StatusServiceUnavailable)
		return
	case <-wait.C:
		http.Error(w, "not ready", http.StatusServiceUnavailable)
		return
	}
	if !s.enter() {
		http.Error(w, "shutting down", http.StatusServiceUnavailable)
		return
	}
	defer s.reqs.Done()
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, s.opts.MaxBody))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			http.Error(w, "body too large", http.StatusRequestEntityTooLarge)
			return
		}
		http.Error(w, "cannot read body", http.StatusBadRequest)
		return
	}
	var waits []chan error
	sc := bufio.NewScanner(bytes.NewReader(body))
	sc.Buffer(make([]byte, 64<<10), parse.MaxLineBytes+2)
	for sc.Scan() {
		line := bytes.TrimSpace(sc.Bytes())
		if len(line) == 0 {
			continue
		}
		done := make(chan error, 1)
		if !s.q.put(r.Context(), queued{text: append([]byte(nil), line...), logName: "http", done: done}) {
			http.Error(w, "cancelled", http.StatusServiceUnavailable)
			return
		}
		waits = append(waits, done)
	}
	if err := sc.Err(); err != nil {
		http.Error(w, "body: "+err.Error(), http.StatusBadRequest)
		return
	}
	for _, d := range waits {
		if err := <-d; err != nil {
			http.Error(w, "events not stored; retry", http.StatusServiceUnavailable)
			return
		}
	}
	w.WriteHeader(http.StatusNoContent)
}
