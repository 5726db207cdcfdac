package runtime

import (
	"container/heap"
	"time"
	"unsafe"

	"github.com/stixcel/stixcel/event"
)

// openAlert is an alert collecting matches until its window closes.
type openAlert struct {
	plan      *compiledPlan
	group     *group
	close     time.Time
	firstSeen time.Time
	lastSeen  time.Time
	counts    []int64
	refs      [][]EventRef
	heapIndex int
}

// size is the approximate memory of the open alert.
func (a *openAlert) size() int64 {
	n := int64(unsafe.Sizeof(*a)) + 8 + int64(len(a.counts))*8 + int64(len(a.refs))*sliceSize
	for _, r := range a.refs {
		n += int64(cap(r)) * refSize
	}
	return n
}

const refSize = int64(unsafe.Sizeof(EventRef{}))

func (a *openAlert) add(ev *event.Event, matched []int, maxRefs int) {
	for _, i := range matched {
		a.record(i, ev.Time, EventRef{ev.Source, ev.Line}, maxRefs)
	}
}

func (a *openAlert) record(i int, at time.Time, ref EventRef, maxRefs int) {
	a.counts[i]++
	if len(a.refs[i]) < maxRefs {
		a.refs[i] = append(a.refs[i], ref)
	}
	if a.firstSeen.IsZero() || at.Before(a.firstSeen) {
		a.firstSeen = at
	}
	if at.After(a.lastSeen) {
		a.lastSeen = at
	}
}

func (a *openAlert) alert() *Alert {
	cp := a.plan
	group := make(map[string]any, len(cp.groupBy))
	for i, f := range cp.groupBy {
		group[f] = a.group.values[i]
	}
	out := newAlert(cp, group, a.firstSeen, a.lastSeen)
	for i, n := range a.counts {
		if n > 0 {
			out.Channels = append(out.Channels, AlertChannel{ID: cp.channels[i].id, Count: n, Events: a.refs[i]})
		}
	}
	return out
}

func newAlert(cp *compiledPlan, group map[string]any, first, last time.Time) *Alert {
	return &Alert{
		Analytic:   cp.src.ID,
		Name:       cp.src.Name,
		Techniques: cp.techniques,
		Group:      group,
		FirstSeen:  first,
		LastSeen:   last,
		Channels:   []AlertChannel{},
		Params:     cp.paramsJSON,
	}
}

// immediateAlert is the alert of a plan without a condition: one per matching event.
func immediateAlert(cp *compiledPlan, ev *event.Event, matched []int) *Alert {
	group := make(map[string]any, len(cp.groupBy))
	for _, f := range cp.groupBy {
		group[f], _ = ev.Get(f) // nil when the event lacks the field
	}
	out := newAlert(cp, group, ev.Time, ev.Time)
	for _, i := range matched {
		out.Channels = append(out.Channels, AlertChannel{
			ID: cp.channels[i].id, Count: 1, Events: []EventRef{{ev.Source, ev.Line}},
		})
	}
	return out
}

// alertHeap orders open alerts by close time, then plan order, then group key, so that
// emission order depends only on the input.
type alertHeap struct{ items []*openAlert }

func (h *alertHeap) Len() int { return len(h.items) }

func (h *alertHeap) Less(i, j int) bool {
	a, b := h.items[i], h.items[j]
	if !a.close.Equal(b.close) {
		return a.close.Before(b.close)
	}
	if a.plan.index != b.plan.index {
		return a.plan.index < b.plan.index
	}
	return a.group.key < b.group.key
}

func (h *alertHeap) Swap(i, j int) {
	h.items[i], h.items[j] = h.items[j], h.items[i]
	h.items[i].heapIndex = i
	h.items[j].heapIndex = j
}

func (h *alertHeap) Push(x any) {
	a := x.(*openAlert)
	a.heapIndex = len(h.items)
	h.items = append(h.items, a)
}

func (h *alertHeap) Pop() any {
	n := len(h.items) - 1
	a := h.items[n]
	h.items[n] = nil
	h.items = h.items[:n]
	a.heapIndex = -1
	return a
}

func (h *alertHeap) push(a *openAlert) { heap.Push(h, a) }

func (h *alertHeap) pop() *openAlert { return heap.Pop(h).(*openAlert) }

func (h *alertHeap) peek() *openAlert { return h.items[0] }

func (h *alertHeap) remove(a *openAlert) { heap.Remove(h, a.heapIndex) }
