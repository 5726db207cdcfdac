package correlation

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/stixcel/stixcel/event"
	"github.com/stixcel/stixcel/runtime"
)

// BenchmarkWindow feeds one user's web access, one event a second, each with its own
// bytes_sent, through a correlation of each type with a 1h window: an evaluation walks the
// window's distinct values (value_*), so its cost grows with them.
func BenchmarkWindow(b *testing.B) {
	for _, tc := range []struct{ name, cond string }{
		{"event_count", "  type: event_count\n  condition: {gte: 100000}\n"},
		{"value_count", "  type: value_count\n  condition: {field: bytes_sent, gte: 100000}\n"},
		{"value_sum", "  type: value_sum\n  condition: {field: bytes_sent, gt: 1000000000000000}\n"},
		{"value_percentile", "  type: value_percentile\n  condition: {field: bytes_sent, lte: 0.01}\n"},
	} {
		b.Run(tc.name, func(b *testing.B) {
			set := buildSet(b, "title: b\ncorrelation:\n  rules: [website_access]\n  group-by: [User]\n  timespan: 1h\n"+tc.cond)
			const n = 7200
			evs := make([]*event.Event, n)
			for i := range evs {
				line := fmt.Sprintf(`{"time":%q,"log_source":"Proxy:web","EventCode":1,"User":"bob","bytes_sent":%d}`, t0.Add(time.Duration(i)*time.Second).Format(time.RFC3339), i)
				r := event.NewReader(strings.NewReader(line+"\n"), "b.jsonl", nil)
				ev, _, err := r.Next()
				require.NoError(b, err)
				evs[i] = ev
			}
			b.ResetTimer()
			for range b.N {
				eng, err := runtime.New(set)
				require.NoError(b, err)
				for _, ev := range evs {
					_ = eng.Process(context.Background(), ev, func(runtime.Output) {})
				}
				eng.Flush(func(runtime.Output) {})
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/event")
		})
	}
}
