package runtime

import (
	"context"
	"encoding/json"
	"math/rand"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/stixcel/stixcel/event"
	"github.com/stixcel/stixcel/plan"
)

// TestPartitionedEqualsOneEngine splits the demo as serve does: a stage-1 engine
// (WithCorrelation(false)) lists each event's Matches, each partition's engine applies the
// matches of its (plan, key) pairs with ProcessPlan; the alerts are those of one engine.
func TestPartitionedEqualsOneEngine(t *testing.T) {
	events := readEvents(t, demoEvents)
	set := loadAN1828(t, nil)
	outs, _ := run(t, set, events)
	want := alertIDs(outs)
	require.Len(t, want, 1)
	for _, parts := range []int{1, 2, 4, 7} {
		stage1, err := New(set, WithCorrelation(false))
		require.NoError(t, err)
		engines := make([]*Engine, parts)
		for i := range engines {
			engines[i], err = New(set)
			require.NoError(t, err)
		}
		var out []Output
		emit := func(o Output) { out = append(out, o) }
		var ms []Match
		for _, ev := range events {
			require.NoError(t, stage1.Process(context.Background(), ev, emit))
			ms, err = stage1.Matches(ev, ms[:0])
			require.NoError(t, err)
			for _, m := range ms {
				require.NoError(t, engines[m.Key%uint64(parts)].ProcessPlan(context.Background(), ev, m.Plan, emit))
			}
		}
		for _, e := range engines {
			e.Flush(emit)
		}
		assert.Equal(t, want, alertIDs(out), "%d partitions", parts)
	}
}

func TestProcessPlanUnknown(t *testing.T) {
	eng, err := New(loadAN1828(t, nil))
	require.NoError(t, err)
	err = eng.ProcessPlan(context.Background(), &event.Event{}, "AN0000", func(Output) {})
	assert.ErrorContains(t, err, `no plan "AN0000"`)
}

// alertIDs are the sorted ids of the alerts among outs.
func alertIDs(outs []Output) []string {
	var ids []string
	for _, o := range outs {
		if a, ok := o.(*Alert); ok {
			ids = append(ids, a.ID)
		}
	}
	sort.Strings(ids)
	return ids
}

// TestSplitOnForksIsProcessAndMatches is the property stage 1 of serve relies on: over
// random plans, half of them with a condition (two channels, grouped by a field), and random
// events, Split on forks of one engine (with correlation off, or on), each fork taking every
// third event on a goroutine of its own, emits what Process emits and lists what Matches
// lists on an engine WithCorrelation(false), event by event, and counts the same evaluations.
func TestSplitOnForksIsProcessAndMatches(t *testing.T) {
	for seed := int64(1); seed <= 4; seed++ {
		g := &exprGen{r: rand.New(rand.NewSource(seed))}
		set := g.plans(120)
		for i, p := range set.Plans {
			if i%2 == 0 {
				c2 := *p.Channels[0]
				c2.ID, c2.Predicate = "c2", g.expr(2)
				p.Channels = append(p.Channels, &c2)
				p.Correlation = plan.Correlation{GroupBy: []string{"User"}, WindowLiteral: "5m", Condition: "c1 && c2"}
			}
		}
		events := decodeAll(t, strings.NewReader(g.events(600)), "stream.jsonl")
		type result struct {
			outs []string
			ms   []Match
		}
		encode := func(o Output) string { b, err := json.Marshal(o); require.NoError(t, err); return string(b) }
		want := make([]result, len(events))
		one, err := New(set, WithCorrelation(false))
		require.NoError(t, err)
		for i, ev := range events {
			require.NoError(t, one.Process(t.Context(), ev, func(o Output) { want[i].outs = append(want[i].outs, encode(o)) }))
			want[i].ms, err = one.Matches(ev, nil)
			require.NoError(t, err)
		}

		// Split never feeds correlation: its forks of an engine with correlation on (stage 2's
		// build, shared in one process) give the same
		base, err := New(set, WithCorrelation(seed%2 == 0))
		require.NoError(t, err)
		const forks = 3
		got := make([]result, len(events))
		engines := make([]*Engine, forks)
		var wg sync.WaitGroup
		for f := range forks {
			engines[f], err = base.Fork()
			require.NoError(t, err)
			wg.Go(func() {
				for i := f; i < len(events); i += forks {
					ms, err := engines[f].Split(context.Background(), events[i], func(o Output) { got[i].outs = append(got[i].outs, encode(o)) }, nil)
					assert.NoError(t, err)
					got[i].ms = ms
				}
			})
		}
		wg.Wait()
		var evals Evaluations
		matched, alerts := 0, 0
		for _, e := range engines {
			n := e.Evaluations()
			evals.Reached += n.Reached
			evals.Evaluated += n.Evaluated
		}
		for i := range events {
			require.Equal(t, want[i], got[i], "seed %d event %d", seed, i)
			matched += len(got[i].ms)
			alerts += len(got[i].outs)
		}
		assert.Positive(t, matched, "some events match plans with a condition")
		assert.Positive(t, alerts, "some events alert for plans without one")
		assert.Equal(t, one.Evaluations(), evals, "seed %d", seed)
		assert.Zero(t, base.Evaluations().Reached, "a fork counts on its own")
	}
}

func TestSplitNeedsOneWorker(t *testing.T) {
	eng, err := New(loadAN1828(t, nil), WithWorkers(2))
	require.NoError(t, err)
	_, err = eng.Split(t.Context(), &event.Event{}, func(Output) {}, nil)
	assert.ErrorContains(t, err, "one worker, not 2")
	_, err = eng.Fork()
	assert.ErrorContains(t, err, "one worker, not 2")
}
