package serve

import (
	"cmp"
	"container/heap"
	"time"

	"github.com/stixcel/stixcel/event"
)

// match is an event as one partition received it: for one plan.
type match struct {
	ev    *event.Event
	plan  string
	bytes int64 // ev.Footprint(), computed once when held
}

// reorder holds a partition's matches until the lateness has passed them and releases them
// in the order of a merged `stixcel run` stream (event.Compare, then plan): the order the
// events arrived in within the lateness changes nothing. The matches held take at most
// maxHeld bytes (event footprints, as run counts them): past it the oldest are released
// early, counted in forced, and the watermark rises to them, as in event.Merger.
type reorder struct {
	lateness  time.Duration
	maxHeld   int64     // 0: event.DefaultMaxHeld
	latest    time.Time // the latest event time received
	watermark time.Time // everything released is older; an older match is late
	held      matchHeap
	bytes     int64 // the footprints of the matches held
	peak      int64 // the most bytes ever held
	forced    int64 // matches released early for maxHeld
}

// push holds m, or reports it late (older than what was released).
func (r *reorder) push(m match) (late bool) {
	if m.ev.Time.Before(r.watermark) {
		return true
	}
	if m.ev.Time.After(r.latest) {
		r.latest = m.ev.Time
	}
	m.bytes = m.ev.Footprint()
	heap.Push(&r.held, m)
	r.bytes += m.bytes
	r.peak = max(r.peak, r.bytes)
	return false
}

// release returns, in order, the matches older than latest - lateness, then those squeeze
// releases.
func (r *reorder) release(out []match) []match {
	if wm := r.latest.Add(-r.lateness); wm.After(r.watermark) {
		r.watermark = wm
	}
	for len(r.held) > 0 && r.held[0].ev.Time.Before(r.watermark) {
		out = append(out, r.pop())
	}
	return r.squeeze(out)
}

// squeeze returns, in order, the oldest matches while those held exceed maxHeld: released
// early, they raise the watermark. Called after each push, it bounds the bytes held between
// two releases too.
func (r *reorder) squeeze(out []match) []match {
	maxHeld := cmp.Or(r.maxHeld, event.DefaultMaxHeld)
	for len(r.held) > 0 && r.bytes > maxHeld {
		out = append(out, r.pop())
		r.forced++
	}
	return out
}

// drain returns every match held, in order (an idle flush); the watermark moves past them.
func (r *reorder) drain(out []match) []match {
	for len(r.held) > 0 {
		out = append(out, r.pop())
	}
	return out
}

// pop releases the oldest match held; the watermark rises to it (released early, it may be
// younger than the watermark: what is older is late from now on).
func (r *reorder) pop() match {
	m := heap.Pop(&r.held).(match)
	r.bytes -= m.bytes
	if m.ev.Time.After(r.watermark) {
		r.watermark = m.ev.Time
	}
	return m
}

type matchHeap []match

func (h matchHeap) Len() int { return len(h) }
func (h matchHeap) Less(i, j int) bool {
	if c := event.Compare(h[i].ev, h[j].ev); c != 0 {
		return c < 0
	}
	return h[i].plan < h[j].plan
}
func (h matchHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *matchHeap) Push(x any)   { *h = append(*h, x.(match)) }
func (h *matchHeap) Pop() any {
	old := *h
	m := old[len(old)-1]
	old[len(old)-1] = match{}
	*h = old[:len(old)-1]
	return m
}
