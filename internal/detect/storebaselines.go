package detect

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/vigilhq/vigil/internal/store"
)

// BaselineKind is the kind under which StoreBaselines keeps the per-account
// baselines in the pipeline's store.
const BaselineKind = "detect"

// StoreBaselines keeps baselines in the pipeline's store (store.Baselines),
// one JSON blob per account, so that they survive restarts of vigil serve.
// Each call gets its own bounded context: the engine's interface has none.
//
// StoreBaselines is meant to be the only writer of its kind in the store
// (one detection engine per store, as in vigil serve): once List has run, it
// knows every account that has a baseline (the listed ones and those it saved
// since), and Load answers ErrNoBaseline for any other account without asking
// the store. Every event about a new account would otherwise cost a query.
type StoreBaselines struct {
	s       store.Baselines
	timeout time.Duration

	mu     sync.Mutex
	listed bool            // known holds every account with a baseline
	known  map[string]bool // accounts listed or saved
}

var _ BatchBaselineStore = (*StoreBaselines)(nil)

// NewStoreBaselines returns a BaselineStore over s.
func NewStoreBaselines(s store.Baselines) *StoreBaselines {
	return &StoreBaselines{s: s, timeout: 30 * time.Second, known: map[string]bool{}}
}

// absent reports whether account is known to have no baseline.
func (b *StoreBaselines) absent(account string) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.listed && !b.known[account]
}

func (b *StoreBaselines) remember(accounts ...string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, a := range accounts {
		b.known[a] = true
	}
}

func (b *StoreBaselines) ctx() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), b.timeout)
}

// Load implements BaselineStore.
func (b *StoreBaselines) Load(account string) (*Baseline, error) {
	if b.absent(account) {
		return nil, fmt.Errorf("%w: %s", ErrNoBaseline, account)
	}
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
	if err := b.s.PutBaseline(ctx, BaselineKind, account, raw); err != nil {
		return err
	}
	b.remember(account)
	return nil
}

// SaveAll implements BatchBaselineStore: one write to the store.
func (b *StoreBaselines) SaveAll(bls map[string]*Baseline) error {
	blobs := make(map[string][]byte, len(bls))
	accts := make([]string, 0, len(bls))
	for acct, bl := range bls {
		accts = append(accts, acct)
		raw, err := json.Marshal(bl)
		if err != nil {
			return err
		}
		blobs[acct] = raw
	}
	ctx, cancel := b.ctx()
	defer cancel()
	if err := b.s.PutBaselines(ctx, BaselineKind, blobs); err != nil {
		return err
	}
	b.remember(accts...)
	return nil
}

// List implements BaselineStore.
func (b *StoreBaselines) List() ([]string, error) {
	ctx, cancel := b.ctx()
	defer cancel()
	accts, err := b.s.BaselineAccounts(ctx, BaselineKind)
	if err != nil {
		return nil, err
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, a := range accts {
		b.known[a] = true
	}
	b.listed = true
	return accts, nil
}
