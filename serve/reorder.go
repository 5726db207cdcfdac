package serve

import (
	"container/heap"
	"time"

	"github.com/stixcel/stixcel/event"
)

// match is an event as one partition received it: for one plan.
type match struct {
	ev   *event.Event
	plan string
}

// reorder holds a partition's matches until the lateness has passed them and releases them
// in the order of a merged `stixcel run` stream (event.Compare, then plan): the order the
// events arrived in within the lateness changes nothing.
type reorder struct {
	lateness  time.Duration
	latest    time.Time // the latest event time received
	watermark time.Time // everything released is older; an older match is late
	held      matchHeap
}

// push holds m, or reports it late (older than what was released).
func (r *reorder) push(m match) (late bool) {
	if m.ev.Time.Before(r.watermark) {
		return true
	}
	if m.ev.Time.After(r.latest) {
		r.latest = m.ev.Time
	}
	heap.Push(&r.held, m)
	return false
}

// release returns, in order, the matches older than latest - lateness.
func (r *reorder) release(out []match) []match {
	if wm := r.latest.Add(-r.lateness); wm.After(r.watermark) {
		r.watermark = wm
	}
	for len(r.held) > 0 && r.held[0].ev.Time.Before(r.watermark) {
		out = append(out, heap.Pop(&r.held).(match))
	}
	return out
}

// drain returns every match held, in order (an idle flush); the watermark moves past them.
func (r *reorder) drain(out []match) []match {
	for len(r.held) > 0 {
		m := heap.Pop(&r.held).(match)
		out = append(out, m)
		if !m.ev.Time.Before(r.watermark) {
			r.watermark = m.ev.Time
		}
	}
	return out
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
