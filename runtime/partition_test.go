package runtime

import (
	"context"
	"sort"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/stixcel/stixcel/event"
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
