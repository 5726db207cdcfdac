package serve

import (
	"context"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestIdleFlushOnTime runs the demo through stages that are up and waiting, and compares when
// the server stored the alert with when it stored the last match: the partition's open alert
// is emitted once IdleFlush has passed without matches, not a fetch or two later. An owner
// used to fetch 256 matches at a time, so the last match waited for its fetch to expire
// (500 ms) and the idle flush for one more empty fetch (another 500 ms): a stream's last
// alerts came a second late whatever --idle-flush said.
func TestIdleFlushOnTime(t *testing.T) {
	set := compileSet(t)
	want := runAlerts(t, set, nil, []string{demoFile})
	require.Len(t, want, 1)
	c := newCluster(t, set, nil)
	const idle = 100 * time.Millisecond
	start(t, (&Stage1{JS: c.js, Names: testNames, Set: set}).Run)
	start(t, (&Stage2{JS: c.js, Names: testNames, Set: set, IdleFlush: idle}).Run)
	waitFor(t, 60*time.Second, "the stages", func() bool { return stagesReady(t, c.js, testNames) })
	publishFiles(t, c.js, testNames, nil, []string{demoFile})
	c.assertAlerts(want)

	n := testNames.withDefaults()
	lastMatch := lastStored(t, c.js, n.MatchesStream())
	alert := lastStored(t, c.js, n.AlertsStream())
	late := alert.Sub(lastMatch)
	t.Logf("the alert was stored %s after the last match (idle flush %s)", late.Round(time.Millisecond), idle)
	assert.Less(t, late, idle+300*time.Millisecond, "the alert waits for the idle flush, and little more")
}

// lastStored is when the server stored the last message of stream.
func lastStored(t *testing.T, js jetstream.JetStream, stream string) time.Time {
	st, err := js.Stream(context.Background(), stream)
	require.NoError(t, err)
	info, err := st.Info(context.Background())
	require.NoError(t, err)
	m, err := st.GetMsg(context.Background(), info.State.LastSeq)
	require.NoError(t, err)
	return m.Time
}
