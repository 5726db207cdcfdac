package bench

import (
	"bytes"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/stixcel/stixcel/compiler/parsed"
	"github.com/stixcel/stixcel/plan"
	"github.com/stixcel/stixcel/runtime"
)

// artifacts are the SigmaHQ artifact as `stixcel compile` writes it (with the channels'
// parsed forms) and as a stixcel.plan/v2 artifact held it (without them).
func artifacts(tb testing.TB, c *sigmaHQ) (withForms, without []byte) {
	tb.Helper()
	write := func(set *plan.Set) []byte {
		var buf bytes.Buffer
		require.NoError(tb, set.Write(&buf))
		return buf.Bytes()
	}
	without = write(c.set)
	set, err := plan.ParseRunnable(without, func(plan.Kind, bool) bool { return true })
	require.NoError(tb, err)
	parsed.Attach(set)
	return write(set), without
}

// start loads an artifact as `stixcel run --plans` does and builds its engine.
func start(tb testing.TB, artifact []byte) *runtime.Engine {
	tb.Helper()
	set, err := plan.ParseRunnable(artifact, func(k plan.Kind, hunt bool) bool { return plan.Runs(k, hunt, false) })
	require.NoError(tb, err)
	eng, err := runtime.New(set)
	require.NoError(tb, err)
	return eng
}

// TestSigmaHQParsedFormsAgree: the artifact with parsed forms gives the alerts and stats of
// the one without, on SigmaHQ's rules, the pack and the enterprise plans over the datasets.
func TestSigmaHQParsedFormsAgree(t *testing.T) {
	c := loadSigmaHQ(t)
	withForms, without := artifacts(t, c)
	run := func(artifact []byte) (string, runtime.Stats) {
		set, err := plan.ParseRunnable(artifact, func(k plan.Kind, hunt bool) bool { return plan.Runs(k, hunt, false) })
		require.NoError(t, err)
		alerts, stats, _ := (&sigmaHQ{set: set, files: c.files}).run(t)
		return alerts, stats
	}
	want, wantStats := run(without)
	require.NotEmpty(t, want)
	got, gotStats := run(withForms)
	require.Equal(t, want, got)
	require.Equal(t, wantStats, gotStats)
}

// BenchmarkStartup loads SigmaHQ's Windows rules, the built-in pack and the enterprise plans
// from an artifact and builds the engine, as `stixcel run --plans` starts, with the channels'
// parsed forms (stixcel.plan/v3) and, in turn within each iteration, without them (as a v2
// artifact, every expression parsed and its cost estimated): the baseline. It reports each
// one's milliseconds and their ratio, and the artifacts' sizes.
func BenchmarkStartup(b *testing.B) {
	c := loadSigmaHQ(b)
	withForms, without := artifacts(b, c)
	var tForms, tText time.Duration
	for b.Loop() {
		for _, v := range []struct {
			artifact []byte
			total    *time.Duration
		}{{withForms, &tForms}, {without, &tText}} {
			t0 := time.Now()
			start(b, v.artifact)
			*v.total += time.Since(t0)
		}
	}
	n := float64(b.N)
	b.ReportMetric(float64(tForms.Milliseconds())/n, "ms-forms")
	b.ReportMetric(float64(tText.Milliseconds())/n, "ms-text")
	b.ReportMetric(float64(tForms)/float64(tText), "x-text")
	b.ReportMetric(float64(len(withForms))/(1<<20), "MB-forms")
	b.ReportMetric(float64(len(without))/(1<<20), "MB-text")
	fmt.Fprintf(b.Output(), "%d plans\n", len(c.set.Plans))
}
