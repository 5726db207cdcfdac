package explain

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/stixcel/stixcel/internal/golden"
	"github.com/stixcel/stixcel/plan"
	"github.com/stixcel/stixcel/pump"
	"github.com/stixcel/stixcel/runtime"
)

// an1828 reads the hand-written AN1828 plan the runtime's tests use.
func an1828(t *testing.T) *plan.Plan {
	t.Helper()
	set, err := plan.ReadRunnableFile(filepath.Join("..", "testdata", "plans", "AN1828.plan.json"), false)
	require.NoError(t, err)
	return set.Plans[0]
}

// traceFile traces the events of testdata/NAME through p.
func traceFile(t *testing.T, p *plan.Plan, name string) *Trace {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", name))
	require.NoError(t, err)
	defer f.Close()
	tr, err := Events(context.Background(), p, []pump.Input{{Name: name, R: f}}, nil)
	require.NoError(t, err)
	return tr
}

// TestEventsReadAsRun: events are read as run reads them (one pump, run's lateness): two
// inputs are merged in event time, and an event more than the lateness behind its input is
// rejected as late, as run rejects it, instead of being sorted in.
func TestEventsReadAsRun(t *testing.T) {
	const (
		a = `{"time":"2026-03-20T09:10:00Z","log_source":"MobileEDR:telemetry","device_id":"ios-1","DeviceLockState":"locked"}` + "\n" +
			`{"time":"2026-03-20T09:00:00Z","log_source":"MobileEDR:telemetry","device_id":"ios-2","DeviceLockState":"locked"}` + "\n"
		b = `{"time":"2026-03-20T09:05:00Z","log_source":"MobileEDR:telemetry","device_id":"ios-3","DeviceLockState":"locked"}` + "\n"
	)
	tr, err := Events(context.Background(), an1828(t), []pump.Input{
		{Name: "a.jsonl", R: strings.NewReader(a)}, {Name: "b.jsonl", R: strings.NewReader(b)},
	}, nil)
	require.NoError(t, err)
	var got []string
	for _, ev := range tr.Events {
		got = append(got, fmt.Sprintf("%s:%d", ev.Source, ev.Line))
	}
	assert.Equal(t, []string{"a.jsonl:2", "b.jsonl:1", "a.jsonl:1"}, got, "a batch, sorted by event time whatever the line order")
	assert.Empty(t, tr.Rejected, "nothing is late in a batch")
}

// TestEventsText: per event, in event-time order, how far each channel got and what the
// group's window made of the matches; the bad line is listed, and the alert is run's.
func TestEventsText(t *testing.T) {
	tr := traceFile(t, an1828(t), "an1828.jsonl")
	var b bytes.Buffer
	require.NoError(t, tr.WriteText(&b))
	golden.Check(t, filepath.Join("testdata", "an1828.trace.golden"), b.Bytes())
	assert.True(t, tr.Alerted())
}

// TestEventsEvaluationErrors: a predicate that fails on every event (the field is not in
// mobile telemetry) shows CEL's error on each event, which is why nothing alerts.
func TestEventsEvaluationErrors(t *testing.T) {
	p := an1828(t)
	p.Channel("c4").Predicate = `event.EventCode.matches("x")`
	tr := traceFile(t, p, "an1828.jsonl")
	assert.False(t, tr.Alerted())
	var b bytes.Buffer
	require.NoError(t, tr.WriteText(&b))
	assert.Contains(t, b.String(), "\nan1828.jsonl:1  2026-03-20T09:00:30Z  MobileEDR:telemetry\n")
	assert.Contains(t, b.String(), "  c4  no match: selector true, predicate error (counted as false): no such key: EventCode\n")

	out, err := json.Marshal(tr)
	require.NoError(t, err)
	var got struct {
		Events []struct {
			Line     int
			Channels []runtime.ChannelTrace
		}
	}
	require.NoError(t, json.Unmarshal(out, &got))
	require.NotEmpty(t, got.Events)
	assert.Equal(t, runtime.Check{Outcome: runtime.OutcomeError, Error: "no such key: EventCode"}, got.Events[3].Channels[3].Predicate)
	assert.Equal(t, 1, got.Events[3].Line, "events in event-time order, each citing its line")
}

// TestEventsUnusedChannels: channels the condition does not use are named once, not on every
// event, and an event whose log source no evaluated channel reads takes one line.
func TestEventsUnusedChannels(t *testing.T) {
	p := an1828(t)
	p.Correlation.Condition = "c4"
	tr := traceFile(t, p, "an1828.jsonl")
	var b bytes.Buffer
	require.NoError(t, tr.WriteText(&b))
	text := b.String()
	assert.Contains(t, text, "not evaluated (the condition does not use them): c1, c2, c3, c5, c6, c7\n")
	assert.Contains(t, text, "\nan1828.jsonl:2  2026-03-20T09:00:00Z  VPN:MobileProxy\n  no channel reads this log source: no alert\n")
	assert.Contains(t, text, "\nan1828.jsonl:1  2026-03-20T09:00:30Z  MobileEDR:telemetry\n  c4  matched: selector true, predicate true\n"+
		`  group {"device_id": "ios-1"}: c4 in the window; condition true: alert opened (window until 2026-03-20T09:10:30Z)`+"\n")
}
