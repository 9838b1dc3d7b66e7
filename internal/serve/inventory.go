package serve

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"time"
	"unicode"

	"github.com/vigilhq/vigil/internal/inventory"
	"github.com/vigilhq/vigil/internal/source"
	"github.com/vigilhq/vigil/internal/store"
)

// InventoryConfig is the inventory intake: hosts POST what 'vigil inventory'
// prints (CycloneDX JSON; SPDX JSON is read too) to /inventory, and the
// latest inventory per host is stored. Off unless a token is set.
type InventoryConfig struct {
	// Token or TokenFile authenticates senders ("Authorization: Bearer
	// TOKEN", or basic auth with TOKEN as the password).
	Token     string `yaml:"token"`
	TokenFile string `yaml:"token_file"`
	// MaxBody caps a request body (default 32MiB; a CycloneDX document of
	// 3,000 packages is about 1.5 MiB).
	MaxBody ByteSize `yaml:"max_body"`
}

// inventoryPath is where the intake listens.
const inventoryPath = "/inventory"

func (c *Config) checkInventory() error {
	ic := c.Inventory
	if ic.Token != "" && ic.TokenFile != "" {
		return errors.New("inventory: token and token_file are exclusive")
	}
	if ic.MaxBody < 0 {
		return errors.New("inventory.max_body: must not be negative")
	}
	if ic.Token == "" && ic.TokenFile == "" {
		return nil
	}
	for _, s := range c.Sources {
		if s.Type == "http" && s.Path == inventoryPath {
			return fmt.Errorf("source %q: path %s is the inventory intake's", s.Name, inventoryPath)
		}
	}
	return nil
}

// inventoryHandler returns the /inventory handler, or nil when no token is
// configured (the endpoint is then not served).
func inventoryHandler(c InventoryConfig, st store.Inventories, log *slog.Logger, now func() time.Time) (http.Handler, error) {
	token := c.Token
	if c.TokenFile != "" {
		b, err := os.ReadFile(c.TokenFile)
		if err != nil {
			return nil, fmt.Errorf("inventory.token_file: %w", err)
		}
		token = strings.TrimSpace(string(b))
		if token == "" {
			return nil, fmt.Errorf("inventory.token_file %s: empty", c.TokenFile)
		}
	}
	if token == "" {
		return nil, nil
	}
	maxBody := int64(c.MaxBody)
	if maxBody <= 0 {
		maxBody = 32 << 20
	}
	return &invIntake{token: []byte(token), maxBody: maxBody, st: st, log: log, now: now}, nil
}

// invIntake stores the inventories hosts POST. It answers 204 only once the
// inventory is stored; a sender that sees anything else keeps its copy and
// tries again on its next run.
type invIntake struct {
	token   []byte
	maxBody int64
	st      store.Inventories
	log     *slog.Logger
	now     func() time.Time
}

// ServeHTTP implements http.Handler.
func (h *invIntake) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if !source.AcceptPost(w, r, string(h.token)) {
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, h.maxBody))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			http.Error(w, fmt.Sprintf("body larger than %d bytes", h.maxBody), http.StatusRequestEntityTooLarge)
			return
		}
		http.Error(w, "cannot read body", http.StatusBadRequest)
		return
	}
	inv, err := parseInventory(body)
	if err != nil {
		h.log.Warn("inventory rejected", "from", r.RemoteAddr, "reason", err)
		http.Error(w, "inventory rejected: "+err.Error(), http.StatusBadRequest)
		return
	}
	rec := store.Inventory{Host: inv.Host, Taken: h.now().UTC(), Packages: make([]store.Package, 0, len(inv.Packages))}
	for _, p := range inv.Packages {
		rec.Packages = append(rec.Packages, store.Package{Name: p.Name, Version: p.Version, Ecosystem: p.Ecosystem,
			Source: p.Source, SourceVersion: p.SourceVersion, InstalledAt: p.InstalledAt})
	}
	ctx, cancel := context.WithTimeout(r.Context(), 30*time.Second)
	defer cancel()
	if err := h.st.PutInventory(ctx, rec); err != nil {
		h.log.Error("inventory not stored", "host", rec.Host, "err", err)
		http.Error(w, "not stored, try again", http.StatusServiceUnavailable)
		return
	}
	h.log.Info("inventory stored", "host", rec.Host, "packages", len(rec.Packages))
	w.WriteHeader(http.StatusNoContent)
}

// parseInventory reads a posted SBOM; the reason of an error is fit to send
// back to the sender.
func parseInventory(body []byte) (*inventory.Inventory, error) {
	f, _ := inventory.Detect(body[:min(len(body), 4096)]) // anything but the two JSON formats is refused below
	var inv *inventory.Inventory
	var err error
	switch f {
	case inventory.FormatCycloneDX:
		inv, err = inventory.ParseCycloneDX(body, "request body")
	case inventory.FormatSPDX:
		inv, err = inventory.ParseSPDX(body, "request body")
	default:
		return nil, errors.New("want a CycloneDX or SPDX JSON document, as 'vigil inventory' prints")
	}
	if err != nil {
		return nil, err
	}
	if err := checkHostName(inv.Host); err != nil {
		return nil, err
	}
	if len(inv.Packages) == 0 {
		return nil, fmt.Errorf("host %q: no OS packages in the document", inv.Host)
	}
	return inv, nil
}

func checkHostName(h string) error {
	if h == "" {
		return errors.New("the document names no host (vigil:host metadata property or a device component)")
	}
	if len(h) > 253 || strings.IndexFunc(h, func(r rune) bool { return unicode.IsControl(r) || unicode.IsSpace(r) || r == '/' }) >= 0 {
		return errors.New("the host name is longer than 253 bytes or holds spaces, control characters or '/'")
	}
	return nil
}
