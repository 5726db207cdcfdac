package runtime

import (
	"fmt"
	"math/rand/v2"
	"sort"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/stixcel/stixcel/celenv"
)

// refWindow is a channel window as the runtime kept it before the incremental state: a
// slice sorted by time, with insertion and eviction by shifting, and the series rebuilt at
// every look.
type refWindow []match

func (w *refWindow) insert(m match) {
	p := len(*w)
	for p > 0 && (*w)[p-1].at.After(m.at) {
		p--
	}
	*w = append(*w, match{})
	copy((*w)[p+1:], (*w)[p:])
	(*w)[p] = m
}

func (w *refWindow) dropWhile(drop func(time.Time) bool) {
	n := 0
	for n < len(*w) && drop((*w)[n].at) {
		n++
	}
	*w = append((*w)[:0], (*w)[n:]...)
}

// state is the channel state the old fillStates built from the window.
func (w refWindow) state() *celenv.ChannelState {
	st := &celenv.ChannelState{Count: int64(len(w)), Series: map[string][]time.Time{}}
	if len(w) > 0 {
		st.First, st.Last = w[0].at, w[len(w)-1].at
	}
	for _, m := range w {
		st.Series[m.series] = append(st.Series[m.series], m.at)
	}
	return st
}

// TestWindowMatchesRecomputation drives the incremental window and the old one with the same
// random streams (times out of order within the window, a few series, evictions, spent
// alerts and resets, recurring() queries made at any point, more of them than get counts)
// and compares what a condition sees after every step, and the order of the matches.
func TestWindowMatchesRecomputation(t *testing.T) {
	queries := []recurrenceQuery{}
	for _, tol := range []time.Duration{0, time.Second, 5 * time.Second, -time.Second} {
		for _, n := range []int{2, 3, 4} {
			queries = append(queries, recurrenceQuery{tol, n})
		}
	}
	queries = append(queries, recurrenceQuery{time.Second, 1 << 62})
	for _, tc := range []struct {
		name          string
		series, steps int
		spread        int // seconds of disorder
		period        int // seconds between events, so that runs recur
		keep          int // seconds, at most, that a drop keeps beyond the disorder
	}{
		{"one series, in order", 1, 400, 0, 10, 60},
		{"one series, disorder", 1, 400, 40, 10, 60},
		{"few series, disorder", 3, 600, 30, 5, 60},
		{"many series, wide disorder", 40, 800, 300, 2, 60},
		{"equal times", 2, 400, 0, 0, 60},
		{"long series over chunks", 2, 1500, 200, 1, 3000},
	} {
		for seed := range uint64(8) {
			t.Run(fmt.Sprintf("%s/seed %d", tc.name, seed), func(t *testing.T) {
				checkWindowStream(t, rand.New(rand.NewPCG(seed, 7)), queries, tc.series, tc.steps, tc.spread, tc.period, tc.keep)
			})
		}
	}
}

func checkWindowStream(t *testing.T, rng *rand.Rand, queries []recurrenceQuery, nSeries, steps, spread, period, keep int) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	var rec recurrences
	var w window
	var ref refWindow
	view := &recurrenceView{rec: &rec, w: &w}
	clock := t0
	for step := range steps {
		clock = clock.Add(time.Duration(period) * time.Second)
		switch r := rng.IntN(100); {
		case r < 70:
			at := clock.Add(-time.Duration(rng.IntN(spread+1)) * time.Second)
			at = at.Add(time.Duration(rng.IntN(3)) * 500 * time.Millisecond)
			m := match{at: at, series: fmt.Sprintf("s%d", rng.IntN(nSeries)), evidence: &Evidence{Source: "x", Line: step}}
			w.insert(m)
			ref.insert(m)
		case r < 85:
			cut := clock.Add(-time.Duration(rng.IntN(spread+keep)) * time.Second)
			w.dropBefore(cut)
			ref.dropWhile(func(at time.Time) bool { return at.Before(cut) })
		case r < 95:
			cut := clock.Add(-time.Duration(rng.IntN(spread+keep)) * time.Second)
			w.dropThrough(cut)
			ref.dropWhile(func(at time.Time) bool { return !at.After(cut) })
		case r < 97:
			w.reset()
			ref = ref[:0]
		default:
			// A look at recurring() alone: its counts are then built and kept.
			q := queries[rng.IntN(len(queries))]
			assert.Equal(t, ref.state().Recurring(q.tol, q.min), view.Recurring(q.tol, q.min))
		}
		if rng.IntN(4) == 0 {
			compareWindow(t, step, queries, view, ref)
		}
		if t.Failed() {
			t.Fatalf("diverged at step %d", step)
		}
	}
	compareWindow(t, steps, queries, view, ref)
}

// compareWindow compares count, first, last, distinct(), every query's recurring() and the
// order of the matches with the old window's.
func compareWindow(t *testing.T, step int, queries []recurrenceQuery, view *recurrenceView, ref refWindow) {
	want := ref.state()
	got := &celenv.ChannelState{Recurrence: view}
	view.w.fill(got)
	require.Equal(t, want.Count, got.Count, "count at step %d", step)
	require.Equal(t, want.First, got.First, "first at step %d", step)
	require.Equal(t, want.Last, got.Last, "last at step %d", step)
	require.Equal(t, want.Distinct(), got.Distinct(), "distinct at step %d", step)
	for _, q := range queries {
		require.Equal(t, want.Recurring(q.tol, q.min), got.Recurring(q.tol, q.min), "recurring(%v, %d) at step %d", q.tol, q.min, step)
	}
	order := []match{}
	view.w.matches.each(func(m match) { order = append(order, m) })
	require.Equal(t, append([]match{}, ref...), order, "matches at step %d", step)
}

// TestTimelineOrder inserts in order, in reverse and at random into timelines of a few
// chunks, with pops from the front, and checks the order is the stable sort of the inserts.
func TestTimelineOrder(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name string
		at   func(i int, rng *rand.Rand) int
	}{
		{"in order", func(i int, _ *rand.Rand) int { return i }},
		{"reverse", func(i int, _ *rand.Rand) int { return -i }},
		{"random", func(_ int, rng *rand.Rand) int { return rng.IntN(300) }},
		{"few times", func(_ int, rng *rand.Rand) int { return rng.IntN(3) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(1, 2))
			var l timeline[match]
			var ref refWindow
			for i := range 5 * chunkCap * 4 {
				m := match{at: t0.Add(time.Duration(tc.at(i, rng)) * time.Second), evidence: &Evidence{Source: "x", Line: i}}
				l.insert(m)
				ref.insert(m)
				if rng.IntN(5) == 0 {
					assert.Equal(t, ref[0], l.popFront())
					ref = ref[1:]
				}
			}
			var got []match
			l.each(func(m match) { got = append(got, m) })
			require.Equal(t, []match(ref), got)
			require.Equal(t, len(ref), l.len())
			for s := -1; s <= 301; s++ { // firstFrom: the first item not before each time
				from := t0.Add(time.Duration(s) * time.Second)
				if s < 0 { // and before, and after, every item
					from = t0.Add(-time.Hour)
				}
				k := sort.Search(len(ref), func(i int) bool { return !ref[i].at.Before(from) })
				m, ok := l.firstFrom(from)
				require.Equal(t, k < len(ref), ok, "from %v", from)
				if ok {
					assert.Equal(t, ref[k].at, m.at, "from %v", from)
				}
			}
			for _, c := range l.chunks {
				assert.NotEmpty(t, c)
				assert.LessOrEqual(t, len(c), chunkCap)
			}
		})
	}
}

// TestTimelineHeld checks the room a timeline counts for the state budget against its
// chunks: their capacity and the slots popped from the front of the first, which its array
// keeps; nothing once it is empty.
func TestTimelineHeld(t *testing.T) {
	for _, order := range []string{"sorted", "reversed", "random"} {
		t.Run(order, func(t *testing.T) {
			r := rand.New(rand.NewPCG(7, 7))
			var l timeline[stamp]
			check := func() {
				room := 0
				for _, c := range l.chunks {
					room += cap(c)
				}
				require.Equal(t, room+int(l.popped), int(l.held))
			}
			for i := range 5000 {
				at := time.Duration(i)
				switch order {
				case "reversed":
					at = time.Duration(5000 - i)
				case "random":
					at = time.Duration(r.IntN(5000))
				}
				l.insert(stamp(t0.Add(at)))
				if r.IntN(3) == 0 {
					l.popFront()
				}
				check()
			}
			for l.len() > 0 {
				l.popFront()
				check()
			}
			assert.Zero(t, l.held)
		})
	}
}
