package notify

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/vigilhq/vigil/internal/alert"
)

// Webhook POSTs each alert to a URL: Format "json" sends the alert itself;
// "slack" and "teams" send {"text": …}, which Slack's and Teams' incoming
// webhooks (and Mattermost's, Rocket.Chat's) show as a message.
type Webhook struct {
	URL    string
	Format string
	Client *http.Client
}

// Name implements Notifier.
func (w *Webhook) Name() string { return "webhook" }

// Notify implements Notifier.
func (w *Webhook) Notify(ctx context.Context, a *alert.Alert) error {
	var body []byte
	var err error
	switch w.Format {
	case "", "json":
		body, err = json.Marshal(a)
	case "slack", "teams", "text":
		body, err = json.Marshal(map[string]string{"text": Text(a)})
	default:
		return fmt.Errorf("%w: webhook format %q (want json, slack or teams)", ErrDelivery, w.Format)
	}
	if err != nil {
		return fmt.Errorf("%w: %w", ErrDelivery, err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, w.URL, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("%w: %w", ErrDelivery, err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "vigil")
	c := w.Client
	if c == nil {
		c = &http.Client{Timeout: 10 * time.Second}
	}
	resp, err := c.Do(req)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrDelivery, err)
	}
	defer func() { _ = resp.Body.Close() }() // the status is what matters
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("%w: webhook answered %s", ErrDelivery, resp.Status)
	}
	return nil
}
