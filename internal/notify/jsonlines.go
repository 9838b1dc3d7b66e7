package notify

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"sync"

	"github.com/vigilhq/vigil/internal/alert"
)

// JSONLines writes each alert as one JSON line (stdout by default).
type JSONLines struct {
	mu  sync.Mutex
	enc *json.Encoder
}

// NewJSONLines writes to w.
func NewJSONLines(w io.Writer) *JSONLines {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	return &JSONLines{enc: enc}
}

// Name implements Notifier.
func (*JSONLines) Name() string { return "stdout" }

// Notify implements Notifier.
func (j *JSONLines) Notify(_ context.Context, a *alert.Alert) error {
	j.mu.Lock()
	defer j.mu.Unlock()
	if err := j.enc.Encode(a); err != nil {
		return fmt.Errorf("%w: %w", ErrDelivery, err)
	}
	return nil
}
