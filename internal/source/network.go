package source

import (
	"context"
	"strconv"
	"time"
)

// queue batches lines from many receivers (UDP packets, TCP connections,
// HTTP requests) into one emitter. A line's ID is the source's name, the
// receiver's start time and a sequence number: network input has no position
// to replay from, so the ID only has to be unique.
type queue struct {
	em      *emitter
	batch   int
	in      chan queued
	boot    string
	seq     uint64
	stopped chan struct{}
	err     error
}

type queued struct {
	text    []byte
	logName string
	// done, when set, receives the publish result of the batch holding the line.
	done chan<- error
}

func newQueue(em *emitter, batch int, now time.Time) *queue {
	return &queue{em: em, batch: batch, in: make(chan queued, 4*batch), boot: strconv.FormatInt(now.UnixNano(), 36),
		stopped: make(chan struct{})}
}

// run publishes queued lines until ctx ends and the queue is drained by close.
func (q *queue) run(ctx context.Context) {
	defer close(q.stopped)
	lines := make([]Line, 0, q.batch)
	var waiters []chan<- error
	flush := func() bool {
		if len(lines) == 0 {
			return true
		}
		// Publish even while shutting down: these lines were received.
		err := q.em.emit(context.WithoutCancel(ctx), lines)
		for _, w := range waiters {
			w <- err
		}
		lines, waiters = lines[:0], waiters[:0]
		if err != nil {
			q.em.env.Logger.Error("publishing received lines failed", "source", q.em.source, "err", err)
			q.err = err
			return false
		}
		return true
	}
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case l, ok := <-q.in:
			if !ok {
				flush()
				return
			}
			q.seq++
			lines = append(lines, Line{ID: q.em.source + ":" + q.boot + ":" + strconv.FormatUint(q.seq, 10), Text: l.text, LogName: l.logName, LogLine: int64(q.seq & (1<<63 - 1))})
			if l.done != nil {
				waiters = append(waiters, l.done)
			}
			if len(lines) >= q.batch && !flush() {
				q.drainFailed()
				return
			}
		case <-tick.C:
			if !flush() {
				q.drainFailed()
				return
			}
		}
	}
}

// drainFailed answers waiters after a failed publish so no sender blocks.
func (q *queue) drainFailed() {
	for l := range q.in {
		if l.done != nil {
			l.done <- q.err
		}
	}
}

// put queues a line; it blocks when the queue is full (back-pressure).
func (q *queue) put(ctx context.Context, l queued) bool {
	select {
	case q.in <- l:
		return true
	case <-ctx.Done():
		return false
	}
}
