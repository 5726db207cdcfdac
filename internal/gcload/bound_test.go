package gcload

import (
	"math"
	"runtime"
	"runtime/debug"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestLimit: a run's memory limit is its live heap, the runtime's memory beside it and the
// headroom (a quarter of the live heap when that is more), at least minLimit.
func TestLimit(t *testing.T) {
	tests := []struct {
		name     string
		mem      memory
		headroom int64
		want     int64
	}{
		{"live, beside and headroom", memory{live: 200 << 20, beside: 50 << 20}, 128 << 20, 378 << 20},
		{"a large heap grows by a quarter", memory{live: 1 << 30}, 128 << 20, 1<<30 + 256<<20},
		{"a small run is not squeezed", memory{live: 1 << 20}, 0, minLimit},
		{"a negative headroom counts as none", memory{live: 300 << 20}, -5, 375 << 20},
		{"no overflow", memory{live: math.MaxUint64, beside: math.MaxUint64}, math.MaxInt64, 3 * (math.MaxInt64 / 4)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.want, limit(tc.mem, tc.headroom))
		})
	}
}

// TestBoundFollowsTheLiveHeap: the limit is set for what the run holds now, and again after
// every collection, so that a heap that grows (events held, correlation state) raises it
// and is never held below what it needs; once restored, collections leave it alone.
func TestBoundFollowsTheLiveHeap(t *testing.T) {
	prior := debug.SetMemoryLimit(-1)
	if prior != math.MaxInt64 {
		t.Skip("GOMEMLIMIT is set for the test process")
	}
	const headroom = 512 << 20 // well above minLimit, so the limit shows the live heap
	runtime.GC()
	restore := Bound(headroom)
	defer restore()
	before := debug.SetMemoryLimit(-1)
	assert.GreaterOrEqual(t, before, int64(headroom))
	assert.Less(t, before, int64(headroom+256<<20))

	held := make([]byte, 64<<20) // what the run now holds
	for i := range held {
		held[i] = byte(i)
	}
	require.Eventually(t, func() bool {
		runtime.GC()
		return debug.SetMemoryLimit(-1) >= before+48<<20
	}, 5*time.Second, 10*time.Millisecond, "the limit follows a live heap 64 MiB larger")
	runtime.KeepAlive(held)

	restore()
	assert.Equal(t, int64(math.MaxInt64), debug.SetMemoryLimit(-1))
	runtime.GC()
	runtime.GC()
	time.Sleep(50 * time.Millisecond) // a finalizer queued by them would have run
	assert.Equal(t, int64(math.MaxInt64), debug.SetMemoryLimit(-1), "restored: no longer followed")
}

// TestBoundKeepsTheUsersLimit: a limit set by GOMEMLIMIT is kept, whatever is collected.
func TestBoundKeepsTheUsersLimit(t *testing.T) {
	debug.SetMemoryLimit(1 << 30) // as GOMEMLIMIT=1GiB would
	defer debug.SetMemoryLimit(math.MaxInt64)
	restore := Bound(Headroom)
	runtime.GC()
	runtime.GC()
	time.Sleep(50 * time.Millisecond)
	assert.Equal(t, int64(1<<30), debug.SetMemoryLimit(-1), "the user's limit is kept")
	restore()
	assert.Equal(t, int64(1<<30), debug.SetMemoryLimit(-1))
}

// TestStream: a streaming process (Stream), and a batch (BoundAt), collect at Bound's limit,
// not at GOGC's doubling, unless GOGC asks for more; both settings come back.
func TestStream(t *testing.T) {
	if debug.SetMemoryLimit(-1) != math.MaxInt64 {
		t.Skip("GOMEMLIMIT is set for the test process")
	}
	for _, tc := range []struct {
		prior, percent int
		bound          func(int64) func()
	}{
		{100, StreamPercent, Stream}, {5000, StreamPercent, Stream}, {-1, StreamPercent, Stream},
		{100, BatchPercent, func(h int64) func() { return BoundAt(h, BatchPercent) }},
		{500, BatchPercent, func(h int64) func() { return BoundAt(h, BatchPercent) }},
	} {
		prior := tc.prior
		old := debug.SetGCPercent(prior)
		restore := tc.bound(Headroom)
		want := tc.percent
		if prior < 0 || prior > tc.percent {
			want = prior
		}
		assert.Equal(t, want, debug.SetGCPercent(want), "GOGC %d", prior)
		assert.Less(t, debug.SetMemoryLimit(-1), int64(math.MaxInt64), "a limit is set")
		restore()
		assert.Equal(t, prior, debug.SetGCPercent(old), "GOGC %d restored", prior)
		assert.Equal(t, int64(math.MaxInt64), debug.SetMemoryLimit(-1), "the limit is lifted")
	}
}
