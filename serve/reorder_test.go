package serve

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/stixcel/stixcel/event"
)

func TestReorder(t *testing.T) {
	at := func(sec int, src string, line int) match {
		return match{ev: &event.Event{Time: time.Unix(int64(sec), 0).UTC(), Source: src, Line: line}, plan: "AN1"}
	}
	key := func(ms []match) []string {
		var out []string
		for _, m := range ms {
			out = append(out, m.ev.Time.Format("05")+" "+m.ev.Source)
		}
		return out
	}
	tests := []struct {
		name         string
		lateness     time.Duration
		in           []match
		wantReleased []string // by release, before the drain
		wantLate     int
		wantDrained  []string
	}{
		{name: "in order", lateness: 2 * time.Second,
			in:           []match{at(1, "a", 1), at(2, "a", 2), at(5, "a", 3)},
			wantReleased: []string{"01 a", "02 a"}, wantDrained: []string{"05 a"}},
		{name: "out of order within the lateness", lateness: 2 * time.Second,
			in:           []match{at(2, "a", 2), at(1, "a", 1), at(5, "a", 3)},
			wantReleased: []string{"01 a", "02 a"}, wantDrained: []string{"05 a"}},
		{name: "ties by source then line", lateness: time.Second,
			in:           []match{at(1, "b", 1), at(1, "a", 9), at(3, "a", 10)},
			wantReleased: []string{"01 a", "01 b"}, wantDrained: []string{"03 a"}},
		{name: "older than the watermark", lateness: time.Second,
			in:           []match{at(5, "a", 1), at(1, "a", 2), at(2, "b", 1), at(7, "a", 3)},
			wantReleased: []string{"05 a"}, wantLate: 2, wantDrained: []string{"07 a"}},
		{name: "older than released", lateness: 0,
			in:           []match{at(5, "a", 1), at(6, "a", 2), at(4, "a", 3)},
			wantReleased: []string{"05 a"}, wantLate: 1, wantDrained: []string{"06 a"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := reorder{lateness: tc.lateness}
			var released []match
			late := 0
			for _, m := range tc.in {
				if r.push(m) {
					late++
				}
				released = r.release(released)
			}
			assert.Equal(t, tc.wantReleased, key(released), "released")
			assert.Equal(t, tc.wantLate, late, "late")
			assert.Equal(t, tc.wantDrained, key(r.drain(nil)), "drained")
		})
	}
}

// TestReorderMaxHeld holds matches of 21 KB, all at one time, so that the lateness never
// releases them: the reorder buffer used to hold every one, as many bytes as came. Under
// maxHeld it holds at most the budget and one match, releases the oldest early in order,
// counts them, and parks what is older than them as late, as run's Merger does.
func TestReorderMaxHeld(t *testing.T) {
	const n, size, budget = 1500, 21 << 10, 1 << 20
	at := time.Date(2026, 3, 20, 9, 0, 0, 0, time.UTC)
	matches := bigMatches(t, n, size, at)
	fp := matches[0].ev.Footprint()
	r := reorder{lateness: 5 * time.Minute, maxHeld: budget}
	var released []match
	for _, m := range matches { // in one batch, as stage 2 receives them: squeezed after each
		require.False(t, r.push(m))
		released = r.squeeze(released)
	}
	released = r.release(released)
	assert.LessOrEqual(t, r.peak, int64(budget)+fp, "held bytes")
	assert.Equal(t, int64(len(released)), r.forced, "every release was early")
	assert.Equal(t, n-int(budget/fp), len(released), "what the budget holds stays held")
	assert.True(t, slices.IsSortedFunc(released, func(a, b match) int { return event.Compare(a.ev, b.ev) }), "released in order")
	older := bigMatches(t, 1, 10, at.Add(-time.Second))[0]
	assert.True(t, r.push(older), "older than what was released early: late")
	assert.Len(t, r.drain(nil), n-len(released))

	unbounded := reorder{lateness: 5 * time.Minute, maxHeld: 1 << 40}
	for _, m := range matches {
		unbounded.push(m)
		released = unbounded.release(released[:0])
	}
	t.Logf("%d matches of %d KB at one time: %.1f MiB held at most under a %d MiB budget (%d released early), %.1f MiB without",
		n, size>>10, float64(r.peak)/(1<<20), budget>>20, r.forced, float64(unbounded.peak)/(1<<20))
}

// bigMatches are n matches of lines of about size bytes, all at time at.
func bigMatches(t *testing.T, n, size int, at time.Time) []match {
	pad := strings.Repeat("A", size)
	out := make([]match, n)
	for i := range out {
		line := fmt.Sprintf(`{"time":%q,"log_source":"x","pad":%q}`, at.Format(time.RFC3339Nano), pad)
		ev, bad := event.Normalized{}.Decode([]byte(line))
		require.Nil(t, bad)
		ev.Source, ev.Line = "big.jsonl", i+1
		out[i] = match{ev: ev, plan: "AN1"}
	}
	return out
}

// TestStage2MaxHeld serves the demo with partitions that may hold one byte of matches (run's
// --max-held 1): each match is applied as it comes, counted as early, and the alert is run's
// (the demo comes in order).
func TestStage2MaxHeld(t *testing.T) {
	set := compileSet(t)
	want := runAlerts(t, set, nil, []string{demoFile})
	c := newCluster(t, set, nil)
	publishFiles(t, c.js, testNames, nil, []string{demoFile})
	c.stage1()
	waitFor(t, 30*time.Second, "stage 1", func() bool { return stage1Drained(t, c.js, testNames) })
	m := &Metrics{}
	start(t, (&Stage2{JS: c.js, Names: testNames, Set: set, MaxHeld: 1, IdleFlush: 300 * time.Millisecond, Metrics: m}).Run)
	c.assertAlerts(want)
	matches := streamMsgs(t, c, testNames.withDefaults().MatchesStream())
	waitFor(t, 30*time.Second, "every partition's matches", func() bool { return m.Applied.Load() >= int64(matches) })
	assert.EqualValues(t, matches, m.Forced.Load(), "every match applied early")
	assert.Zero(t, m.Late.Load())
}
