package detect

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/vigilhq/vigil/internal/store"
)

// BaselineKind is the kind under which StoreBaselines keeps the per-account
// baselines in the pipeline's store.
const BaselineKind = "detect"

// StoreBaselines keeps baselines in the pipeline's store (store.Baselines),
// one JSON blob per account, so that they survive restarts of vigil serve.
// Each call gets its own bounded context: the engine's interface has none.
type StoreBaselines struct {
	s       store.Baselines
	timeout time.Duration
}

var _ BatchBaselineStore = (*StoreBaselines)(nil)

// NewStoreBaselines returns a BaselineStore over s.
func NewStoreBaselines(s store.Baselines) *StoreBaselines {
	return &StoreBaselines{s: s, timeout: 30 * time.Second}
}

func (b *StoreBaselines) ctx() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), b.timeout)
}

// Load implements BaselineStore.
func (b *StoreBaselines) Load(account string) (*Baseline, error) {
	ctx, cancel := b.ctx()
	defer cancel()
	raw, err := b.s.Baseline(ctx, BaselineKind, account)
	if errors.Is(err, store.ErrNotFound) {
		return nil, fmt.Errorf("%w: %w", ErrNoBaseline, err)
	}
	if err != nil {
		return nil, fmt.Errorf("loading baseline: %w", err)
	}
	var bl Baseline
	if err := json.Unmarshal(raw, &bl); err != nil {
		return nil, fmt.Errorf("stored baseline: %w", err)
	}
	return &bl, nil
}

// Save implements BaselineStore.
func (b *StoreBaselines) Save(account string, bl *Baseline) error {
	raw, err := json.Marshal(bl)
	if err != nil {
		return err
	}
	ctx, cancel := b.ctx()
	defer cancel()
	return b.s.PutBaseline(ctx, BaselineKind, account, raw)
}

// SaveAll implements BatchBaselineStore: one write to the store.
func (b *StoreBaselines) SaveAll(bls map[string]*Baseline) error {
	blobs := make(map[string][]byte, len(bls))
	for acct, bl := range bls {
		raw, err := json.Marshal(bl)
		if err != nil {
			return err
		}
		blobs[acct] = raw
	}
	ctx, cancel := b.ctx()
	defer cancel()
	return b.s.PutBaselines(ctx, BaselineKind, blobs)
}

// List implements BaselineStore.
func (b *StoreBaselines) List() ([]string, error) {
	ctx, cancel := b.ctx()
	defer cancel()
	return b.s.BaselineAccounts(ctx, BaselineKind)
}
