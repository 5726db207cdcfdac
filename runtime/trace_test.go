package runtime

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/stixcel/stixcel/plan"
)

// TestTracer: a Tracer says per event which channels held and what the condition made of
// the group's window, and alerts as an Engine does on the same events.
func TestTracer(t *testing.T) {
	var s stream
	s.beacon(0, "ios-1")                                          // c1, c2; condition not held
	s.edr(10*time.Second, "ios-2", "unlocked", 10, "interaction") // nothing matches
	s.locked(30*time.Second, "ios-1")                             // c4: the alert opens
	s.locked(40*time.Second, "ios-1")                             // more evidence
	set := loadAN1828(t, nil)
	tr, err := NewTracer(set.Plans[0])
	require.NoError(t, err)
	var outs []Output
	emit := func(o Output) { outs = append(outs, o) }
	var traces []*EventTrace
	for _, ev := range s.events {
		traces = append(traces, tr.Trace(ev, emit))
	}
	tr.Flush(emit)
	want, _ := run(t, set, s.events)
	assert.Equal(t, summarize(want), summarize(outs), "the tracer alerts as the engine does")
	require.Len(t, traces, 4)

	beacon := traces[0]
	assert.Equal(t, ChannelTrace{ID: "c1", LogSource: "VPN:MobileProxy", LogSourceMatched: true, Used: true,
		Selector: Check{Outcome: OutcomeAbsent}, Predicate: Check{Outcome: OutcomeTrue}, Matched: true}, beacon.Channels[0])
	assert.Equal(t, ChannelTrace{ID: "c4", LogSource: "MobileEDR:telemetry", Used: true,
		Selector: Check{Outcome: OutcomeSkipped}, Predicate: Check{Outcome: OutcomeSkipped}}, beacon.Channels[3])
	require.NotNil(t, beacon.Correlation)
	assert.Equal(t, CorrelationNotHeld, beacon.Correlation.Outcome)
	assert.Equal(t, []string{"c1", "c2"}, beacon.Correlation.InWindow)
	assert.Equal(t, &Check{Outcome: OutcomeFalse}, beacon.Correlation.Condition)
	assert.Equal(t, map[string]any{"device_id": "ios-1"}, beacon.Correlation.Group)

	unlocked := traces[1]
	assert.Nil(t, unlocked.Correlation, "no channel matched")
	assert.Equal(t, Check{Outcome: OutcomeFalse}, unlocked.Channels[3].Selector, "c4's selector: not locked")
	assert.Equal(t, Check{Outcome: OutcomeSkipped}, unlocked.Channels[3].Predicate)

	opened := traces[2].Correlation
	require.NotNil(t, opened)
	assert.Equal(t, CorrelationOpened, opened.Outcome)
	assert.Equal(t, []string{"c1", "c2", "c4"}, opened.InWindow)
	assert.Equal(t, t0.Add(30*time.Second+10*time.Minute), opened.Close)
	assert.Equal(t, CorrelationAdded, traces[3].Correlation.Outcome)
}

// TestTracerErrors: an expression that fails to evaluate is an error with CEL's message, on
// the channel (which then does not match) and on the condition.
func TestTracerErrors(t *testing.T) {
	set := loadAN1828(t, nil)
	p := set.Plans[0]
	p.Channel("c5").Predicate = `event.nope.startsWith("x")`
	p.Correlation.Condition = `c4 && (c5 || channels.c4.count / 0 > 1)`
	var s stream
	s.locked(0, "ios-1")
	tr, err := NewTracer(p)
	require.NoError(t, err)
	got := tr.Trace(s.events[0], func(Output) {})
	assert.Equal(t, ChannelTrace{ID: "c5", LogSource: "MobileEDR:telemetry", LogSourceMatched: true, Used: true,
		Selector: Check{Outcome: OutcomeAbsent}, Predicate: Check{Outcome: OutcomeError, Error: "no such key: nope"}}, got.Channels[4])
	require.NotNil(t, got.Correlation)
	assert.Equal(t, CorrelationError, got.Correlation.Outcome)
	assert.Equal(t, []string{"c4"}, got.Correlation.InWindow)
	assert.Equal(t, &Check{Outcome: OutcomeError, Error: "division by zero"}, got.Correlation.Condition)

	_, err = NewTracer(&plan.Plan{ID: "AN0001", Kind: plan.KindInert})
	assert.ErrorContains(t, err, "analytic AN0001 is not run (its plan is inert)")
}
