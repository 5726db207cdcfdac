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
	sec   int64 // Time.Unix()
	nsec  int32 // Time.Nanosecond()
	bytes int64 // ev.Footprint(), computed once
	ev    *Event
}

func (h *heldEvents) len() int { return len(h.items) }

// first returns the oldest event held; the heap must not be empty.
func (h *heldEvents) first() *Event { return h.items[0].ev }

func (h *heldEvents) push(ev *Event) {
	size := ev.Footprint()
	h.items = append(h.items, heldEvent{sec: ev.Time.Unix(), nsec: int32(ev.Time.Nanosecond()), bytes: size, ev: ev})
	h.bytes += size
	h.up(len(h.items) - 1)
}

// pop removes and returns the oldest event; the heap must not be empty.
func (h *heldEvents) pop() *Event {
	last := len(h.items) - 1
	out, size := h.items[0].ev, h.items[0].bytes
	h.items[0] = h.items[last]
	h.items[last] = heldEvent{}
	h.items = h.items[:last]
	if last > 0 {
		h.down(0)
	}
	h.bytes -= size
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
// against MergeOptions.MaxHeld (the read-ahead and the runtime's batches bound themselves
// by it too): its line's text, its members and its overrides' values (a source profile's
// fields) when it is backed by raw JSON; when it was
// decoded into maps, about three times its line, or its line and its fields' values when
// those are larger (a profile's field that concatenates a raw field four times holds four
// times the line, besides the line its other fields may be cut from). An event that keeps
// a chunked Reader's chunk alive counts its share of the chunk besides its line.
func (e *Event) Footprint() int64 {
	share := int64(e.chunkShare)
	if e.raw == "" {
		line := int64(e.lineBytes)
		return eventOverhead + share + max(3*line, line+valueBytes(e.Fields))
	}
	n := eventOverhead + share + int64(len(e.raw)) + int64(len(e.members))*int64(unsafe.Sizeof(member{}))
	for _, o := range e.Overrides {
		n += int64(unsafe.Sizeof(Override{})) + valueBytes(o.Value)
	}
	return n
}

// Approximate sizes of decoded JSON values beside their contents, for valueBytes.
const (
	anySize      = int64(unsafe.Sizeof(any(nil)))
	stringSize   = int64(unsafe.Sizeof(""))
	sliceSize    = int64(unsafe.Sizeof([]any(nil)))
	mapSize      = 48 // a map header and its first bucket, roughly
	mapEntrySize = 2*stringSize + anySize
)

// valueBytes is the approximate memory of a decoded JSON value (string, number, bool, nil,
// []any, map[string]any, or a value of another type, counted as its interface).
func valueBytes(v any) int64 {
	switch t := v.(type) {
	case string:
		return anySize + stringSize + int64(len(t))
	case []any:
		n := anySize + sliceSize
		for _, x := range t {
			n += valueBytes(x)
		}
		return n
	case map[string]any:
		n := anySize + mapSize
		for k, x := range t {
			n += mapEntrySize + int64(len(k)) + valueBytes(x)
		}
		return n
	}
	return anySize
}
