package runtime_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/stixcel/stixcel/event"
	"github.com/stixcel/stixcel/plan"
	"github.com/stixcel/stixcel/runtime"
)

// BenchmarkComprehension runs predicates that loop over a parameter list, as the built-in
// pack's do, over 1,000 events: the programs the iteration limit applies to.
func BenchmarkComprehension(b *testing.B) {
	patterns := make([]any, 20)
	for i := range patterns {
		patterns[i] = fmt.Sprintf("pattern-%02d", i)
	}
	for _, predicate := range []string{
		"params.Patterns.exists(p, event.CommandLine.contains(p))",
		"params.Patterns.exists(p, event.CommandLine.matches('(?i)' + p + '$'))",
		"params.Patterns.filter(p, event.CommandLine.endsWith(p)).size() > 0",
	} {
		b.Run(predicate, func(b *testing.B) {
			set := &plan.Set{Schema: plan.Schema, Plans: []*plan.Plan{{
				ID: "AN0001", Kind: plan.KindDetection,
				Channels: []*plan.Channel{{ID: "c1", LogSource: "x", Predicate: predicate}},
				Params:   []*plan.Param{{Name: "Patterns", Type: plan.ParseType("list(string)"), Value: patterns}},
			}}}
			eng, err := runtime.New(set)
			require.NoError(b, err)
			events := make([]*event.Event, 1000)
			for i := range events {
				events[i] = &event.Event{Time: time.Unix(int64(i), 0), LogSource: "x",
					Fields: map[string]any{"CommandLine": fmt.Sprintf(`C:\Windows\system32\cmd.exe /c echo %d pattern-%02d`, i, i%40)}}
			}
			alerts := 0
			emit := func(runtime.Output) { alerts++ }
			b.ReportAllocs()
			for b.Loop() {
				for _, ev := range events {
					eng.Process(context.Background(), ev, emit)
				}
			}
			b.ReportMetric(float64(b.N*len(events))/b.Elapsed().Seconds(), "events/s")
		})
	}
}
