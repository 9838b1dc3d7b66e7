package detect

import (
	"fmt"
	"net/netip"
	"time"

	"github.com/vigilhq/vigil/internal/alert"
	"github.com/vigilhq/vigil/internal/event"
)

// Bulk sending: an authenticated account whose submitted mail reaches
// bulkRecipients recipients within bulkWindow (one message to many, or many
// messages to a few each) — a stolen account sending phishing. Postfix names
// the account on the submission line (client=…, sasl_username=…) and the
// recipient count on the queue manager's line (nrcpt=…); the queue id joins
// them.
const (
	bulkRecipients = 50
	bulkWindow     = time.Hour
)

type bulkSender struct {
	queue map[string]submission // queue id → who submitted it
	sent  map[string]*recipients
}

type submission struct {
	user string
	src  netip.Addr
	at   time.Time
}

type recipients struct {
	first, last time.Time
	n           int64
	queueIDs    []string
}

func newBulkSender() *bulkSender {
	return &bulkSender{queue: map[string]submission{}, sent: map[string]*recipients{}}
}

func (*bulkSender) Name() string { return "bulk-sending" }

func (d *bulkSender) Mail(c Ctx, ev *event.Event) {
	if ev.QueueID == "" {
		return
	}
	switch ev.Activity {
	case event.EmailSend:
		if ev.User != "" && ev.Status == event.Success {
			d.queue[ev.QueueID] = submission{user: ev.User, src: ev.Src.IP.Unmap(), at: ev.Time}
		}
	case event.EmailTrace:
		sub, ok := d.queue[ev.QueueID]
		if !ok || ev.Counts.Recipients == 0 {
			return
		}
		delete(d.queue, ev.QueueID)
		r := d.sent[sub.user]
		if r == nil || ev.Time.Sub(r.first) > bulkWindow {
			r = &recipients{first: ev.Time}
			d.sent[sub.user] = r
		}
		r.last = ev.Time
		before := r.n
		r.n += ev.Counts.Recipients
		if len(r.queueIDs) < 20 {
			r.queueIDs = append(r.queueIDs, ev.QueueID)
		}
		if before >= bulkRecipients || r.n < bulkRecipients {
			return
		}
		b := c.Baseline(sub.user)
		sev := alert.High
		note := ""
		if c.Mature(b) && sub.src.IsValid() && !b.HasNet(sub.src) {
			sev, note = alert.Critical, ", a network this account never used"
		}
		c.Raise(&alert.Alert{
			Time: ev.Time, Rule: "bulk-sending", Severity: sev, User: sub.user, SrcIP: ipString(sub.src),
			Attack: []string{"T1534", "T1566"}, FirstSeen: r.first, LastSeen: r.last,
			Summary: fmt.Sprintf("%s sent mail to %d recipients within %s, submitted from %s%s: a stolen account sending phishing, or a mailing sent by hand.",
				sub.user, r.n, bulkWindow, ipString(sub.src), note),
			Evidence: alert.Evidence{Count: int(r.n), Events: refs(ref(ev))},
		}, "", nil)
	}
}

func (d *bulkSender) Sweep(now time.Time) {
	for id, s := range d.queue {
		if now.Sub(s.at) > 24*time.Hour {
			delete(d.queue, id)
		}
	}
	for u, r := range d.sent {
		if now.Sub(r.last) > bulkWindow {
			delete(d.sent, u)
		}
	}
}
