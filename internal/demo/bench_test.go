package demo

import (
	"context"
	"testing"
)

// BenchmarkDemo is one 'vigil demo' with the defaults: clinic built,
// detection through serve's replay (with vigil's Sigma rules), exposure,
// posture, reports.
//
//	go test ./internal/demo -run '^$' -bench Demo -benchtime 3x -cpu 1
func BenchmarkDemo(b *testing.B) {
	for b.Loop() {
		if _, err := Run(context.Background(), Options{Dir: b.TempDir(), Seed: 1}); err != nil {
			b.Fatal(err)
		}
	}
}
