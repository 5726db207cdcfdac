package serve

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/stretchr/testify/require"

	"github.com/stixcel/stixcel/event"
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

// BenchmarkServe measures events/s through serve against `stixcel run` on the ten shared
// Windows datasets with the enterprise plans, in the same process
// (go test ./serve -run XXX -bench Serve -benchtime 5x), each input out of order by up to
// the default lateness, as `stixcel run` and `stixcel publish` read files:
//
//   - vs-run alternates, iteration by iteration, `run` (its engine built, then the files
//     merged through it, as `stixcel run` does after loading plans) and the NATS path with
//     serve already running (stage 1, and stage 2 with 4 partitions on 2 workers, engines
//     built and partitions owned): publish → both stages → the last alert stored. It
//     reports both rates, their ratio and the ratio of the CPU time each took, and checks
//     that serve stored exactly run's alerts.
//   - vs-run-x10 does the same over each file named ten times (94,200 lines), so that the
//     fixed costs (engine build, idle flush) weigh little.
//   - publish-only: publish alone.
//   - stage1x2: the NATS path with two stage-1 instances sharing the consumer.
//   - cold: the NATS path with the stages started together with publish (their engines
//     built within the time).
func BenchmarkServe(b *testing.B) {
	files := datasets(b)
	set, profile := windowsSet(b)
	want := runAlertsLate(b, set, profile, files, event.DefaultLateness)
	events := countLines(b, files)
	b.Run("vs-run", func(b *testing.B) { benchmarkVsRun(b, set, profile, files, want, events) })
	b.Run("vs-run-x10", func(b *testing.B) {
		files := copies(b, files, 10)
		benchmarkVsRun(b, set, profile, files, runAlertsLate(b, set, profile, files, event.DefaultLateness), 10*events)
	})
	b.Run("publish-only", func(b *testing.B) {
		var total time.Duration
		for range b.N {
			b.StopTimer()
			js := connect(b, startServer(b).ClientURL())
			require.NoError(b, Setup(context.Background(), js, testNames))
			b.StartTimer()
			began := time.Now()
			publishFilesLate(b, js, testNames, profile, files, event.DefaultLateness)
			total += time.Since(began)
		}
		b.ReportMetric(float64(events*b.N)/total.Seconds(), "events/s")
	})
	b.Run("stage1x2", func(b *testing.B) {
		var total time.Duration
		for range b.N {
			took, _ := serveOnce(b, set, profile, files, 2, want, true)
			total += took
		}
		b.ReportMetric(float64(events*b.N)/total.Seconds(), "events/s")
	})
	b.Run("cold", func(b *testing.B) {
		var total time.Duration
		for range b.N {
			took, _ := serveOnce(b, set, profile, files, 1, want, false)
			total += took
		}
		b.ReportMetric(float64(events*b.N)/total.Seconds(), "events/s")
	})
}

// benchmarkVsRun alternates run and the NATS path with serve up over files, whose alerts
// are want and lines events.
func benchmarkVsRun(b *testing.B, set *plan.Set, profile *source.Profile, files []string, want []string, events int) {
	var runTook, serveTook, runCPU, serveCPU time.Duration
	for range b.N {
		began, cpu := time.Now(), processCPU()
		runAlertsLate(b, set, profile, files, event.DefaultLateness)
		runTook, runCPU = runTook+time.Since(began), runCPU+processCPU()-cpu
		took, cpu := serveOnce(b, set, profile, files, 1, want, true)
		serveTook, serveCPU = serveTook+took, serveCPU+cpu
	}
	b.ReportMetric(float64(events*b.N)/runTook.Seconds(), "run-events/s")
	b.ReportMetric(float64(events*b.N)/serveTook.Seconds(), "serve-events/s")
	b.ReportMetric(runTook.Seconds()/serveTook.Seconds(), "serve/run")
	if runCPU > 0 {
		b.ReportMetric(runCPU.Seconds()/serveCPU.Seconds(), "serve/run-cpu")
	}
}

// copies names each of files n times (symbolic links in a temporary directory): n times the
// events, each copy an input of its own (its lines have ids of their own on NATS).
func copies(b *testing.B, files []string, n int) []string {
	dir := b.TempDir()
	var out []string
	for i := range n {
		for _, f := range files {
			abs, err := filepath.Abs(f)
			require.NoError(b, err)
			link := filepath.Join(dir, fmt.Sprintf("%d-%s", i, filepath.Base(f)))
			require.NoError(b, os.Symlink(abs, link))
			out = append(out, link)
		}
	}
	return out
}

// serveOnce runs one deployment over files and returns how long publish to the last alert
// took, and the CPU time the process (client and server) used meanwhile; with warm, the stages are running and own their partitions before publish starts.
// It fails unless the alert stream holds exactly want.
func serveOnce(b *testing.B, st *plan.Set, pr *source.Profile, files []string, stage1 int, want []string, warm bool) (time.Duration, time.Duration) {
	b.StopTimer()
	defer b.StartTimer()
	srv := startServer(b)
	js := connect(b, srv.ClientURL())
	require.NoError(b, Setup(context.Background(), js, testNames))
	var ws []*worker
	began, cpu := time.Now(), processCPU()
	for range stage1 {
		ws = append(ws, run((&Stage1{JS: js, Names: testNames, Set: st, Profile: pr}).Run))
	}
	for range 2 {
		ws = append(ws, run((&Stage2{JS: js, Names: testNames, Set: st, Profile: pr, IdleFlush: 200 * time.Millisecond}).Run))
	}
	if warm {
		waitFor(b, 120*time.Second, "the stages", func() bool { return stagesReady(b, js, testNames) })
		began, cpu = time.Now(), processCPU()
	}
	publishFilesLate(b, js, testNames, pr, files, event.DefaultLateness)
	waitFor(b, 120*time.Second, "the alerts", func() bool { return storedAlerts(b, js, testNames) >= len(want) })
	took, cpu := time.Since(began), processCPU()-cpu
	got := streamAlerts(b, js, testNames)
	waitFor(b, 120*time.Second, "stage 1", func() bool { return stage1Drained(b, js, testNames) })
	for _, w := range ws {
		require.NoError(b, w.stop(b))
	}
	require.Equal(b, want, got, "serve's alerts, each once, are run's")
	return took, cpu
}

// stagesReady reports whether stage 1 consumes the events stream and every partition of
// the matches stream has its owner's consumer (each created once its engine is built).
func stagesReady(t testing.TB, js jetstream.JetStream, n Names) bool {
	n = n.withDefaults()
	consumers := func(stream string) int {
		st, err := js.Stream(context.Background(), stream)
		require.NoError(t, err)
		info, err := st.Info(context.Background())
		require.NoError(t, err)
		return info.State.Consumers
	}
	return consumers(n.EventsStream()) >= 1 && consumers(n.MatchesStream()) >= n.Partitions
}

// storedAlerts is how many messages the alert stream holds (one stream info request: the
// clock stops with the last alert without reading them all every poll).
func storedAlerts(t testing.TB, js jetstream.JetStream, n Names) int {
	st, err := js.Stream(context.Background(), n.withDefaults().AlertsStream())
	require.NoError(t, err)
	info, err := st.Info(context.Background())
	require.NoError(t, err)
	return int(info.State.Msgs)
}
