package runtime

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/stixcel/stixcel/event"
	"github.com/stixcel/stixcel/plan"
)

// keyedPlan opens an alert at a key's first match and keeps it open for an hour.
func keyedPlan(id string) *plan.Plan {
	return &plan.Plan{ID: id, Kind: plan.KindDetection,
		Channels:    []*plan.Channel{{ID: "c1", LogSource: "x", Predicate: "event.n >= 0"}},
		Correlation: plan.Correlation{GroupBy: []string{"key"}, WindowLiteral: "1h", Condition: "c1"}}
}

// keyedEvents are n events a second apart over keys k0..k(keys-1) in turn.
func keyedEvents(n, keys int) []*event.Event {
	var events []*event.Event
	for i := range n {
		events = append(events, &event.Event{Time: t0.Add(time.Duration(i) * time.Second), LogSource: "x",
			Fields: map[string]any{"key": fmt.Sprintf("k%d", i%keys), "n": int64(i)}, Source: "keys.jsonl", Line: i + 1})
	}
	return events
}

// TestGroupCap floods two plans with 40 keys under a cap of 10 groups. The cap is checked
// after events 512 and 1024: each time the 30 least recently matched groups go, their open
// alerts are emitted first, and every match still ends up in an alert. 1, 2 and 3 workers
// give the same alerts and counts.
func TestGroupCap(t *testing.T) {
	set := &plan.Set{Schema: plan.Schema, Plans: []*plan.Plan{keyedPlan("AN0001"), keyedPlan("AN0002")}}
	events := keyedEvents(1200, 40)
	var first []Output
	for _, tc := range []struct {
		workers    int
		statsEvery int // call Stats now and then: workers then run part of a batch
	}{{1, 0}, {2, 0}, {3, 0}, {3, 300}} {
		t.Run(fmt.Sprintf("%d workers, stats every %d", tc.workers, tc.statsEvery), func(t *testing.T) {
			out, stats := runWithStats(t, set, events, tc.statsEvery, WithMaxGroups(10), WithWorkers(tc.workers))
			assert.Equal(t, int64(120), stats.Evicted)
			assert.Equal(t, []Evictions{{"AN0001", 60}, {"AN0002", 60}}, stats.EvictedBy)
			assert.Equal(t, 80, stats.LiveGroups, "40 keys per plan came back after the last check")
			require.Len(t, out, int(stats.Evicted)+stats.LiveGroups, "one alert per group: evicted, or flushed at the end")

			matches := map[string]int64{}
			for _, o := range out {
				a := o.(*Alert)
				matches[a.Analytic] += a.Channels[0].Count
			}
			assert.Equal(t, map[string]int64{"AN0001": 1200, "AN0002": 1200}, matches, "no match is lost")

			// The first evictions, after event 512, take per plan the 30 keys not among the
			// last 10 matched (events 503..512 matched k22..k31), oldest first.
			var evicted []string
			for _, o := range out[:30] {
				a := o.(*Alert)
				require.Equal(t, "AN0001", a.Analytic)
				evicted = append(evicted, a.Group["key"].(string))
			}
			var want []string
			for i := 472; i < 502; i++ {
				want = append(want, fmt.Sprintf("k%d", i%40))
			}
			assert.Equal(t, want, evicted)
			if first == nil {
				first = out
			}
			assert.Equal(t, first, out)
		})
	}
}

// TestGroupCapDefault leaves groups alone below the default cap.
func TestGroupCapDefault(t *testing.T) {
	set := &plan.Set{Schema: plan.Schema, Plans: []*plan.Plan{keyedPlan("AN0001")}}
	out, stats := run(t, set, keyedEvents(1200, 600))
	assert.Zero(t, stats.Evicted)
	assert.Empty(t, stats.EvictedBy)
	assert.Equal(t, 600, stats.LiveGroups)
	assert.Len(t, out, 600)
}
