package gcload

import (
	"math"
	"runtime/debug"
	"testing"

	"github.com/stretchr/testify/assert"
)

// TestBound: a run's memory limit is twice the loaded heap plus its budgets, at least
// minLimit; a limit the user set (GOMEMLIMIT) is kept, and restore puts the previous one back.
func TestBound(t *testing.T) {
	assert.Equal(t, int64(2*100<<20+544<<20), limit(100<<20, 544<<20))
	assert.Equal(t, int64(minLimit), limit(1<<20, 0), "a small run is not squeezed")
	assert.Equal(t, int64(minLimit), limit(0, -5), "a negative budget counts as none")

	prior := debug.SetMemoryLimit(-1)
	if prior != math.MaxInt64 {
		t.Skip("GOMEMLIMIT is set for the test process")
	}
	restore := Bound(544 << 20)
	set := debug.SetMemoryLimit(-1)
	assert.GreaterOrEqual(t, set, int64(544<<20))
	assert.Less(t, set, int64(math.MaxInt64))
	restore()
	assert.Equal(t, int64(math.MaxInt64), debug.SetMemoryLimit(-1))

	debug.SetMemoryLimit(1 << 30) // as GOMEMLIMIT=1GiB would
	defer debug.SetMemoryLimit(math.MaxInt64)
	Bound(544 << 20)()
	assert.Equal(t, int64(1<<30), debug.SetMemoryLimit(-1), "the user's limit is kept")
}
