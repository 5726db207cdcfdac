package serve

import (
	"context"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestBadLinesParked sends lines stage 1 cannot read: each is acked only once parked on the
// rejects subject with its reason, and counted; the worker goes on.
func TestBadLinesParked(t *testing.T) {
	tests := []struct {
		name, line, reason string
	}{
		{"not JSON", `{"time":`, "invalid JSON"},
		{"no time", `{"log_source":"x"}`, "missing time"},
		{"empty", ``, "empty line"},
		{"not an object", `[1,2]`, "not a JSON object"},
		{"two lines", "{\"time\":\"2026-03-20T09:00:05Z\",\"log_source\":\"x\"}\n{}", ReasonSeveralLines},
		{"after a good one with a newline", "{\"time\":", "invalid JSON"},
	}
	c := newCluster(t, compileSet(t), nil)
	m := &Metrics{}
	start(t, (&Stage1{JS: c.js, Names: testNames, Set: c.set, Metrics: m}).Run)
	n := testNames.withDefaults()
	for i, tc := range tests {
		_, err := c.js.PublishMsg(context.Background(), lineMsg(n.EventsSubject(), []byte(tc.line), "bad.jsonl", i+1))
		require.NoError(t, err, tc.name)
	}
	waitFor(t, 30*time.Second, "stage 1", func() bool { return stage1Drained(t, c.js, testNames) })
	assert.Equal(t, int64(len(tests)), m.Rejected.Load())
	assert.Equal(t, int64(len(tests)), m.EventsIn.Load())
	st, err := c.js.Stream(context.Background(), n.RejectsStream())
	require.NoError(t, err)
	for i, tc := range tests {
		msg, err := st.GetMsg(context.Background(), uint64(i+1))
		require.NoError(t, err, tc.name)
		assert.Equal(t, tc.reason, msg.Header.Get(HeaderReason), tc.name)
		assert.Equal(t, tc.line, string(msg.Data), tc.name)
		assert.Equal(t, nats.Header(msg.Header).Get(HeaderSource), "bad.jsonl", tc.name)
	}
}
