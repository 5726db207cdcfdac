package runtime

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/stixcel/stixcel/event"
	"github.com/stixcel/stixcel/internal/golden"
)

const demoEvents = "../testdata/events/demo.jsonl"

// TestDemo runs AN1828 over the demo stream: four devices, one beaconing while locked.
func TestDemo(t *testing.T) {
	out, stats := run(t, loadAN1828(t, nil), readEvents(t, demoEvents))
	assert.Equal(t, []string{"ios-beacon-7 c1=10 c2=10 c4=4 c5=4 c7=4"}, summarize(out))
	assert.Zero(t, stats.EvalErrors, "demo events carry every field the predicates read")
	assert.Equal(t, int64(1), stats.Alerts)

	var got bytes.Buffer
	enc := json.NewEncoder(&got)
	enc.SetEscapeHTML(false)
	for _, o := range out {
		require.NoError(t, enc.Encode(o))
	}
	golden.Check(t, filepath.Join("testdata", "demo.alerts.golden"), got.Bytes())
}

func BenchmarkProcessAN1828(b *testing.B) {
	events := readEvents(b, demoEvents)
	eng, err := New(loadAN1828(b, nil))
	require.NoError(b, err)
	span := events[len(events)-1].Time.Sub(events[0].Time) + events[1].Time.Sub(events[0].Time)
	alerts := 0
	emit := func(Output) { alerts++ }
	// Replay the demo shifted by its span each round, so time advances as in a live stream.
	shifted := make([]*event.Event, len(events))
	for i, ev := range events {
		cp := *ev
		shifted[i] = &cp
	}
	b.ReportAllocs()
	b.ResetTimer()
	round := 0
	for i := 0; i < b.N; i++ {
		k := i % len(events)
		if k == 0 && i > 0 {
			round++
			for j, ev := range events {
				shifted[j].Time = ev.Time.Add(span * time.Duration(round))
			}
		}
		eng.Process(context.Background(), shifted[k], emit)
	}
	eng.Flush(emit)
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
	b.ReportMetric(float64(alerts)/float64(round+1), "alerts/round")
}

// FuzzProcess feeds arbitrary JSONL through AN1828: no panics, and alerts only for lines read.
func FuzzProcess(f *testing.F) {
	demo, err := os.ReadFile(demoEvents)
	require.NoError(f, err)
	f.Add(string(demo))
	f.Add(`{"time":"2026-03-20T09:00:00Z","log_source":"VPN:MobileProxy","device_id":[1],"protocol":{"a":1},"dst_port":"x"}`)
	set := loadAN1828(f, nil)
	f.Fuzz(func(t *testing.T, input string) {
		eng, err := New(set)
		require.NoError(t, err)
		r := event.NewReader(strings.NewReader(input), "fuzz.jsonl", nil)
		emit := func(o Output) {
			for _, c := range o.(*Alert).Channels {
				require.NotZero(t, c.Count)
			}
		}
		for {
			ev, _, err := r.Next()
			if err != nil {
				break
			}
			if ev != nil {
				eng.Process(context.Background(), ev, emit)
			}
		}
		eng.Flush(emit)
		require.Zero(t, eng.Stats().OpenAlerts)
	})
}
