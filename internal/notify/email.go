package notify

import (
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"strings"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"

	"github.com/vigilhq/vigil/internal/alert"
)

// Email sends each alert as a plain-text message over SMTP (PLAIN
// authentication over STARTTLS when Username is set).
type Email struct {
	Addr     string // host:port
	From     string
	To       []string
	Username string
	Password string
	// StartTLS requires STARTTLS even without a password (a local relay
	// without TLS is the only reason to leave it off).
	StartTLS bool
	// Now stamps the Date header; default time.Now.
	Now func() time.Time
}

// Name implements Notifier.
func (*Email) Name() string { return "email" }

// headerSafe drops line breaks so that alert text cannot add headers.
var headerSafe = strings.NewReplacer("\r", " ", "\n", " ")

// Message renders the alert as an RFC 5322 message.
func (e *Email) Message(a *alert.Alert) string {
	now := time.Now
	if e.Now != nil {
		now = e.Now
	}
	subject := fmt.Sprintf("[vigil %s] %s: %s", strings.ToUpper(a.Severity.String()), a.Rule, a.User)
	var b strings.Builder
	fmt.Fprintf(&b, "From: %s\r\n", headerSafe.Replace(e.From))
	fmt.Fprintf(&b, "To: %s\r\n", headerSafe.Replace(strings.Join(e.To, ", ")))
	fmt.Fprintf(&b, "Subject: %s\r\n", headerSafe.Replace(subject))
	fmt.Fprintf(&b, "Date: %s\r\n", now().UTC().Format(time.RFC1123Z))
	fmt.Fprintf(&b, "Message-ID: <%s.%d@vigil>\r\n", a.ID, now().UnixNano())
	b.WriteString("MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n")
	for _, line := range strings.Split(Text(a), "\n") {
		if strings.HasPrefix(line, ".") {
			line = "." + line
		}
		b.WriteString(line + "\r\n")
	}
	return b.String()
}

// Notify implements Notifier. With StartTLS or a Username it insists on
// STARTTLS: a password never crosses the network in the clear.
func (e *Email) Notify(ctx context.Context, a *alert.Alert) error {
	if len(e.To) == 0 {
		return fmt.Errorf("%w: email has no recipients", ErrDelivery)
	}
	var d net.Dialer
	d.Timeout = 30 * time.Second
	conn, err := d.DialContext(ctx, "tcp", e.Addr)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrDelivery, err)
	}
	var c *smtp.Client
	if e.StartTLS || e.Username != "" {
		host, _, _ := net.SplitHostPort(e.Addr)
		c, err = smtp.NewClientStartTLS(conn, &tls.Config{ServerName: host, MinVersion: tls.VersionTLS12})
		if err != nil {
			_ = conn.Close() // the STARTTLS error is the one to report
			return fmt.Errorf("%w: STARTTLS (required to send a password): %w", ErrDelivery, err)
		}
	} else {
		c = smtp.NewClient(conn)
	}
	defer func() { _ = c.Close() }() // after QUIT, or on failure: nothing more to report
	if e.Username != "" {
		if err := c.Auth(sasl.NewPlainClient("", e.Username, e.Password)); err != nil {
			return fmt.Errorf("%w: %w", ErrDelivery, err)
		}
	}
	if err := c.SendMail(e.From, e.To, strings.NewReader(e.Message(a))); err != nil {
		return fmt.Errorf("%w: %w", ErrDelivery, err)
	}
	if err := c.Quit(); err != nil {
		return fmt.Errorf("%w: %w", ErrDelivery, err)
	}
	return nil
}
