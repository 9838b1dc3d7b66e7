package detect

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"
)

// TestDistinctMatchesFullScan checks the pruning shortcut against the plain
// definition (every key seen within w of the newest add, scanned in full) on
// times that mostly advance and sometimes step back, as log lines do.
func TestDistinctMatchesFullScan(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2)) //nolint:gosec // G404: a fixed, reproducible test sequence, nothing secret
	const w = time.Hour
	t0 := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	d := newDistinct()
	ref := map[string]time.Time{}
	at := t0
	for i := range 20000 {
		at = at.Add(time.Duration(rng.IntN(40)-8) * time.Second)
		k := fmt.Sprintf("k%d", rng.IntN(300))
		ref[k] = at
		for rk, rt := range ref {
			if at.Sub(rt) > w {
				delete(ref, rk)
			}
		}
		if n := d.add(k, at, w); n != len(ref) {
			t.Fatalf("add %d (%s at %s): %d keys, want %d", i, k, at.Format(time.TimeOnly), n, len(ref))
		}
	}
	later := at.Add(50 * time.Minute)
	d.prune(later, w)
	for rk, rt := range ref {
		if later.Sub(rt) > w {
			delete(ref, rk)
		}
	}
	if d.len() != len(ref) {
		t.Fatalf("prune: %d keys, want %d", d.len(), len(ref))
	}
}
