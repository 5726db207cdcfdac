package serve

import (
	"bytes"
	"context"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/stixcel/stixcel/plan"
	"github.com/stixcel/stixcel/source"
)

// countLines counts the lines of files.
func countLines(b *testing.B, files []string) int {
	n := 0
	for _, f := range files {
		data, err := os.ReadFile(f)
		require.NoError(b, err)
		n += bytes.Count(data, []byte("\n"))
	}
	return n
}

// BenchmarkServe measures events/s through serve (publish, stage 1 with 1 or 2 instances,
// stage 2 with 4 partitions on 2 workers, until every alert is stored) against the engine
// of `stixcel run` on the same ten datasets, in the same process:
//
//	go test ./serve -run XXX -bench Serve -benchtime 3x
func BenchmarkServe(b *testing.B) {
	files := datasets(b)
	set, profile := windowsSet(b)
	want := runAlerts(b, set, profile, files)
	events := countLines(b, files)
	b.Run("run", func(b *testing.B) {
		start := time.Now()
		for range b.N {
			runAlerts(b, set, profile, files)
		}
		b.ReportMetric(float64(events*b.N)/time.Since(start).Seconds(), "events/s")
	})
	b.Run("publish-only", func(b *testing.B) {
		var total time.Duration
		for range b.N {
			b.StopTimer()
			js := connect(b, startServer(b).ClientURL())
			require.NoError(b, Setup(context.Background(), js, testNames))
			b.StartTimer()
			began := time.Now()
			publishFiles(b, js, testNames, profile, files)
			total += time.Since(began)
		}
		b.ReportMetric(float64(events*b.N)/total.Seconds(), "events/s")
	})
	for _, n := range []int{1, 2} {
		b.Run("serve-stage1x"+string(rune('0'+n)), func(b *testing.B) {
			var total time.Duration
			for range b.N {
				total += serveOnce(b, set, profile, files, n, len(want))
			}
			b.ReportMetric(float64(events*b.N)/total.Seconds(), "events/s")
		})
	}
}

// serveOnce runs one deployment over files and returns how long publish to the last alert took.
func serveOnce(b *testing.B, st *plan.Set, pr *source.Profile, files []string, stage1 int, alerts int) time.Duration {
	b.StopTimer()
	srv := startServer(b)
	js := connect(b, srv.ClientURL())
	require.NoError(b, Setup(context.Background(), js, testNames))
	b.StartTimer()
	began := time.Now()
	var ws []*worker
	for range stage1 {
		ws = append(ws, run((&Stage1{JS: js, Names: testNames, Set: st, Profile: pr}).Run))
	}
	for range 2 {
		ws = append(ws, run((&Stage2{JS: js, Names: testNames, Set: st, Profile: pr, IdleFlush: 200 * time.Millisecond}).Run))
	}
	publishFiles(b, js, testNames, pr, files)
	waitFor(b, 120*time.Second, "stage 1", func() bool { return stage1Drained(b, js, testNames) })
	got := waitAlerts(b, js, testNames, alerts, 120*time.Second)
	took := time.Since(began)
	b.StopTimer()
	for _, w := range ws {
		require.NoError(b, w.stop(b))
	}
	require.GreaterOrEqual(b, len(got), alerts)
	b.StartTimer()
	return took
}
