package gcload

import (
	"math"
	"runtime"
	"runtime/debug"
)

// Bound tells the collector how much memory a run may use: twice the heap live once its
// plans are loaded (the engine and what it allocates per event), plus budget, the bytes the
// run's own limits allow it to hold (--max-held, --max-state, the read-ahead). Without it,
// the collector lets the heap grow to twice what is live (GOGC=100): a run holding its
// budgets of 15 MiB events peaked near 1 GiB with half of it garbage. It is a soft limit:
// past it the collector works harder, it never fails an allocation. A limit already set
// (GOMEMLIMIT) is left as it is. The returned function puts the previous limit back.
func Bound(budget int64) (restore func()) {
	prior := debug.SetMemoryLimit(-1)
	if prior != math.MaxInt64 {
		return func() {}
	}
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	debug.SetMemoryLimit(limit(ms.HeapAlloc, budget))
	return func() { debug.SetMemoryLimit(prior) }
}

// limit is Bound's limit for a heap of live bytes and a budget, at least minLimit.
func limit(live uint64, budget int64) int64 {
	l := 2*int64(min(live, math.MaxInt64/4)) + max(budget, 0)
	return max(l, minLimit)
}

// minLimit keeps a small run clear of the limit whatever it loaded.
const minLimit = 256 << 20
