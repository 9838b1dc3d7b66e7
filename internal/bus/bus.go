// Package bus carries events from sources to consumers on NATS JetStream. By
// default it starts an in-process NATS server with JetStream on local disk
// (no listening port unless one is configured); with a URL it uses an
// external NATS server or cluster instead, through the same code.
//
// Messages are published with a deduplication ID (Nats-Msg-Id) that the
// caller derives from the source's identity and position, so a replay after a
// crash adds nothing to the stream. Publish returns only once JetStream has
// acknowledged every message. Consumers are durable and acknowledge
// explicitly, after their work is done.
//
// The package must not parse, interpret or store events: it moves opaque bytes.
package bus

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// ErrClosed is returned by Publish and Consume once the bus is closed.
var ErrClosed = errors.New("bus: closed")

// Options configure Open. Zero fields take the defaults named.
type Options struct {
	// URL of an external NATS server ("nats://host:4222"); "" starts the
	// embedded server.
	URL string
	// Dir is where the embedded server keeps JetStream's files.
	Dir string
	// Listen is the embedded server's client address ("127.0.0.1:4222");
	// "" means it listens on no port at all.
	Listen string
	// SyncAlways makes the embedded server fsync every write before it
	// acknowledges it (vigil serve's default); without it, written data
	// survives a crash of vigil, and is fsynced every two minutes against
	// power loss.
	SyncAlways bool
	// Stream is the JetStream stream's name. Default "VIGIL_EVENTS".
	Stream string
	// Subject is the subject prefix; messages go to Subject.<source>.
	// Default "vigil.events".
	Subject string
	// MaxAge and MaxBytes bound the stream (0: unbounded); the oldest
	// messages are discarded first.
	MaxAge   time.Duration
	MaxBytes int64
	// Duplicates is how long JetStream remembers message IDs. Default 10m.
	Duplicates time.Duration
	// Logger receives the bus's own messages. Default: discard.
	Logger *slog.Logger
}

// Bus is a connection to the stream.
type Bus struct {
	opts   Options
	log    *slog.Logger
	ns     *server.Server
	nc     *nats.Conn
	js     jetstream.JetStream
	stream jetstream.Stream
}

// Open starts or connects to NATS and creates or updates the stream.
func Open(ctx context.Context, opts Options) (*Bus, error) {
	if opts.Stream == "" {
		opts.Stream = "VIGIL_EVENTS"
	}
	if opts.Subject == "" {
		opts.Subject = "vigil.events"
	}
	if opts.Duplicates == 0 {
		opts.Duplicates = 10 * time.Minute
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	b := &Bus{opts: opts, log: opts.Logger}
	var err error
	if opts.URL == "" {
		if err := b.startEmbedded(); err != nil {
			return nil, err
		}
		b.nc, err = nats.Connect("", nats.InProcessServer(b.ns), nats.Name("vigil"))
	} else {
		b.nc, err = nats.Connect(opts.URL, nats.Name("vigil"), nats.MaxReconnects(-1))
	}
	if err != nil {
		b.shutdown()
		return nil, fmt.Errorf("bus: connect: %w", err)
	}
	b.js, err = jetstream.New(b.nc, jetstream.WithPublishAsyncMaxPending(8192))
	if err != nil {
		b.shutdown()
		return nil, fmt.Errorf("bus: %w", err)
	}
	b.stream, err = b.js.CreateOrUpdateStream(ctx, jetstream.StreamConfig{
		Name:       opts.Stream,
		Subjects:   []string{opts.Subject + ".>"},
		Storage:    jetstream.FileStorage,
		Retention:  jetstream.LimitsPolicy,
		Discard:    jetstream.DiscardOld,
		MaxAge:     opts.MaxAge,
		MaxBytes:   orUnlimited(opts.MaxBytes),
		Duplicates: opts.Duplicates,
	})
	if err != nil {
		b.shutdown()
		return nil, fmt.Errorf("bus: stream %s: %w", opts.Stream, err)
	}
	return b, nil
}

func orUnlimited(n int64) int64 {
	if n <= 0 {
		return -1
	}
	return n
}

func (b *Bus) startEmbedded() error {
	if b.opts.Dir == "" {
		return errors.New("bus: embedded server needs a data directory")
	}
	so := &server.Options{
		ServerName: "vigil",
		JetStream:  true,
		StoreDir:   b.opts.Dir,
		NoSigs:     true,
		NoLog:      true,
		DontListen: b.opts.Listen == "",
		SyncAlways: b.opts.SyncAlways,
		// The embedded server serves one machine; cap its memory store and
		// let the disk store grow to what the stream's limits allow.
		JetStreamMaxMemory: 64 << 20,
		// A message is up to MaxRecordBytes of records plus one more
		// record, and one event from a line of up to parse.MaxLineBytes can
		// take more than NATS's default 1 MiB.
		MaxPayload: 8 << 20,
	}
	if b.opts.Listen != "" {
		host, port, err := splitHostPort(b.opts.Listen)
		if err != nil {
			return fmt.Errorf("bus: listen %q: %w", b.opts.Listen, err)
		}
		so.Host, so.Port = host, port
	}
	ns, err := server.NewServer(so)
	if err != nil {
		return fmt.Errorf("bus: embedded server: %w", err)
	}
	ns.Start()
	if !ns.ReadyForConnections(30 * time.Second) {
		ns.Shutdown()
		return errors.New("bus: embedded server did not start within 30s")
	}
	b.ns = ns
	return nil
}

// Subject returns the subject a source's messages go to.
func (b *Bus) Subject(source string) string { return b.opts.Subject + "." + source }

// Message is one message to publish.
type Message struct {
	// Subject is from Subject(source).
	Subject string
	// ID deduplicates: a message with an ID the stream has seen within the
	// Duplicates window is dropped.
	ID   string
	Data []byte
}

// Publish sends msgs and returns once JetStream has acknowledged all of them
// (duplicates included), or the first error.
func (b *Bus) Publish(ctx context.Context, msgs []Message) error {
	if len(msgs) == 0 {
		return nil
	}
	if b.nc.IsClosed() {
		return ErrClosed
	}
	futures := make([]jetstream.PubAckFuture, 0, len(msgs))
	for i := range msgs {
		m := &nats.Msg{Subject: msgs[i].Subject, Data: msgs[i].Data, Header: nats.Header{jetstream.MsgIDHeader: {msgs[i].ID}}}
		f, err := b.js.PublishMsgAsync(m)
		if err != nil {
			return fmt.Errorf("bus: publish: %w", err)
		}
		futures = append(futures, f)
	}
	for _, f := range futures {
		select {
		case <-f.Ok():
		case err := <-f.Err():
			return fmt.Errorf("bus: publish: %w", err)
		case <-ctx.Done():
			return fmt.Errorf("bus: publish: %w", ctx.Err())
		}
	}
	return nil
}

// Delivery is one message handed to a consumer.
type Delivery struct {
	ID      string
	Subject string
	Data    []byte
}

// Handler processes a batch of deliveries. Returning nil acknowledges the
// whole batch; an error leaves it unacknowledged, to be delivered again.
type Handler func(ctx context.Context, batch []Delivery) error

// ConsumeOptions configure Consume.
type ConsumeOptions struct {
	// Durable is the consumer's name; its position survives restarts.
	Durable string
	// Batch is the most messages per handler call. Default 1000.
	Batch int
	// Idle is how long to wait before asking again when nothing was
	// pending. Default 10ms.
	Idle time.Duration
	// AckWait is how long a delivered batch may go unacknowledged before
	// JetStream delivers it again. Default 30s.
	AckWait time.Duration
}

// Consume runs a durable consumer until ctx ends, calling h with batches in
// stream order. A handler error is returned (the batch stays unacknowledged).
func (b *Bus) Consume(ctx context.Context, o ConsumeOptions, h Handler) error {
	if o.Batch <= 0 {
		o.Batch = 1000
	}
	if o.Idle <= 0 {
		o.Idle = 10 * time.Millisecond
	}
	if o.AckWait <= 0 {
		o.AckWait = 30 * time.Second
	}
	cons, err := b.stream.CreateOrUpdateConsumer(ctx, jetstream.ConsumerConfig{
		Durable:       o.Durable,
		AckPolicy:     jetstream.AckExplicitPolicy,
		AckWait:       o.AckWait,
		DeliverPolicy: jetstream.DeliverAllPolicy,
		MaxAckPending: 4 * o.Batch,
	})
	if err != nil {
		return fmt.Errorf("bus: consumer %s: %w", o.Durable, err)
	}
	batch := make([]Delivery, 0, o.Batch)
	msgs := make([]jetstream.Msg, 0, o.Batch)
	for ctx.Err() == nil {
		// FetchNoWait returns what is there now (up to Batch) instead of
		// holding a pull open until a whole batch arrived; when nothing is
		// there, wait a little before asking again.
		mb, err := cons.FetchNoWait(o.Batch)
		if err != nil {
			if ctx.Err() != nil || errors.Is(err, nats.ErrConnectionClosed) {
				break
			}
			b.log.Warn("bus fetch failed; retrying", "consumer", o.Durable, "err", err)
			sleep(ctx, time.Second)
			continue
		}
		batch, msgs = batch[:0], msgs[:0]
		for m := range mb.Messages() {
			batch = append(batch, Delivery{ID: m.Headers().Get(jetstream.MsgIDHeader), Subject: m.Subject(), Data: m.Data()})
			msgs = append(msgs, m)
		}
		if err := mb.Error(); err != nil && !errors.Is(err, nats.ErrTimeout) && ctx.Err() == nil {
			b.log.Warn("bus fetch incomplete", "consumer", o.Durable, "err", err)
		}
		if len(msgs) == 0 {
			sleep(ctx, o.Idle)
			continue
		}
		if err := h(ctx, batch); err != nil {
			for _, m := range msgs {
				_ = m.Nak() // best effort: unacked messages come again after AckWait anyway
			}
			return err
		}
		// Ack even when ctx just ended (a drain): the work is done.
		actx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		err = ackAll(actx, msgs)
		cancel()
		if err != nil {
			b.log.Warn("bus ack failed; the batch will be delivered again", "consumer", o.Durable, "err", err)
		}
	}
	return nil
}

// ackAll acknowledges each message, waiting for the server to confirm the
// last one (acks on one connection are processed in order). The handler's
// work is durable already, so a lost ack only means the message comes again,
// and handlers are idempotent.
func ackAll(ctx context.Context, msgs []jetstream.Msg) error {
	for _, m := range msgs[:len(msgs)-1] {
		if err := m.Ack(); err != nil {
			return err
		}
	}
	return msgs[len(msgs)-1].DoubleAck(ctx)
}

func sleep(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}

// Lag returns how many messages the durable consumer has not yet had
// acknowledged (pending plus in flight).
func (b *Bus) Lag(ctx context.Context, durable string) (uint64, error) {
	c, err := b.stream.Consumer(ctx, durable)
	if err != nil {
		return 0, fmt.Errorf("bus: consumer %s: %w", durable, err)
	}
	info, err := c.Info(ctx)
	if err != nil {
		return 0, fmt.Errorf("bus: consumer %s: %w", durable, err)
	}
	return info.NumPending + uint64(max(info.NumAckPending, 0)), nil
}

// StreamInfo reports the stream's message count and bytes.
func (b *Bus) StreamInfo(ctx context.Context) (msgs, bytes uint64, err error) {
	info, err := b.stream.Info(ctx)
	if err != nil {
		return 0, 0, fmt.Errorf("bus: stream info: %w", err)
	}
	return info.State.Msgs, info.State.Bytes, nil
}

// DeleteConsumer removes a durable consumer: the next Consume with its name
// starts again from the stream's first message (a detection replay; tests
// use it to deliver everything again, as after a crash before any ack).
func (b *Bus) DeleteConsumer(ctx context.Context, durable string) error {
	if err := b.stream.DeleteConsumer(ctx, durable); err != nil {
		return fmt.Errorf("bus: delete consumer %s: %w", durable, err)
	}
	return nil
}

// DeleteStream removes the stream and its messages (tests use it on shared servers).
func (b *Bus) DeleteStream(ctx context.Context) error {
	if err := b.js.DeleteStream(ctx, b.opts.Stream); err != nil {
		return fmt.Errorf("bus: delete stream: %w", err)
	}
	return nil
}

// Close drains the connection and stops the embedded server.
func (b *Bus) Close() error {
	var err error
	if b.nc != nil && !b.nc.IsClosed() {
		err = b.nc.Drain()
		// Drain is asynchronous; wait for it so the server sees our acks.
		deadline := time.Now().Add(10 * time.Second)
		for !b.nc.IsClosed() && time.Now().Before(deadline) {
			time.Sleep(10 * time.Millisecond)
		}
	}
	b.shutdown()
	if err != nil {
		return fmt.Errorf("bus: close: %w", err)
	}
	return nil
}

func (b *Bus) shutdown() {
	if b.nc != nil {
		b.nc.Close()
	}
	if b.ns != nil {
		b.ns.Shutdown()
		b.ns.WaitForShutdown()
	}
}
