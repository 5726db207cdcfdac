package tester

import (
	"context"
	"github.com/stixcel/stixcel/pack"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/stixcel/stixcel"
	"github.com/stixcel/stixcel/compiler/attack"
)

// loadSeed loads the embedded seed bundle (AN1828 alone) and the built-in pack, as a plain
// `stixcel test` does.
func loadSeed(t testing.TB) *stixcel.Loaded {
	t.Helper()
	l, err := stixcel.Inputs{}.Load()
	require.NoError(t, err)
	return l
}

// seedIndex loads the embedded seed bundle (AN1828 alone).
func seedIndex(t testing.TB) *attack.Index {
	t.Helper()
	return loadSeed(t).Index
}

// collect runs packs and gathers the results.
func collect(t testing.TB, r *Runner, packs ...*pack.Pack) []Result {
	t.Helper()
	var out []Result
	for res := range r.Run(context.Background(), packs) {
		out = append(out, res)
	}
	return out
}

// TestBuiltinPack runs the built-in pack against the seed, as a plain `stixcel test` does:
// the AN1828 cases pass and the cases of analytics the seed lacks are skipped, so the run is
// OK.
func TestBuiltinPack(t *testing.T) {
	l := loadSeed(t)
	p := l.Builtin
	require.False(t, p.Diagnostics.HasErrors(), "%v", p.Diagnostics)
	sum, err := Test(context.Background(), l.Index, []*pack.Pack{p}, Options{}, resultFunc(func(r Result) {
		if r.Analytic != "AN1828" {
			assert.True(t, r.Skipped(), "%s: %s err=%v", r.Location, r.ID(), r.Err)
			assert.Contains(t, r.Skip, "analytic "+r.Analytic+" is not in the loaded bundles")
			return
		}
		assert.True(t, r.Passed(), "%s: %s err=%v\n%s", r.Location, r.ID(), r.Err, r.Diff)
		assert.Equal(t, "analytics/mobile/AN1828.yaml", r.Location.File)
		t.Logf("%s %s: %d events, %d alerts, %s", r.Location, r.Name, r.Events, len(r.Alerts), r.Duration)
	}))
	require.NoError(t, err)
	assert.Equal(t, 6, sum.Passed)
	assert.Equal(t, sum.Total-sum.Passed, sum.Skipped)
	assert.True(t, sum.OK())
	t.Logf("summary %+v", sum)
}

// resultFunc is a Reporter calling a function for each result.
type resultFunc func(Result)

func (f resultFunc) Result(r Result) error { f(r); return nil }
func (f resultFunc) End(Summary) error     { return nil }

// BenchmarkBuiltinPack measures one `stixcel test` run of the built-in pack: compiling the
// binding and running its cases (loading the seed excluded).
func BenchmarkBuiltinPack(b *testing.B) {
	l := loadSeed(b)
	p := l.Builtin
	r := NewRunner(l.Index, Options{})
	for b.Loop() {
		sum, err := Report(r.Run(context.Background(), []*pack.Pack{p}))
		if err != nil || sum.Passed != 6 {
			b.Fatalf("summary %+v, err %v", sum, err)
		}
	}
}
