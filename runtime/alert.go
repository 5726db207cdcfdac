package runtime

import (
	"bytes"
	"cmp"
	"container/heap"
	"slices"
	"strings"
	"time"
	"unsafe"

	"github.com/stixcel/stixcel/event"
)

// openAlert is an alert collecting matches until its window closes.
type openAlert struct {
	plan      *compiledPlan
	group     *group
	opened    time.Time // event time at which the condition first held
	close     time.Time
	firstSeen time.Time
	lastSeen  time.Time
	counts    []int64
	evidence  [][]*Evidence
	bytes     int64 // of the evidence kept
	heapIndex int
}

// size is the approximate memory of the open alert, its evidence included.
func (a *openAlert) size() int64 {
	return int64(unsafe.Sizeof(*a)) + 8 + int64(len(a.counts))*8 + int64(len(a.evidence))*sliceSize + a.bytes
}

// add records an event that matched the channels at indexes matched; evidence reads the
// event's fields for a channel, only while the channel still takes contributors.
func (a *openAlert) add(ev *event.Event, matched []int, maxRefs int, evidence func(i int) *Evidence) {
	for _, i := range matched {
		var e *Evidence
		if len(a.evidence[i]) < maxRefs || a.mayDisplace(i, ev.Time) {
			e = evidence(i)
		}
		a.record(i, ev.Time, e, maxRefs)
	}
}

// mayDisplace reports whether an event at t could be among channel i's evidence once it is
// full: only if it is not later than every event kept (evidenceCompare orders by time first).
func (a *openAlert) mayDisplace(i int, t time.Time) bool {
	for _, k := range a.evidence[i] {
		if !t.After(k.Time) {
			return true
		}
	}
	return false
}

// record counts a match of channel i at time at, keeping e (which may be nil once the
// channel has maxRefs) as evidence.
func (a *openAlert) record(i int, at time.Time, e *Evidence, maxRefs int) {
	a.counts[i]++
	if e != nil {
		a.keep(i, e, maxRefs)
	}
	if a.firstSeen.IsZero() || at.Before(a.firstSeen) {
		a.firstSeen = at
	}
	if at.After(a.lastSeen) {
		a.lastSeen = at
	}
}

// keep adds e to channel i's evidence, which holds the first maxRefs of the events recorded
// in canonical order (evidenceCompare): when it is full, e takes the place of the last kept
// if it comes before it. Which events an alert cites thus does not depend on the order in
// which the events of one instant arrived.
func (a *openAlert) keep(i int, e *Evidence, maxRefs int) {
	kept := a.evidence[i]
	if len(kept) < maxRefs {
		if kept == nil {
			kept = make([]*Evidence, 0, min(maxRefs, 4))
		}
		old := cap(a.evidence[i])
		a.evidence[i] = append(kept, e)
		a.bytes += int64(cap(a.evidence[i])-old)*8 + e.bytes
		return
	}
	if len(kept) == 0 {
		return
	}
	last := 0
	for j := 1; j < len(kept); j++ {
		if evidenceCompare(kept[j], kept[last]) > 0 {
			last = j
		}
	}
	if evidenceCompare(e, kept[last]) < 0 {
		a.bytes += e.bytes - kept[last].bytes
		kept[last] = e
	}
}

func (a *openAlert) alert() *Alert {
	cp := a.plan
	group := make(map[string]any, len(cp.groupBy))
	for i, f := range cp.groupBy {
		group[f] = a.group.values[i]
	}
	out := newAlert(cp, group, a.firstSeen, a.lastSeen)
	out.ID = AlertID(cp.src.ID, group, a.opened, nil)
	for i, n := range a.counts {
		if n > 0 {
			out.Channels = append(out.Channels, cp.alertChannel(i, n, a.evidence[i]))
		}
	}
	return out
}

// alertChannel is channel i of the plan as an alert shows it.
func (cp *compiledPlan) alertChannel(i int, count int64, evidence []*Evidence) AlertChannel {
	src := cp.src.Channels[i]
	if evidence == nil {
		evidence = []*Evidence{}
	}
	evidence = canonicalOrder(evidence)
	return AlertChannel{
		ID: src.ID, LogSource: src.LogSource, DataComponent: src.DataComponent, Channel: src.Channel,
		Count: count, Events: evidence,
	}
}

func newAlert(cp *compiledPlan, group map[string]any, first, last time.Time) *Alert {
	return &Alert{
		Analytic:          cp.src.ID,
		StixID:            cp.src.StixID,
		Name:              cp.src.Name,
		DetectionStrategy: cp.strategy,
		Techniques:        cp.techniques,
		Platforms:         cp.platforms,
		Group:             group,
		FirstSeen:         first,
		LastSeen:          last,
		Channels:          []AlertChannel{},
		Params:            cp.paramsJSON,
		Severity:          cp.src.Level,
		Rule:              cp.src.Rule,
		Analytics:         cp.src.Analytics,
		References:        cp.src.References,
	}
}

// immediateAlert is the alert of a plan without a condition: one per matching event.
func (s *shard) immediateAlert(cp *compiledPlan, ev *event.Event, matched []int) *Alert {
	group := make(map[string]any, len(cp.groupBy))
	slots := cp.channels[matched[0]].groupSlots
	for k, f := range cp.groupBy {
		group[f] = displayValue(s.view.Slot(slots[k])) // nil when the event lacks the field
	}
	out := newAlert(cp, group, ev.Time, ev.Time)
	out.ID = AlertID(cp.src.ID, group, ev.Time, &EventRef{ev.Source, ev.Line})
	for _, i := range matched {
		out.Channels = append(out.Channels, cp.alertChannel(i, 1, []*Evidence{s.evidence(cp, i, ev)}))
	}
	return out
}

// evidence reads what channel i of cp shows of the event the shard's view shows.
func (s *shard) evidence(cp *compiledPlan, i int, ev *event.Event) *Evidence {
	c := cp.channels[i]
	return newEvidence(ev, s.view, c.fields, c.fieldSlots)
}

// hunt is the hunt record of a selector plan's channel i matching the event.
func (s *shard) hunt(cp *compiledPlan, i int, ev *event.Event) *Hunt {
	group := make(map[string]any, len(cp.entityNames))
	for k, slot := range cp.entitySlots {
		fv := s.view.Slot(slot)
		if fv.Kind() != event.KindMissing || len(cp.groupBy) > 0 {
			group[cp.entityNames[k]] = displayValue(fv)
		}
	}
	c := cp.channels[i]
	fields := s.evidence(cp, i, ev).Fields
	return &Hunt{
		Hunt: true, Time: ev.Time.UTC(), Analytic: cp.src.ID, Name: cp.src.Name, DetectionStrategy: cp.strategy,
		Techniques: cp.techniques, Channel: c.id, LogSource: c.logSource, Group: group,
		Source: ev.Source, Line: ev.Line, Fields: fields, Truncated: fields.Truncated(),
	}
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

// canonicalOrder is the evidence sorted by time, then by what the events say (their
// evidence fields), then by source and line: events of one instant are listed in the same
// order however they arrived (a batch sorts them by their lines' text, a stream takes them
// as read, serve as its partitions receive them) and whatever the log's shape. The slice
// held by the alert's state is left as it is.
func canonicalOrder(evidence []*Evidence) []*Evidence {
	sorted := true
	for i := 1; i < len(evidence) && sorted; i++ {
		sorted = evidenceCompare(evidence[i-1], evidence[i]) <= 0
	}
	if sorted {
		return evidence
	}
	out := slices.Clone(evidence)
	slices.SortStableFunc(out, evidenceCompare)
	return out
}

func evidenceCompare(a, b *Evidence) int {
	if c := a.Time.Compare(b.Time); c != 0 {
		return c
	}
	ka, _ := a.Fields.MarshalJSON()
	kb, _ := b.Fields.MarshalJSON()
	if c := bytes.Compare(ka, kb); c != 0 {
		return c
	}
	if c := strings.Compare(a.Source, b.Source); c != 0 {
		return c
	}
	return cmp.Compare(a.Line, b.Line)
}
