package event

import "unsafe"

// heldEvents is the Merger's events waiting for the watermark: a binary min-heap in merge
// order (Before), typed so that a push or pop costs no interface calls, with each event's
// time kept as the two integers it compares by. It also sums the events' footprints.
type heldEvents struct {
	items []heldEvent
	bytes int64
}

type heldEvent struct {
	sec  int64 // Time.Unix()
	nsec int32 // Time.Nanosecond()
	ev   *Event
}

func (h *heldEvents) len() int { return len(h.items) }

// first returns the oldest event held; the heap must not be empty.
func (h *heldEvents) first() *Event { return h.items[0].ev }

func (h *heldEvents) push(ev *Event) {
	h.items = append(h.items, heldEvent{sec: ev.Time.Unix(), nsec: int32(ev.Time.Nanosecond()), ev: ev})
	h.bytes += ev.footprint()
	h.up(len(h.items) - 1)
}

// pop removes and returns the oldest event; the heap must not be empty.
func (h *heldEvents) pop() *Event {
	last := len(h.items) - 1
	out := h.items[0].ev
	h.items[0] = h.items[last]
	h.items[last] = heldEvent{}
	h.items = h.items[:last]
	if last > 0 {
		h.down(0)
	}
	h.bytes -= out.footprint()
	return out
}

func (h *heldEvents) less(i, j int) bool {
	a, b := &h.items[i], &h.items[j]
	switch {
	case a.sec != b.sec:
		return a.sec < b.sec
	case a.nsec != b.nsec:
		return a.nsec < b.nsec
	case a.ev.Source != b.ev.Source:
		return a.ev.Source < b.ev.Source
	}
	return a.ev.Line < b.ev.Line
}

func (h *heldEvents) up(i int) {
	for i > 0 {
		parent := (i - 1) / 2
		if !h.less(i, parent) {
			return
		}
		h.items[i], h.items[parent] = h.items[parent], h.items[i]
		i = parent
	}
}

func (h *heldEvents) down(i int) {
	n := len(h.items)
	for {
		child := 2*i + 1
		if child >= n {
			return
		}
		if right := child + 1; right < n && h.less(right, child) {
			child = right
		}
		if !h.less(child, i) {
			return
		}
		h.items[i], h.items[child] = h.items[child], h.items[i]
		i = child
	}
}

// eventOverhead is the approximate memory of an Event besides its text and fields.
const eventOverhead = int64(unsafe.Sizeof(Event{})) + 64

// Footprint is the approximate memory an event holds, in bytes, as the Merger counts it
// against MergeOptions.MaxHeld (a reader ahead of the evaluation bounds itself by it too).
func (e *Event) Footprint() int64 { return e.footprint() }

// footprint is the approximate memory an event holds: its line's text, its members and
// overrides when it is backed by raw JSON; about three times its line when it was decoded
// into maps.
func (e *Event) footprint() int64 {
	if e.raw == "" {
		return eventOverhead + 3*int64(e.lineBytes)
	}
	return eventOverhead + int64(len(e.raw)) + int64(len(e.members))*int64(unsafe.Sizeof(member{})) +
		int64(len(e.Overrides))*int64(unsafe.Sizeof(Override{})+16)
}
