package bench

import (
	goruntime "runtime"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/stixcel/stixcel"
	"github.com/stixcel/stixcel/internal/shared"
	"github.com/stixcel/stixcel/plan"
	"github.com/stixcel/stixcel/runtime"
)

// BenchmarkEngineMemory reports the heap an engine holds once built (what runtime.New adds
// to the live heap, the plans themselves not counted) for the enterprise ATT&CK plans with
// the built-in pack (the baseline, `stixcel compile --bundle enterprise-attack-18.1-detection.json`)
// and for the big artifact of bench/whole.sh (the same with SigmaHQ's Windows, emerging
// threats and Windows threat-hunting rules), both in the same run: each one's MB and KB per
// plan, and what each Sigma plan adds (KB/sigma-plan: the difference over the Sigma plans).
// The process's peak RSS with the big artifact is whole.sh's (start-up and run).
//
//	cd bench && STIXCEL_SHARED=/work/shared go test -run XXX -bench EngineMemory -benchtime 3x
func BenchmarkEngineMemory(b *testing.B) {
	bundle := shared.Path(b, "attack", "enterprise-attack-18.1-detection.json")
	rules := []string{
		shared.Path(b, "sigma", "rules", "windows"),
		shared.Path(b, "sigma", "rules-emerging-threats"),
		shared.Path(b, "sigma", "rules-threat-hunting", "windows"),
	}
	enterprise := compileSet(b, stixcel.Inputs{Bundles: []string{bundle}})
	big := compileSet(b, stixcel.Inputs{Bundles: []string{bundle}, Sigma: rules})
	var entBytes, bigBytes float64
	b.ResetTimer()
	for range b.N {
		entBytes += float64(engineHeap(b, enterprise))
		bigBytes += float64(engineHeap(b, big))
	}
	n := float64(b.N)
	entBytes, bigBytes = entBytes/n, bigBytes/n
	sigmaPlans := float64(countSigma(big))
	b.ReportMetric(entBytes/1e6, "enterprise-MB")
	b.ReportMetric(entBytes/1e3/float64(len(enterprise.Plans)), "enterprise-KB/plan")
	b.ReportMetric(float64(len(enterprise.Plans)), "enterprise-plans")
	b.ReportMetric(bigBytes/1e6, "big-MB")
	b.ReportMetric(bigBytes/1e3/float64(len(big.Plans)), "big-KB/plan")
	b.ReportMetric(float64(len(big.Plans)), "big-plans")
	b.ReportMetric((bigBytes-entBytes)/1e3/sigmaPlans, "KB/sigma-plan")
	b.ReportMetric(0, "ns/op")
}

// compileSet compiles the inputs as `stixcel compile` does.
func compileSet(tb testing.TB, in stixcel.Inputs) *plan.Set {
	tb.Helper()
	l, err := in.Load()
	require.NoError(tb, err)
	set, _ := l.Compile("")
	require.NotEmpty(tb, set.Plans)
	return set
}

// engineHeap is how much the live heap grows by building an engine of set.
func engineHeap(tb testing.TB, set *plan.Set) uint64 {
	tb.Helper()
	before := liveHeap()
	eng, err := runtime.New(set)
	require.NoError(tb, err)
	after := liveHeap()
	goruntime.KeepAlive(eng)
	if after < before {
		return 0
	}
	return after - before
}

// liveHeap is the heap live after a full collection.
func liveHeap() uint64 {
	goruntime.GC()
	var ms goruntime.MemStats
	goruntime.ReadMemStats(&ms)
	return ms.HeapAlloc
}

func countSigma(set *plan.Set) int {
	n := 0
	for _, p := range set.Plans {
		if p.Origin == plan.OriginSigma {
			n++
		}
	}
	return n
}
