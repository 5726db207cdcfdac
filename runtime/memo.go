package runtime

import (
	"slices"
	"strings"
)

// valueMemo remembers, for one field of a candidateScan, the clauses each string value made
// hold (a function of the value alone), so that a value seen again costs a map lookup
// instead of lowering it and an automaton pass. Windows logs repeat most of their values
// (images, providers, account SIDs, call traces), and the OTRF datasets ten times over scan
// 31 MB of values in 489k passes.
//
// It holds at most memoBytes of values, none longer than memoLongest, and starts over when
// full. A field whose values seldom repeat (command lines, script blocks) costs a lookup
// and a copy per value for nothing: after a window of memoWindow lookups with fewer than
// one hit in memoMinHits, the memo lets go of its values and pauses for memoPause windows,
// then tries again.
type valueMemo struct {
	marks         map[string][]int32
	bytes         int
	lookups, hits int // in the current window
	paused        int // lookups left before remembering again
}

const (
	memoBytes   = 256 << 10
	memoLongest = 4 << 10
	memoWindow  = 1024
	memoMinHits = 8
	memoPause   = 8
)

// lookup returns the clauses value made hold when it is remembered.
func (m *valueMemo) lookup(value string) ([]int32, bool) {
	if m.paused > 0 {
		m.paused--
		return nil, false
	}
	m.lookups++
	ids, ok := m.marks[value]
	if ok {
		m.hits++
	}
	if m.lookups == memoWindow {
		if m.hits*memoMinHits < m.lookups {
			m.marks, m.bytes, m.paused = nil, 0, memoPause*memoWindow
		}
		m.lookups, m.hits = 0, 0
	}
	return ids, ok
}

// store remembers that value makes the clauses ids hold (copies of both are kept).
func (m *valueMemo) store(value string, ids []int32) {
	if m.paused > 0 || len(value) > memoLongest {
		return
	}
	if m.marks == nil || m.bytes+len(value) > memoBytes {
		m.marks, m.bytes = map[string][]int32{}, 0
	}
	kept := slices.Clone(ids)
	if len(kept) > 1 {
		slices.Sort(kept)
		kept = slices.Compact(kept)
	}
	m.marks[strings.Clone(value)] = kept
	m.bytes += len(value) + 4*len(kept)
}
