package serve

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/stixcel/stixcel/event"
	"github.com/stixcel/stixcel/runtime"
)

// TestTimeOutOfRange has a collector send the demo with, after the first telemetry event of
// the alert's device, a copy of it dated 2099 and one dated 1969, and finds in the matches
// stream a 2099 match that a stage 1 without the time-range rule published before them. Such
// a match used to move its partition's clock to 2099, so that every later match there was
// parked as late and the alert was lost, on every replay. Both stages now apply run's rule:
// the three are parked as out of range and counted, the alert is run's, and a takeover
// replays the same verdicts.
func TestTimeOutOfRange(t *testing.T) {
	set := compileSet(t)
	lines := readLines(t, demoFile)
	const when = "2026-03-20T09:00:15Z"
	require.Contains(t, string(lines[4]), when)
	future := bytes.Replace(lines[4], []byte(when), []byte("2099-03-20T09:00:15Z"), 1)
	past := bytes.Replace(lines[4], []byte(when), []byte("1969-03-20T09:00:15Z"), 1)
	sent := slices.Concat(lines[:5], [][]byte{future, past}, lines[5:])
	file := filepath.Join(t.TempDir(), "collector.jsonl")
	require.NoError(t, os.WriteFile(file, append(bytes.Join(sent, []byte("\n")), '\n'), 0o644))
	want := runAlerts(t, set, nil, []string{file})
	require.Len(t, want, 1, "run rejects both lines and finds the demo's alert")

	c := newCluster(t, set, nil)
	n := testNames.withDefaults()
	oldMatches := publishUncheckedMatches(t, c, future)
	for i, l := range sent {
		_, err := c.js.PublishMsg(context.Background(), lineMsg(n.EventsSubject(), l, file, i+1))
		require.NoError(t, err)
	}
	in := &Metrics{}
	start(t, (&Stage1{JS: c.js, Names: testNames, Set: c.set, Metrics: in}).Run)
	waitFor(t, 30*time.Second, "stage 1", func() bool { return stage1Drained(t, c.js, testNames) })
	owner := &Metrics{}
	first := c.stage2(owner)
	c.assertAlerts(want)
	assert.EqualValues(t, 2, in.OutOfRange.Load(), "stage 1: the 2099 and the 1969 line")
	assert.EqualValues(t, oldMatches, owner.OutOfRange.Load(), "stage 2: the unchecked 2099 match")
	assert.Zero(t, owner.Late.Load(), "no match parked as late")
	wantParked := []string{filepath.Base(file) + ":6 " + event.ReasonTimeOutOfRange,
		filepath.Base(file) + ":7 " + event.ReasonTimeOutOfRange, "old-stage1:1 " + event.ReasonTimeOutOfRange}
	waitFor(t, 30*time.Second, "the parked lines", func() bool { return len(parkedLines(t, c)) >= len(wantParked) })
	assert.Equal(t, wantParked, parkedLines(t, c))

	require.NoError(t, first.stop(t))
	standby := &Metrics{}
	c.stage2(standby)
	matches := streamMsgs(t, c, n.MatchesStream())
	waitFor(t, 60*time.Second, "the takeover's replay", func() bool { return uint64(standby.Replayed.Load()) >= matches })
	assert.Equal(t, owner.OutOfRange.Load(), standby.OutOfRange.Load(), "the replay's verdicts")
	assert.Zero(t, standby.Late.Load())
	c.assertAlerts(want)
	assert.Equal(t, wantParked, parkedLines(t, c), "parked once")
}

// publishUncheckedMatches publishes the matches of line as a stage 1 that applied no time
// rule would have, cited as old-stage1:1, and returns how many.
func publishUncheckedMatches(t *testing.T, c *cluster, line []byte) int {
	ev, bad := event.Normalized{}.Decode(line)
	require.Nil(t, bad)
	eng, err := runtime.New(c.set, runtime.WithWorkers(1), runtime.WithCorrelation(false))
	require.NoError(t, err)
	ms, err := eng.Matches(ev, nil)
	require.NoError(t, err)
	require.NotEmpty(t, ms, "the line is a match of a correlated plan")
	for _, m := range ms {
		_, err := c.js.PublishMsg(context.Background(), lineMsg(testNames.withDefaults().matchSubject(m.Plan, m.Key), line, "old-stage1", 1))
		require.NoError(t, err)
	}
	return len(ms)
}

// parkedLines lists the rejects stream as "base(source):line reason", sorted.
func parkedLines(t *testing.T, c *cluster) []string {
	st, err := c.js.Stream(context.Background(), testNames.withDefaults().RejectsStream())
	require.NoError(t, err)
	info, err := st.Info(context.Background())
	require.NoError(t, err)
	var out []string
	for seq := info.State.FirstSeq; seq <= info.State.LastSeq && info.State.Msgs > 0; seq++ {
		m, err := st.GetMsg(context.Background(), seq)
		require.NoError(t, err)
		out = append(out, filepath.Base(m.Header.Get(HeaderSource))+":"+m.Header.Get(HeaderLine)+" "+m.Header.Get(HeaderReason))
	}
	sort.Strings(out)
	return out
}

// streamMsgs is the number of messages in stream.
func streamMsgs(t *testing.T, c *cluster, stream string) uint64 {
	st, err := c.js.Stream(context.Background(), stream)
	require.NoError(t, err)
	info, err := st.Info(context.Background())
	require.NoError(t, err)
	return info.State.Msgs
}
