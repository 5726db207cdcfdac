package runtime

import (
	"github.com/stixcel/stixcel/event"
)

// router routes the events of a worker pool once, before they are sharded: it finds the
// channels each event reaches and, for each plan with a condition among them, the worker
// that owns the event's (plan, group key) pair, so that workers only evaluate. (A plan
// without a condition is owned by one worker whatever the event: plan index modulo workers.) It runs on the goroutine that calls Process, while the workers run the previous
// batch.
type router struct {
	index *routeIndex
	view  *event.FieldView
	n     int // workers
	clock int64

	// group key hashes of the current event, per distinct group_by list
	groupSigs [][]int
	sigClock  []int64
	sigHash   []uint64
	keyBuf    []byte
}

// routedEvent is an event of a batch with its routes decided.
type routedEvent struct {
	ev      *event.Event
	si      *sourceIndex // nil when no channel reads the event's log source
	routes  []step
	missing bool // the event lacks its source's route field
	owners  int  // offset in the batch's owners of the owner of each plan with a condition of routes, in order
}

func newRouter(index *routeIndex, slots *event.Slots, workers int, groupSigs [][]int) *router {
	r := &router{
		index: index, view: event.NewFieldView(slots), n: workers,
		groupSigs: groupSigs,
		sigClock:  make([]int64, len(groupSigs)),
		sigHash:   make([]uint64, len(groupSigs)),
	}
	for i := range r.sigClock {
		r.sigClock[i] = -1
	}
	return r
}

// route appends ev to b with its routes and owners.
func (r *router) route(ev *event.Event, b *batch) {
	r.clock++
	re := routedEvent{ev: ev, owners: len(b.owners)}
	if si := r.index.sources[ev.LogSource]; si != nil {
		r.view.Reset(ev)
		re.si = si
		re.routes, re.missing = si.routes(r.view)
		for i := 0; i < len(re.routes); i += re.routes[i].span {
			if cp := re.routes[i].plan; cp.condition != nil {
				b.owners = append(b.owners, int32(r.owner(cp)))
			}
		}
	}
	b.events = append(b.events, re)
	b.bytes += ev.Footprint()
}

// owner returns the worker that evaluates cp, a plan with a condition, for the current event.
func (r *router) owner(cp *compiledPlan) int {
	if cp.mixedGroups {
		return cp.index % r.n // which group an event joins depends on the channel it matches
	}
	h := r.groupHash(cp.groupSig) ^ (uint64(cp.index) * 0x9e3779b97f4a7c15)
	return int(h % uint64(r.n))
}

// groupHash hashes the current event's group key for one group_by list, once per event.
func (r *router) groupHash(sig int) uint64 {
	if r.sigClock[sig] == r.clock {
		return r.sigHash[sig]
	}
	r.keyBuf = appendGroupKey(r.keyBuf[:0], r.view, r.groupSigs[sig])
	h := fnv1a(r.keyBuf)
	r.sigClock[sig], r.sigHash[sig] = r.clock, h
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
