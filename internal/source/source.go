// Package source reads log lines where a mail server writes them (files,
// syslog, Dovecot's HTTP event exporter, standard input), turns each into an
// event.Event through internal/parse, and publishes the events on the bus
// with an ID derived from the input's identity and the line's position. A
// source's checkpoint advances only after the bus acknowledged every event
// before it, so a crash loses nothing and a replay adds nothing.
//
// Sources are plug-ins behind the Source interface, built from the
// configuration in one place (buildSources in internal/serve).
// The package must not detect, store events itself, or log a line's text
// (lines hold user names and addresses).
package source

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/vigilhq/vigil/internal/bus"
	"github.com/vigilhq/vigil/internal/event"
	"github.com/vigilhq/vigil/internal/parse"
	"github.com/vigilhq/vigil/internal/store"
)

// Source is one configured input.
type Source interface {
	// Name is the source's configured name; it scopes checkpoints and IDs.
	Name() string
	// Run reads until ctx ends or the input is exhausted (stdin); it returns
	// nil on a clean stop.
	Run(ctx context.Context) error
}

// Publisher is the bus as sources see it: Publish returns once every message
// is durable.
type Publisher interface {
	Publish(ctx context.Context, msgs []bus.Message) error
	Subject(source string) string
}

// CheckpointStore is where sources keep their positions.
type CheckpointStore interface {
	SaveCheckpoint(ctx context.Context, c store.Checkpoint) error
	Checkpoints(ctx context.Context, source string) ([]store.Checkpoint, error)
}

// Env is what every source is built with.
type Env struct {
	Bus         Publisher
	Checkpoints CheckpointStore
	Metrics     *Metrics
	Logger      *slog.Logger
	// Now is the clock. Default time.Now.
	Now func() time.Time
}

func (e *Env) defaults() {
	if e.Logger == nil {
		e.Logger = slog.New(slog.DiscardHandler)
	}
	if e.Now == nil {
		e.Now = time.Now
	}
	if e.Metrics == nil {
		e.Metrics = NewMetrics(nil)
	}
}

// Metrics are the sources' Prometheus metrics.
type Metrics struct {
	// Lines counts lines by source, format and result (parsed, ignored,
	// unparsed, too_long).
	Lines *prometheus.CounterVec
	// Published counts events acknowledged by the bus, by source.
	Published *prometheus.CounterVec
	// Dropped counts messages lost before reading (UDP receive overruns,
	// malformed frames), by source and reason.
	Dropped *prometheus.CounterVec
}

// NewMetrics creates the metrics and registers them with reg (when not nil).
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		Lines: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "vigil_source_lines_total",
			Help: "Lines read by source, format and result (parsed, ignored, unparsed, too_long).",
		}, []string{"source", "format", "result"}),
		Published: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "vigil_source_events_published_total",
			Help: "Events a source published and the bus acknowledged.",
		}, []string{"source"}),
		Dropped: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "vigil_source_dropped_total",
			Help: "Messages lost before they could be read, by source and reason.",
		}, []string{"source", "reason"}),
	}
	if reg != nil {
		reg.MustRegister(m.Lines, m.Published, m.Dropped)
	}
	return m
}

// Line is one line of input with its identity.
type Line struct {
	// ID is unique to the line's input and position (Nats-Msg-Id).
	ID string
	// Text is the line without its newline.
	Text []byte
	// LogName and LogLine say where the line was read.
	LogName string
	LogLine int64
}

// emitter decodes lines and publishes their events. One per goroutine: the
// decoder is not safe for concurrent use.
type emitter struct {
	source  string
	subject string
	env     *Env
	dec     *parse.Decoder
	msgs    []bus.Message
	ends    []int  // end of each message's data in buf
	buf     []byte // the batch's messages' data (event records), back to back
	// the message being filled: where it starts in buf, its records, the
	// first one's ID; events counts the batch's events.
	msgStart, inMsg, events int
	firstID                 string
	ev                      event.Event
	// counters by format and result, cached to keep the hot path cheap.
	counters map[[2]string]prometheus.Counter
}

func newEmitter(env *Env, source string, opts parse.Options) (*emitter, error) {
	dec, err := parse.NewDecoder(opts)
	if err != nil {
		return nil, fmt.Errorf("source %s: %w", source, err)
	}
	return &emitter{source: source, subject: env.Bus.Subject(source), env: env, dec: dec, counters: map[[2]string]prometheus.Counter{}}, nil
}

func (e *emitter) count(format, result string) {
	k := [2]string{format, result}
	c, ok := e.counters[k]
	if !ok {
		c = e.env.Metrics.Lines.WithLabelValues(e.source, format, result)
		e.counters[k] = c
	}
	c.Inc()
}

// emit decodes lines and publishes their events, several to a bus message
// (bus.Records), returning once the bus has acknowledged them all. The
// messages depend on the lines alone: the same lines give the same
// messages and message IDs, so publishing them again adds nothing.
func (e *emitter) emit(ctx context.Context, lines []Line) error {
	e.msgs, e.ends, e.buf = e.msgs[:0], e.ends[:0], e.buf[:0]
	e.msgStart, e.inMsg, e.events = 0, 0, 0
	for i := range lines {
		l := &lines[i]
		if len(l.Text) > parse.MaxLineBytes {
			e.count("unknown", "too_long")
			continue
		}
		e.ev.Reset()
		format, err := e.dec.Decode(string(l.Text), &e.ev)
		if format == "" {
			format = "unknown"
		}
		if err != nil {
			switch {
			case errors.Is(err, parse.ErrIgnored):
				e.count(format, "ignored")
			default:
				e.count(format, "unparsed")
			}
			continue
		}
		e.count(format, "parsed")
		e.ev.LogName, e.ev.LogLine = l.LogName, l.LogLine
		// A new message when this one is full: by a rule of the lines
		// alone, so the same lines make the same messages again.
		if e.inMsg == bus.MaxRecords || (e.inMsg > 0 && len(e.buf)-e.msgStart >= bus.MaxRecordBytes) {
			e.closeMsg()
		}
		if e.inMsg == 0 {
			e.firstID = l.ID
		}
		// The record: the event's ID, a tab, its JSON, a newline.
		if l.ID == "" || strings.ContainsAny(l.ID, "\t\n") {
			return fmt.Errorf("source %s: line ID %q cannot be a record's", e.source, l.ID)
		}
		buf := append(append(e.buf, l.ID...), '\t')
		buf, err = e.ev.AppendJSON(buf)
		if err != nil {
			return fmt.Errorf("source %s: encode event: %w", e.source, err)
		}
		e.buf = append(buf, '\n')
		e.inMsg++
		e.events++
	}
	if e.inMsg > 0 {
		e.closeMsg()
	}
	// Slice the data only now: buf may have moved while it grew.
	start := 0
	for i, end := range e.ends {
		e.msgs[i].Data = e.buf[start:end:end]
		start = end
	}
	if err := e.env.Bus.Publish(ctx, e.msgs); err != nil {
		// Publishes still in flight may be retried from this batch's data:
		// never write over it.
		e.buf = nil
		return fmt.Errorf("source %s: %w", e.source, err)
	}
	e.env.Metrics.Published.WithLabelValues(e.source).Add(float64(e.events))
	return nil
}

// closeMsg ends the message being filled.
func (e *emitter) closeMsg() {
	e.msgs = append(e.msgs, bus.Message{Subject: e.subject, ID: bus.MessageID(e.firstID, e.inMsg)})
	e.ends = append(e.ends, len(e.buf))
	e.msgStart, e.inMsg = len(e.buf), 0
}
