package runtime

import (
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/stixcel/stixcel/plan"
)

// TestEvictionSameForAnyWorkers runs random sorted AN1828 streams with a small group cap:
// which groups expire and which are evicted at the cap (and so the alerts and counts) must
// not depend on how the groups are spread over workers.
func TestEvictionSameForAnyWorkers(t *testing.T) {
	set := loadAN1828(t, nil)
	for seed := range uint64(40) {
		r := rand.New(rand.NewPCG(seed, 3))
		data := make([]byte, 4*(1100+r.IntN(400))) // past two group checks (every 512 events)
		for i := range data {
			data[i] = byte(r.IntN(256))
		}
		for i := 2; i < len(data); i += 4 {
			data[i] %= 90 // seconds between events: windows open and close along the stream
		}
		text := sortedText(streamOf(data, len(data)/4, 2+r.IntN(12)))
		want, wantStats := runCapped(t, set, 1, text)
		for workers := 2; workers <= 3; workers++ {
			got, stats := runCapped(t, set, workers, text)
			require.Equal(t, want, got, "seed %d, %d workers", seed, workers)
			require.Equal(t, wantStats, stats, "seed %d, %d workers", seed, workers)
		}
	}
}

// runCapped is runOrdered with at most two groups per plan.
func runCapped(t *testing.T, set *plan.Set, workers int, text string) (string, Stats) {
	t.Helper()
	return runOrdered(t, set, []Option{WithWorkers(workers), WithMaxGroups(2)}, text)
}
