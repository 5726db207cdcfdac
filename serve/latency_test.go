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

// TestIdleFlushWaitsForStage1 has stage 1 handle the first half of the demo and stop, with the
// second half still to handle, then starts stage 2: however long no match comes, the open
// alert is not flushed while stage 1 has events pending; once stage 1 is back the alert is
// run's. An owner used to flush after IdleFlush without matches whatever stage 1 still had:
// a backfill slower than the idle flush stored alerts without their later evidence.
func TestIdleFlushWaitsForStage1(t *testing.T) {
	set := compileSet(t)
	want := runAlerts(t, set, nil, []string{demoFile})
	require.Len(t, want, 1)
	c := newCluster(t, set, nil)
	n := testNames.withDefaults()
	lines := readLines(t, demoFile)
	publish := func(from, to int) {
		for i := from; i < to; i++ {
			_, err := c.js.PublishMsg(context.Background(), lineMsg(n.EventsSubject(), lines[i], demoFile, i+1))
			require.NoError(t, err)
		}
	}
	half := len(lines) / 2
	publish(0, half)
	first := start(t, (&Stage1{JS: c.js, Names: testNames, Set: set}).Run)
	waitFor(t, 30*time.Second, "stage 1", func() bool { return stage1Drained(t, c.js, testNames) })
	require.NoError(t, first.stop(t))
	publish(half, len(lines))
	owner := &Metrics{}
	start(t, (&Stage2{JS: c.js, Names: testNames, Set: set, IdleFlush: 100 * time.Millisecond, Metrics: owner}).Run)
	waitFor(t, 30*time.Second, "the first half's matches", func() bool { return owner.Applied.Load() > 0 })
	time.Sleep(time.Second) // ten idle flushes' time
	assert.Zero(t, storedAlerts(t, c.js, testNames), "no alert flushed while stage 1 has events pending")
	start(t, (&Stage1{JS: c.js, Names: testNames, Set: set}).Run)
	c.assertAlerts(want)
}
