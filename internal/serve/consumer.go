package serve

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/valyala/fastjson"

	"github.com/vigilhq/vigil/internal/bus"
	"github.com/vigilhq/vigil/internal/store"
)

type metrics struct {
	stored     prometheus.Counter
	dupes      prometheus.Counter
	bad        prometheus.Counter
	writeSecs  prometheus.Histogram
	pruned     prometheus.Counter
	now        func() time.Time
	mu         sync.Mutex
	rateWindow []ratePoint
}

type ratePoint struct {
	t time.Time
	n int
}

func newMetrics(reg prometheus.Registerer, b *bus.Bus, now func() time.Time) *metrics {
	m := &metrics{
		stored: prometheus.NewCounter(prometheus.CounterOpts{Name: "vigil_store_events_total", Help: "Events written to the store (new ones)."}),
		dupes:  prometheus.NewCounter(prometheus.CounterOpts{Name: "vigil_store_events_duplicate_total", Help: "Redelivered events the store already had."}),
		bad:    prometheus.NewCounter(prometheus.CounterOpts{Name: "vigil_store_events_bad_total", Help: "Bus messages that were not events (skipped)."}),
		writeSecs: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "vigil_store_write_seconds", Help: "Latency of one batch write to the store.",
			Buckets: prometheus.ExponentialBuckets(0.0005, 2, 14)}),
		pruned: prometheus.NewCounter(prometheus.CounterOpts{Name: "vigil_store_events_pruned_total", Help: "Events removed by retention."}),
		now:    now,
	}
	lag := prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "vigil_bus_lag_messages", Help: "Messages on the bus the store consumer has not yet stored."},
		func() float64 {
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			defer cancel()
			n, err := b.Lag(ctx, storeDurable)
			if err != nil {
				return -1
			}
			return float64(n)
		})
	rate := prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "vigil_store_events_per_second", Help: "Events stored per second over the last 10 seconds."},
		m.eventsPerSecond)
	reg.MustRegister(m.stored, m.dupes, m.bad, m.writeSecs, m.pruned, lag, rate)
	return m
}

const rateSpan = 10 * time.Second

func (m *metrics) record(n int) {
	m.mu.Lock()
	defer m.mu.Unlock()
	now := m.now()
	m.rateWindow = append(m.rateWindow, ratePoint{now, n})
	for len(m.rateWindow) > 0 && now.Sub(m.rateWindow[0].t) > rateSpan {
		m.rateWindow = m.rateWindow[1:]
	}
}

func (m *metrics) eventsPerSecond() float64 {
	m.mu.Lock()
	defer m.mu.Unlock()
	now := m.now()
	total := 0
	for _, p := range m.rateWindow {
		if now.Sub(p.t) <= rateSpan {
			total += p.n
		}
	}
	return float64(total) / rateSpan.Seconds()
}

// storeHandler writes a batch of bus messages to the store: the columns an
// evidence lookup filters on are read from the event JSON without decoding
// all of it.
func (m *metrics) storeHandler(st store.Events, log *slog.Logger) bus.Handler {
	var p fastjson.Parser
	evs := make([]store.Event, 0, 2000)
	return func(ctx context.Context, batch []bus.Delivery) error {
		evs = evs[:0]
		for _, d := range batch {
			err := bus.Records(d.Data, func(id string, data []byte) error {
				v, err := p.ParseBytes(data)
				if err != nil {
					m.bad.Inc()
					log.Warn("bus record is not an event; skipped", "subject", d.Subject, "id", id)
					return nil
				}
				t, err := time.Parse(time.RFC3339Nano, string(v.GetStringBytes("time")))
				if err != nil {
					t = time.Time{}
				}
				evs = append(evs, store.Event{
					ID:      id,
					Time:    t,
					Account: string(v.GetStringBytes("user", "name")),
					Source:  string(v.GetStringBytes("metadata", "log_name")),
					Class:   v.GetInt("class_uid"),
					Data:    data,
				})
				return nil
			})
			if err != nil {
				m.bad.Inc()
				log.Warn("bus message is not a run of event records; the rest of it is skipped", "subject", d.Subject, "id", d.ID, "err", err)
			}
		}
		start := time.Now()
		n, err := st.AppendEvents(ctx, evs)
		if err != nil {
			return fmt.Errorf("store consumer: %w", err)
		}
		m.writeSecs.Observe(time.Since(start).Seconds())
		m.stored.Add(float64(n))
		m.dupes.Add(float64(len(evs) - n))
		m.record(n)
		return nil
	}
}

// retention prunes stored events by age and count every interval, first at start.
func retention(ctx context.Context, r RetentionConfig, every time.Duration, st store.Events, log *slog.Logger, now func() time.Time, pruned prometheus.Counter) {
	if r.MaxAge == 0 && r.MaxEvents == 0 {
		return
	}
	tick := time.NewTicker(every)
	defer tick.Stop()
	for {
		var before time.Time
		if r.MaxAge > 0 {
			before = now().Add(-time.Duration(r.MaxAge))
		}
		n, err := st.PruneEvents(ctx, before, r.MaxEvents)
		if err != nil && ctx.Err() == nil {
			log.Warn("retention: pruning events failed", "err", err)
		} else if n > 0 {
			pruned.Add(float64(n))
			log.Info("retention: pruned events", "count", n)
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}
