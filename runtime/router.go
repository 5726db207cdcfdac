package runtime

import (
	"github.com/stixcel/stixcel/event"
)

// router decides, for an evaluator of a worker pool, which worker owns a plan's match of the
// current event: for a plan with a condition the worker its (plan, group key) pair hashes to,
// so that one worker holds each group; for a plan without one (or whose channels read the
// group from fields of their own) the plan index modulo workers, whatever the event.
type router struct {
	n int // workers

	// group key hashes of the current event, per distinct group_by list
	groupSigs [][]int
	sigClock  []int64
	sigHash   []uint64
	keyBuf    []byte
}

func newRouter(workers int, groupSigs [][]int) *router {
	r := &router{
		n:         workers,
		groupSigs: groupSigs,
		sigClock:  make([]int64, len(groupSigs)),
		sigHash:   make([]uint64, len(groupSigs)),
	}
	for i := range r.sigClock {
		r.sigClock[i] = -1
	}
	return r
}

// owner returns the worker that dispatches cp's matches of the event v shows, whose number
// in the stream is clock.
func (r *router) owner(cp *compiledPlan, v *event.FieldView, clock int64) int {
	if cp.condition == nil || cp.mixedGroups {
		// without a condition nothing is grouped; with mixed groups which group an event
		// joins depends on the channel it matches
		return cp.index % r.n
	}
	h := r.groupHash(cp.groupSig, v, clock) ^ (uint64(cp.index) * 0x9e3779b97f4a7c15)
	return int(h % uint64(r.n))
}

// groupHash hashes the event's group key for one group_by list, once per event.
func (r *router) groupHash(sig int, v *event.FieldView, clock int64) uint64 {
	if r.sigClock[sig] == clock {
		return r.sigHash[sig]
	}
	r.keyBuf = appendGroupKey(r.keyBuf[:0], v, r.groupSigs[sig])
	h := fnv1a(r.keyBuf)
	r.sigClock[sig], r.sigHash[sig] = clock, h
	return h
}

// fnv1a hashes b the same way in every run.
func fnv1a(b []byte) uint64 {
	h := uint64(14695981039346656037)
	for _, c := range b {
		h ^= uint64(c)
		h *= 1099511628211
	}
	return h
}
