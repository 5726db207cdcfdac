package runtime_test

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/stixcel/stixcel/event"
	"github.com/stixcel/stixcel/plan"
	"github.com/stixcel/stixcel/runtime"
)

// floodSet is one plan grouped by device whose channel splits its matches per destination
// host, with a condition that asks for a recurring series or a large count: neither holds
// when every match goes to a new host, so the window only grows and the condition is
// evaluated over it at every match.
func floodSet() *plan.Set {
	return &plan.Set{Schema: plan.Schema, Plans: []*plan.Plan{{
		ID: "SYN90002", Name: "beacon flood", Kind: plan.KindDetection, Params: []*plan.Param{},
		Channels: []*plan.Channel{{ID: "c1", LogSource: "net", Predicate: `event.dst_port == 4444`,
			SeriesBy: []string{"dst_host"}}},
		Correlation: plan.Correlation{GroupBy: []string{"device_id"}, WindowLiteral: "1000h",
			Condition: `c1 && (channels.c1.recurring(duration("5s")) || channels.c1.count > 1000000)`},
	}}}
}

// floodEvents are n events of one device, a second apart, each to a new host; reversed,
// the newest comes first.
func floodEvents(n int, reversed bool) []*event.Event {
	t0 := time.Date(2026, 3, 20, 9, 0, 0, 0, time.UTC)
	events := make([]*event.Event, n)
	for i := range events {
		events[i] = &event.Event{Time: t0.Add(time.Duration(i) * time.Second), LogSource: "net",
			Fields: map[string]any{"device_id": "ios-1", "dst_host": fmt.Sprintf("h%d.example", i), "dst_port": int64(4444)},
			Source: "flood.jsonl", Line: i + 1}
	}
	if reversed {
		slices.Reverse(events)
	}
	return events
}

// BenchmarkCorrelationFlood runs one device beaconing to a new host at every event, all in
// one group and one window, in time order and in reverse: the cost per event should not
// grow with the number of matches the window holds.
func BenchmarkCorrelationFlood(b *testing.B) {
	set := floodSet()
	for _, n := range []int{10_000, 100_000} {
		for _, order := range []string{"sorted", "reversed"} {
			b.Run(fmt.Sprintf("n=%d/%s", n, order), func(b *testing.B) {
				events := floodEvents(n, order == "reversed")
				alerts := 0
				emit := func(runtime.Output) { alerts++ }
				b.ReportAllocs()
				for b.Loop() {
					eng, err := runtime.New(set)
					require.NoError(b, err)
					for _, ev := range events {
						eng.Process(context.Background(), ev, emit)
					}
				}
				require.Zero(b, alerts, "no series recurs and the count stays below the bound")
				b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/event")
			})
		}
	}
}
