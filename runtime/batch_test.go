package runtime

import (
	"context"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/stixcel/stixcel/event"
	"github.com/stixcel/stixcel/plan"
)

// TestBatchCountsDerivedFields: with several workers, a batch of events is handed over
// once the events it holds take batchBytes, counting the fields a source profile derived
// (events decoded into maps carry no line at all): before, such events counted as nothing,
// and a batch held 512 of them whatever their size (150 events of 75 MB, 11 GB).
func TestBatchCountsDerivedFields(t *testing.T) {
	set := &plan.Set{Schema: plan.Schema, Plans: []*plan.Plan{onePlan("AN0001", `event.cmd.startsWith("z")`)}}
	eng, err := New(set, WithWorkers(2))
	require.NoError(t, err)
	require.NotNil(t, eng.pool)
	cmd := strings.Repeat("c", 4<<20)
	for i := range 20 {
		ev := &event.Event{Time: t0, LogSource: "x", Fields: map[string]any{"log_source": "x", "cmd": cmd + string(rune('a'+i))}}
		eng.Process(context.Background(), ev, func(Output) {})
	}
	assert.LessOrEqual(t, eng.pool.batch.bytes, int64(batchBytes+5<<20), "the batch being filled holds at most batchBytes and one event")
	assert.Positive(t, eng.pool.seen, "a batch was handed over before 512 events")
	eng.Flush(func(Output) {})
}
