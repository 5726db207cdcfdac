package gcload

import (
	"math"
	"runtime/debug"
	"testing"

	"github.com/stretchr/testify/assert"
)

// gcPercent reads the collector's target without changing it.
func gcPercent() int {
	p := debug.SetGCPercent(100)
	debug.SetGCPercent(p)
	return p
}

func TestRelax(t *testing.T) {
	tests := []struct {
		name        string
		gogc        int // the setting before the load
		wantLoading int
	}{
		{"the default is raised", 100, Percent},
		{"a lower GOGC is raised", 50, Percent},
		{"a higher GOGC is kept", 2000, 2000},
		{"a collector turned off stays off", -1, -1},
	}
	defer debug.SetGCPercent(debug.SetGCPercent(100))
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			debug.SetGCPercent(tc.gogc)
			restore := Relax()
			assert.Equal(t, tc.wantLoading, gcPercent(), "while loading")
			restore()
			assert.Equal(t, tc.gogc, gcPercent(), "after the load")
		})
	}
}

// TestRelaxOverlapping: loads that overlap restore the setting the first found once the
// last ends, not when the first does.
func TestRelaxOverlapping(t *testing.T) {
	defer debug.SetGCPercent(debug.SetGCPercent(100))
	first := Relax()
	second := Relax()
	first()
	assert.Equal(t, Percent, gcPercent(), "a load is still in progress")
	second()
	assert.Equal(t, 100, gcPercent())
}

// TestRelaxMemoryLimit: while plans load the heap is held near LoadLimit, so that a large
// artifact's parse garbage does not grow it ninefold at Percent; a limit already set
// (GOMEMLIMIT, or Bound's) is kept, and the prior one comes back after the load.
func TestRelaxMemoryLimit(t *testing.T) {
	prior := debug.SetMemoryLimit(-1)
	defer debug.SetMemoryLimit(prior)
	tests := []struct {
		name        string
		before      int64
		wantLoading int64
	}{
		{"no limit: LoadLimit", math.MaxInt64, LoadLimit},
		{"a limit set is kept", 1 << 30, 1 << 30},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			debug.SetMemoryLimit(tc.before)
			restore := Relax()
			assert.Equal(t, tc.wantLoading, debug.SetMemoryLimit(-1), "while loading")
			restore()
			assert.Equal(t, tc.before, debug.SetMemoryLimit(-1), "after the load")
		})
	}
}
