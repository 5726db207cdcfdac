package runtime

import (
	"math/rand"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/stixcel/stixcel/event"
)

// TestPoolScansEachEventOnce checks that several workers share an event's stateless work
// instead of each doing it: for every event, the fields the candidate index scans and the
// channels evaluated, over all the engine's goroutines, are those of one worker.
func TestPoolScansEachEventOnce(t *testing.T) {
	g := &exprGen{r: rand.New(rand.NewSource(11))}
	set := g.plans(120)
	lines := strings.SplitAfter(g.events(30), "\n")
	scanned := 0
	for i, line := range lines[:len(lines)-1] {
		work := func(workers int) (int, Evaluations) {
			eng, err := New(set, WithWorkers(workers))
			require.NoError(t, err)
			r := event.NewReader(strings.NewReader(line), "stream.jsonl", nil)
			ev, rej, err := r.Next()
			require.NoError(t, err)
			require.Nil(t, rej)
			require.NoError(t, eng.Process(t.Context(), ev, func(Output) {}))
			eng.Sync()
			return fieldScans(eng), eng.Evaluations()
		}
		oneScans, oneEvals := work(1)
		scanned += oneScans
		for _, workers := range []int{2, 3} {
			scans, evals := work(workers)
			assert.Equal(t, oneScans, scans, "event %d: fields scanned with %d workers", i+1, workers)
			assert.Equal(t, oneEvals, evals, "event %d: channels evaluated with %d workers", i+1, workers)
		}
	}
	assert.Positive(t, scanned, "the index scans fields")
}

// fieldScans counts the fields the engine's candidate scans read for the one event each
// was shown.
func fieldScans(eng *Engine) int {
	n := 0
	for _, m := range eng.matchers() {
		if cs := m.cands; cs != nil && cs.gen > 1 {
			for _, g := range cs.fieldGen {
				if g == cs.gen {
					n++
				}
			}
		}
	}
	return n
}
