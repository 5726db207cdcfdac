package serve

import (
	"bufio"
	"bytes"
	"context"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/stixcel/stixcel/event"
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

// TestOversizeLineParked sends, before the demo, two lines of the server's maximum payload:
// one without a time, and a telemetry event of another device whose match cannot be
// forwarded with its headers. Parking the first with its reason headers would exceed the
// maximum payload, which used to fail stage 1's batch again and again, so that no event after
// it was handled. Both are parked cut to fit, with their reason and full size, and the demo's
// alert follows as in run.
func TestOversizeLineParked(t *testing.T) {
	const maxPayload = 64 << 10
	set := compileSet(t)
	want := runAlerts(t, set, nil, []string{demoFile})
	c := newCluster(t, set, nil, func(o *server.Options) { o.MaxPayload = maxPayload })
	n := testNames.withDefaults()
	lines := readLines(t, demoFile)
	telemetry := bytes.Replace(lines[4], []byte("ios-beacon-7"), []byte("ios-padded-1"), 1)
	oversize := []struct {
		msg    *nats.Msg
		reason string
	}{
		{atMaxPayload(t, n, 1, `{"log_source":"x","pad":"`, `"}`, maxPayload), event.ReasonMissingTime},
		{atMaxPayload(t, n, 2, string(telemetry[:len(telemetry)-1])+`,"pad":"`, `"}`, maxPayload), ReasonTooLarge},
	}
	for _, o := range oversize {
		_, err := c.js.PublishMsg(context.Background(), o.msg)
		require.NoError(t, err, "the line itself fits the maximum payload")
	}
	for i, l := range lines {
		_, err := c.js.PublishMsg(context.Background(), lineMsg(n.EventsSubject(), l, demoFile, i+1))
		require.NoError(t, err)
	}

	in, out := &Metrics{}, &Metrics{}
	start(t, (&Stage1{JS: c.js, Names: testNames, Set: c.set, Metrics: in}).Run)
	waitFor(t, 30*time.Second, "stage 1 past the oversize lines", func() bool { return stage1Drained(t, c.js, testNames) })
	c.stage2(out)
	c.assertAlerts(want)
	assert.EqualValues(t, len(oversize)+len(lines), in.EventsIn.Load(), "events handled")
	assert.EqualValues(t, len(oversize), in.Rejected.Load())
	assert.EqualValues(t, len(oversize), in.Truncated.Load())
	assert.EqualValues(t, streamMsgs(t, c, n.MatchesStream()), in.Matches.Load(), "matches published, the parked one not counted")

	st, err := c.js.Stream(context.Background(), n.RejectsStream())
	require.NoError(t, err)
	for i, o := range oversize {
		parked, err := st.GetMsg(context.Background(), uint64(i+1))
		require.NoError(t, err)
		assert.Equal(t, o.reason, parked.Header.Get(HeaderReason))
		assert.Equal(t, strconv.Itoa(len(o.msg.Data)), parked.Header.Get(HeaderSize), "the full size")
		assert.Equal(t, "collector", parked.Header.Get(HeaderSource))
		assert.Equal(t, strconv.Itoa(i+1), parked.Header.Get(HeaderLine))
		assert.Less(t, len(parked.Data), len(o.msg.Data))
		assert.Greater(t, len(parked.Data), maxPayload/2)
		assert.Equal(t, o.msg.Data[:len(parked.Data)], parked.Data, "the line's first bytes")
		t.Logf("%s: line of %d bytes parked as its first %d", o.reason, len(o.msg.Data), len(parked.Data))
	}
	t.Logf("%d events handled after the oversize lines", in.EventsIn.Load()-int64(len(oversize)))
}

// atMaxPayload is an event message from collector:line whose line, prefix, padding and
// suffix, takes exactly the maximum payload with its headers.
func atMaxPayload(t *testing.T, n Names, line int, prefix, suffix string, maxPayload int64) *nats.Msg {
	m := lineMsg(n.EventsSubject(), nil, "collector", line)
	pad := maxPayload - msgSize(m) - int64(len(prefix)+len(suffix))
	m.Data = []byte(prefix + strings.Repeat("A", int(pad)) + suffix)
	require.Equal(t, maxPayload, msgSize(m))
	return m
}

// TestParkMsg keeps every parked message within the maximum payload, with room for its
// message id, whatever the size of the line and of the collector's headers.
func TestParkMsg(t *testing.T) {
	const maxPayload = 4096
	tests := []struct {
		name          string
		raw, src, why int // sizes of the line, the source header and the detail
		wantTruncated bool
	}{
		{"small", 100, 10, 10, false},
		{"line at the maximum", maxPayload, 10, 40, true},
		{"line over the maximum", 3 * maxPayload, 10, 40, true},
		{"huge source header", 100, 3 * maxPayload, 10, false},
		{"huge everything", 2 * maxPayload, 2 * maxPayload, 2 * maxPayload, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rej := &event.Rejection{File: strings.Repeat("s", tc.src), Line: 7, Reason: event.ReasonLate,
				Detail: strings.Repeat("d", tc.why), Raw: []byte(strings.Repeat("r", tc.raw))}
			m, truncated := parkMsg("t.rejects", rej, maxPayload)
			assert.Equal(t, tc.wantTruncated, truncated)
			assert.LessOrEqual(t, msgSize(m)+idRoom, int64(maxPayload))
			assert.Equal(t, event.ReasonLate, m.Header.Get(HeaderReason))
			if truncated {
				assert.Equal(t, strconv.Itoa(tc.raw), m.Header.Get(HeaderSize))
				assert.Greater(t, len(m.Data), maxPayload/4, "most of the room goes to the line")
			} else {
				assert.Len(t, m.Data, tc.raw)
				assert.Empty(t, m.Header.Get(HeaderSize))
			}
		})
	}
}

// readLines returns file's lines.
func readLines(t testing.TB, file string) [][]byte {
	t.Helper()
	fh, err := os.Open(file)
	require.NoError(t, err)
	defer fh.Close()
	var lines [][]byte
	sc := bufio.NewScanner(fh)
	for sc.Scan() {
		lines = append(lines, slices.Clone(sc.Bytes()))
	}
	require.NoError(t, sc.Err())
	return lines
}
