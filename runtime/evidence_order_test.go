package runtime

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/stixcel/stixcel/event"
	"github.com/stixcel/stixcel/plan"
)

// TestEvidenceOrderOfOneInstant: events of the same instant are listed in an alert in the
// same order whichever arrived first (a batch sorts ties by their text, a stream or serve
// takes them as they come), and when there are more than an alert cites, the same ones are
// cited, so that an alert is a function of the events alone.
func TestEvidenceOrderOfOneInstant(t *testing.T) {
	p := &plan.Plan{ID: "AN0001", Kind: plan.KindDetection,
		Channels: []*plan.Channel{
			{ID: "c1", LogSource: "x", Predicate: "event.n >= 0", Fields: []string{"n", "what"}},
			{ID: "c2", LogSource: "x", Predicate: `event.what == "close"`, Fields: []string{"what"}},
		},
		Correlation: plan.Correlation{GroupBy: []string{"key"}, WindowLiteral: "1h", Condition: "c1 && c2"}}
	var events []*event.Event
	for i := range 6 {
		at := t0.Add(time.Duration(i/3) * time.Second) // three events an instant
		events = append(events, &event.Event{Time: at, LogSource: "x", Source: "ties.jsonl", Line: i + 1,
			Fields: map[string]any{"key": "k", "n": int64(10 - i), "what": fmt.Sprintf("open-%d", i%3)}})
	}
	events = append(events, &event.Event{Time: t0.Add(2 * time.Second), LogSource: "x", Source: "ties.jsonl", Line: 7,
		Fields: map[string]any{"key": "k", "n": int64(0), "what": "close"}})

	alertsOf := func(order []*event.Event) string {
		eng, err := New(&plan.Set{Schema: plan.Schema, Plans: []*plan.Plan{p}}, WithMaxContributors(2))
		require.NoError(t, err)
		var out []byte
		emit := func(o Output) {
			b, err := json.Marshal(o)
			require.NoError(t, err)
			out = append(append(out, b...), '\n')
		}
		for _, ev := range order {
			require.NoError(t, eng.Process(context.Background(), ev, emit))
		}
		eng.Flush(emit)
		return string(out)
	}
	want := alertsOf(events)
	require.Contains(t, want, `"AN0001"`)
	rng := rand.New(rand.NewSource(1))
	for range 20 {
		shuffled := append([]*event.Event(nil), events...)
		for start := 0; start < 6; start += 3 { // within each instant only: event time order kept
			rng.Shuffle(3, func(i, j int) { shuffled[start+i], shuffled[start+j] = shuffled[start+j], shuffled[start+i] })
		}
		require.Equal(t, want, alertsOf(shuffled))
	}
}
