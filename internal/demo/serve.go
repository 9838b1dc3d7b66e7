package demo

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/vigilhq/vigil/internal/alert"
	"github.com/vigilhq/vigil/internal/serve"
	"github.com/vigilhq/vigil/internal/store"
	"github.com/vigilhq/vigil/internal/store/sqlite"
)

// Serve is 'vigil serve”s machinery, replayed: it writes a serve
// configuration into the clinic's directory (ConfigFile: a file source on
// the logs, data in DataDir, the embedded NATS JetStream bus, the SQLite
// store, live detection with the clinic's GeoIP databases and a learning
// period) and runs serve.Run in-process in replay mode (serve.Options.Once):
// the file source reads the log to its end, every event goes over the bus
// into the store and through the detection consumer, which stores its
// alerts and incidents; at the end detection ends the sessions still open.
// The alerts and incidents are then read back from the SQLite store.
//
// Why one merged log: serve's detection consumer runs events in the order
// they reach the bus. Tailing live logs, lines reach it as they are written,
// in time order whatever file they are in. Replaying old files, a source
// reads one file to its end before the next (and separate sources read
// theirs concurrently), so Postfix's and Roundcube's lines of July would
// come after Dovecot's of August: sliding windows and sessions would see
// time jump back, and the results would vary from run to run. The demo
// replays one log with every line in time order (the generator's order,
// which is what the batch path's merge gives) and so gets the same alerts
// every run; exposure still reads the three logs a Debian server keeps.
type Serve struct {
	Logger *slog.Logger
}

// ConfigFile and DataDir are where Serve keeps its configuration and its
// data (the SQLite database, the bus's files) in the clinic's directory.
const (
	ConfigFile = "vigil.yaml"
	DataDir    = "data"
)

// Detection is what Serve found.
type Detection struct {
	Lines  int64 // log lines read
	Events int64 // events run through detection
	// Stored is how many events the store holds.
	Stored    int64
	Alerts    []*alert.Alert
	Incidents []*alert.Incident
	// Config and Database are the serve configuration the run used and its
	// SQLite store.
	Config, Database string
}

// learnDays is how many days at the logs' start only teach the baselines,
// as 'vigil learn' does on a new install's old logs.
const learnDays = 14

// LearnUntil is the end of the logs' learning period: midnight after their
// first learnDays days.
func (c *Clinic) LearnUntil() time.Time { return c.Start.AddDate(0, 0, learnDays) }

// Describe says in plain words what ran, for the story: never claim a
// machinery that did not run.
func (Serve) Describe() string {
	return "the machinery of 'vigil serve', fast-forwarded on the logs' own time: its file source read the logs (merged in time order), " +
		"every event went over the embedded NATS JetStream bus into the SQLite store and through live detection, which stored its alerts and incidents there " +
		"(the logs' first two weeks only taught it the clinic's normal, detect.learn_until); the story reads them back from the store"
}

// Config returns the serve configuration Serve writes for c, as YAML with
// comments, the format 'vigil serve --config' reads.
func Config(c *Clinic) []byte {
	q := strconv.Quote
	return fmt.Appendf(nil, `# vigil serve configuration, written by 'vigil demo' for its synthetic clinic.
# The demo ran it once as a replay; run it again with
#   vigil serve --config %[1]s
# (it goes on from where the replay stopped: lines added to the log are
# detected live) and check it with 'vigil config check %[1]s'.
data_dir: %[2]s                # the SQLite store (vigil.db) and the bus's files
http:
  listen: 127.0.0.1:0          # any free port on loopback; vigil logs the one it got
bus: {}                        # the embedded NATS JetStream server (no bus.url)
store:
  driver: sqlite
  retention:
    max_age: 0s                # keep every event: the clinic's logs are from %[3]d, older than the default 400d
sources:
  # One log with every line in time order: see internal/demo/serve.go.
  - name: clinic
    type: file
    paths: [%[4]s]
    timezone: UTC              # the logs' timestamps without a zone are UTC
detect:
  geoip_country: %[5]s
  geoip_asn: %[6]s
  learn_until: %[7]s   # the logs' first %[8]d days only teach the clinic's normal
log:
  level: info                  # vigil serve logs its HTTP address at info
`, q(filepath.Join(c.Dir, ConfigFile)), q(filepath.Join(c.Dir, DataDir)), c.Start.Year(), q(c.Merged),
		q(c.GeoIP[0]), q(c.GeoIP[1]), c.LearnUntil().Format(time.RFC3339), learnDays)
}

// Detect runs detection over the clinic's logs on their own time and
// returns what it raised.
func (p Serve) Detect(ctx context.Context, c *Clinic) (*Detection, error) {
	log := p.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	path := filepath.Join(c.Dir, ConfigFile)
	if err := os.WriteFile(path, Config(c), 0o600); err != nil {
		return nil, fmt.Errorf("demo: %w", err)
	}
	cfg, err := serve.LoadConfig(path)
	if err != nil {
		return nil, fmt.Errorf("demo: the serve configuration it wrote: %w", err)
	}
	reg := prometheus.NewRegistry()
	if err := serve.Run(ctx, cfg, serve.Options{Logger: log, Once: true, Metrics: reg, Stdout: io.Discard, Stdin: eofReader{}}); err != nil {
		return nil, fmt.Errorf("demo: vigil serve: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	fig, err := figures(reg)
	if err != nil {
		return nil, err
	}
	lines := fig.lines["parsed"] + fig.lines["ignored"] + fig.lines["unparsed"] + fig.lines["too_long"]
	switch {
	case fig.lines["unparsed"]+fig.lines["too_long"] > 0:
		return nil, fmt.Errorf("demo: vigil serve did not understand %d generated log lines (see its metrics)", fig.lines["unparsed"]+fig.lines["too_long"])
	case lines != int64(c.LogLines):
		return nil, fmt.Errorf("demo: vigil serve read %d of the log's %d lines", lines, c.LogLines)
	case fig.published != fig.lines["parsed"] || fig.detected != fig.published:
		return nil, fmt.Errorf("demo: vigil serve parsed %d events, published %d, ran %d through detection", fig.lines["parsed"], fig.published, fig.detected)
	}
	d := &Detection{Lines: lines, Events: fig.detected, Config: path, Database: filepath.Join(cfg.DataDir, "vigil.db")}
	if err := d.readStore(ctx); err != nil {
		return nil, err
	}
	if d.Stored != fig.published {
		return nil, fmt.Errorf("demo: the store holds %d events, vigil serve published %d", d.Stored, fig.published)
	}
	return d, nil
}

// readStore reads the alerts and incidents detection stored, and counts
// the stored events.
func (d *Detection) readStore(ctx context.Context) (err error) {
	st, err := sqlite.Open(ctx, sqlite.Options{Path: d.Database})
	if err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	defer func() {
		if cerr := st.Close(); cerr != nil && err == nil {
			err = fmt.Errorf("demo: %w", cerr)
		}
	}()
	if d.Stored, err = st.CountEvents(ctx); err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	as, err := st.QueryAlerts(ctx, store.AlertQuery{})
	if err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	for _, sa := range as {
		a := new(alert.Alert)
		if err := json.Unmarshal(sa.Data, a); err != nil {
			return fmt.Errorf("demo: stored alert %s: %w", sa.ID, err)
		}
		d.Alerts = append(d.Alerts, a)
	}
	is, err := st.ListIncidents(ctx, "")
	if err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	for _, si := range is {
		in := new(alert.Incident)
		if err := json.Unmarshal(si.Data, in); err != nil {
			return fmt.Errorf("demo: stored incident %s: %w", si.ID, err)
		}
		d.Incidents = append(d.Incidents, in)
	}
	sort.Slice(d.Incidents, func(i, j int) bool {
		a, b := d.Incidents[i], d.Incidents[j]
		if !a.FirstSeen.Equal(b.FirstSeen) {
			return a.FirstSeen.Before(b.FirstSeen)
		}
		return a.ID < b.ID
	})
	return nil
}

// serveFigures are the counters a replay leaves in serve's metrics.
type serveFigures struct {
	lines               map[string]int64 // by result: parsed, ignored, unparsed, too_long
	published, detected int64
}

func figures(reg *prometheus.Registry) (serveFigures, error) {
	f := serveFigures{lines: map[string]int64{}}
	mfs, err := reg.Gather()
	if err != nil {
		return f, fmt.Errorf("demo: vigil serve's metrics: %w", err)
	}
	for _, mf := range mfs {
		for _, m := range mf.GetMetric() {
			v := int64(m.GetCounter().GetValue())
			switch mf.GetName() {
			case "vigil_source_lines_total":
				for _, l := range m.GetLabel() {
					if l.GetName() == "result" {
						f.lines[l.GetValue()] += v
					}
				}
			case "vigil_source_events_published_total":
				f.published += v
			case "vigil_detect_events_total":
				f.detected += v
			}
		}
	}
	return f, nil
}

// eofReader is an empty standard input: the demo's configuration has no
// stdin source, and serve must never read the terminal's.
type eofReader struct{}

func (eofReader) Read([]byte) (int, error) { return 0, io.EOF }
