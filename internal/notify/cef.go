package notify

import (
	"context"
	"fmt"
	"net"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/vigilhq/vigil/internal/alert"
)

// Syslog sends each alert as an RFC 5424 syslog message whose text is an
// ArcSight CEF record, over UDP or TCP (octet-counted framing, RFC 6587).
type Syslog struct {
	Network  string // udp (default) or tcp
	Addr     string
	Hostname string
	Version  string

	mu   sync.Mutex
	conn net.Conn
}

// Name implements Notifier.
func (*Syslog) Name() string { return "syslog" }

// cefSeverity maps severities onto CEF's 0–10.
func cefSeverity(s alert.Severity) int {
	switch s {
	case alert.Low:
		return 3
	case alert.Medium:
		return 5
	case alert.High:
		return 8
	case alert.Critical:
		return 10
	}
	return 0
}

var (
	cefHeader = strings.NewReplacer(`\`, `\\`, `|`, `\|`, "\n", " ", "\r", " ")
	cefValue  = strings.NewReplacer(`\`, `\\`, `=`, `\=`, "\n", `\n`, "\r", `\r`)
)

// CEF renders an alert as one CEF record.
func CEF(a *alert.Alert, version string) string {
	if version == "" {
		version = "dev"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "CEF:0|vigil|vigil|%s|%s|%s|%d|", cefHeader.Replace(version), cefHeader.Replace(a.Rule), cefHeader.Replace(a.Summary), cefSeverity(a.Severity))
	ext := [][2]string{
		{"rt", strconv.FormatInt(a.Time.UnixMilli(), 10)},
		{"start", strconv.FormatInt(a.FirstSeen.UnixMilli(), 10)},
		{"end", strconv.FormatInt(a.LastSeen.UnixMilli(), 10)},
		{"externalId", a.ID},
		{"dhost", a.Host},
		{"suser", a.User},
		{"src", a.SrcIP},
		{"cs1Label", "attack"}, {"cs1", strings.Join(a.Attack, ",")},
		{"cs2Label", "incident"}, {"cs2", a.Incident},
		{"cnt", strconv.Itoa(max(a.Evidence.Count, 1))},
		{"cs3Label", "findings"}, {"cs3", strings.Join(a.Evidence.Findings, "; ")},
	}
	sep := ""
	for _, kv := range ext {
		if kv[1] == "" {
			continue
		}
		b.WriteString(sep + kv[0] + "=" + cefValue.Replace(kv[1]))
		sep = " "
	}
	return b.String()
}

// Notify implements Notifier.
func (s *Syslog) Notify(ctx context.Context, a *alert.Alert) error {
	host := s.Hostname
	if host == "" {
		host = "-"
	}
	// <PRI>: facility security/auth (4) × 8 + severity (warning 4, error 3, critical 2).
	pri := 4*8 + 4
	switch a.Severity {
	case alert.High:
		pri = 4*8 + 3
	case alert.Critical:
		pri = 4*8 + 2
	}
	msg := fmt.Sprintf("<%d>1 %s %s vigil - alert - %s", pri, a.Time.UTC().Format(time.RFC3339Nano), host, CEF(a, s.Version))
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.conn == nil {
		network := s.Network
		if network == "" {
			network = "udp"
		}
		var d net.Dialer
		c, err := d.DialContext(ctx, network, s.Addr)
		if err != nil {
			return fmt.Errorf("%w: %w", ErrDelivery, err)
		}
		s.conn = c
	}
	frame := msg
	if s.Network == "tcp" {
		frame = strconv.Itoa(len(msg)) + " " + msg
	}
	if dl, ok := ctx.Deadline(); ok {
		_ = s.conn.SetWriteDeadline(dl) // best effort; the write reports a real failure
	}
	if _, err := s.conn.Write([]byte(frame)); err != nil {
		_ = s.conn.Close() // reconnect next time
		s.conn = nil
		return fmt.Errorf("%w: %w", ErrDelivery, err)
	}
	return nil
}

// Close closes the connection.
func (s *Syslog) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.conn == nil {
		return nil
	}
	err := s.conn.Close()
	s.conn = nil
	return err
}
