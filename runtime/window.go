package runtime

import (
	"strconv"
	"strings"
	"time"
	"unsafe"

	"github.com/stixcel/stixcel/celenv"
)

// window is one channel's matches in a group's current window, in time order, and their
// series index once a condition has asked for recurring() or distinct().
type window struct {
	matches timeline[match]
	series  *seriesIndex // nil until asked for; then kept up to date
	agg     *valueIndex  // the group's value index, once built, which this window feeds
	strs    int          // bytes of the matches' series keys
	evBytes int64        // bytes of the matches' evidence
}

// Approximate sizes, in bytes, of what state holds, for the state budget (WithMaxState).
const (
	matchSize     = int64(unsafe.Sizeof(match{}))
	stampSize     = int64(unsafe.Sizeof(stamp{}))
	sliceSize     = int64(unsafe.Sizeof([]byte{}))
	seriesSize    = 160 // a series: its struct, its map entry, the map's share of buckets
	windowSize    = int64(unsafe.Sizeof(window{}))
	seriesIdxSize = 96 // a series index without series
)

// size is the approximate memory the window holds: the arrays of its timeline, its series
// keys and its series index.
func (w *window) size() int64 {
	n := int64(w.matches.held)*matchSize + int64(cap(w.matches.chunks))*sliceSize + int64(w.strs) + w.evBytes
	if w.series != nil {
		n += w.series.bytes
	}
	return n
}

func (m match) when() time.Time { return m.at }

// insert adds m, after the matches not later than it.
func (w *window) insert(m match) {
	w.matches.insert(m)
	w.strs += len(m.series)
	w.evBytes += m.evidence.size()
	if w.series != nil {
		w.series.add(m.series, m.at)
	}
	if w.agg != nil {
		w.agg.add(m.series)
	}
}

// dropBefore drops the matches before cutoff.
func (w *window) dropBefore(cutoff time.Time) {
	for w.matches.len() > 0 && w.matches.front().at.Before(cutoff) {
		w.popFront()
	}
}

// dropThrough drops the matches not after close.
func (w *window) dropThrough(close time.Time) {
	for w.matches.len() > 0 && !w.matches.front().at.After(close) {
		w.popFront()
	}
}

func (w *window) popFront() {
	m := w.matches.popFront()
	w.strs -= len(m.series)
	w.evBytes -= m.evidence.size()
	if w.series != nil {
		w.series.remove(m.series)
	}
	if w.agg != nil {
		w.agg.remove(m.series)
	}
}

// reset empties the window.
func (w *window) reset() {
	w.matches.reset()
	w.series = nil
	w.agg = nil
	w.strs = 0
	w.evBytes = 0
}

// index is the window's series index, built on first use.
func (w *window) index(rec *recurrences) *seriesIndex {
	if w.series == nil {
		w.series = newSeriesIndex(rec, &w.matches)
	}
	return w.series
}

// fill sets the count, first and last of st.
func (w *window) fill(st *celenv.ChannelState) {
	st.Count = int64(w.matches.len())
	st.First, st.Last = time.Time{}, time.Time{}
	if st.Count > 0 {
		st.First, st.Last = w.matches.front().at, w.matches.back().at
	}
}

// recurrenceView answers recurring() and distinct() for one channel of the group whose
// condition is being evaluated.
type recurrenceView struct {
	rec *recurrences
	w   *window
	c   *correlator
	g   *group
}

// Aggregate implements celenv.WindowValues.
func (v *recurrenceView) Aggregate() (celenv.ValueAggregate, int) {
	idx, covers := v.c.aggregate(v.g)
	if idx == nil {
		return nil, 0
	}
	return idx, covers
}

// Recurring implements celenv.Recurrence.
func (v *recurrenceView) Recurring(tol time.Duration, minCount int) bool {
	return v.w.index(v.rec).recurring(recurrenceQuery{tol, celenv.RecurrenceMin(minCount)})
}

// Distinct implements celenv.Recurrence.
func (v *recurrenceView) Distinct() int { return v.w.index(v.rec).distinct() }

// EachValue implements celenv.WindowValues: each series of the window with its number of
// matches, its key read back as the value's text.
func (v *recurrenceView) EachValue(fn func(value string, n int)) {
	for key, s := range v.w.index(v.rec).series {
		fn(seriesValue(key), s.times.len())
	}
}

// FirstFrom implements celenv.WindowValues: the earliest match not before t.
func (v *recurrenceView) FirstFrom(t time.Time) (time.Time, bool) {
	m, ok := v.w.matches.firstFrom(t)
	return m.at, ok
}

// seriesValue is the text of a one-field series key (appendGroupKey): a string unquoted,
// any other value as written; a key of several fields, or a digest, as it is.
func seriesValue(key string) string {
	key = strings.TrimSuffix(key, "\x00")
	if strings.HasPrefix(key, `"`) {
		if s, err := strconv.Unquote(key); err == nil {
			return s
		}
	}
	return key
}
