package runtime

import (
	"math/rand/v2"
	"strconv"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestValueIndex keeps a value index over a random window (matches enter at the back and
// leave at the front) and checks it against counting the window afresh after every step.
func TestValueIndex(t *testing.T) {
	keys := []string{"1\x00", "-7\x00", "2.5\x00", `"12"` + "\x00", `"bob"` + "\x00", "9007199254740993\x00", "40\x00"}
	for seed := range 50 {
		rng := rand.New(rand.NewPCG(uint64(seed), 1))
		x := newValueIndex(1)
		var window []string
		for step := range 400 {
			if len(window) > 0 && rng.IntN(3) == 0 {
				x.remove(window[0])
				window = window[1:]
			} else {
				k := keys[rng.IntN(len(keys)-seed%3)]
				x.add(k)
				window = append(window, k)
			}
			counts := map[string]int{}
			var sum int64
			ints, others := 0, 0
			for _, k := range window {
				counts[k]++
				if n, err := strconv.ParseInt(seriesValue(k), 10, 64); err == nil && n < maxExactInt {
					sum, ints = sum+n, ints+1
				} else if _, err := strconv.ParseFloat(seriesValue(k), 64); err == nil {
					others++
				}
			}
			least, most := 0, 0
			for _, c := range counts {
				if least == 0 || c < least {
					least = c
				}
				most = max(most, c)
			}
			gotLeast, gotMost, total := x.Counts()
			require.Equal(t, []int{len(counts), least, most, len(window)}, []int{x.Distinct(), gotLeast, gotMost, total}, "seed %d step %d", seed, step)
			s, n, exact := x.Numeric()
			require.Equal(t, others == 0, exact, "seed %d step %d", seed, step)
			if exact {
				require.Equal(t, float64(sum), s)
				require.Equal(t, ints, n)
			}
		}
	}
}
