package tester

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/stixcel/stixcel"
	"github.com/stixcel/stixcel/compiler/attack"
)

// seedIndex loads the embedded seed bundle (AN1828 alone).
func seedIndex(t testing.TB) *attack.Index {
	t.Helper()
	ix, _, err := attack.Load([]attack.Source{{Name: stixcel.SeedBundleName, Data: stixcel.SeedBundle()}}, attack.Options{})
	require.NoError(t, err)
	return ix
}

// collect runs packs and gathers the results.
func collect(t testing.TB, r *Runner, packs ...*Pack) []Result {
	t.Helper()
	var out []Result
	for res := range r.Run(context.Background(), packs) {
		out = append(out, res)
	}
	return out
}

func TestBuiltinPack(t *testing.T) {
	p := LoadFS(stixcel.BuiltinPack(), stixcel.BuiltinPackRoot)
	require.False(t, p.Diagnostics.HasErrors(), "%v", p.Diagnostics)
	results := collect(t, NewRunner(seedIndex(t), Options{}), p)
	require.Len(t, results, 5)
	for _, r := range results {
		assert.True(t, r.Passed(), "%s: %s err=%v\n%s", r.Location, r.ID(), r.Err, r.Diff)
		assert.Equal(t, "AN1828", r.Analytic)
		assert.Equal(t, "analytics/mobile/AN1828.yaml", r.Location.File)
		t.Logf("%s %s: %d events, %d alerts, %s", r.Location, r.Name, r.Events, len(r.Alerts), r.Duration)
	}
}

// BenchmarkBuiltinPack measures one `stixcel test` run of the built-in pack: compiling the
// binding and running its cases (loading the seed excluded).
func BenchmarkBuiltinPack(b *testing.B) {
	ix := seedIndex(b)
	p := LoadFS(stixcel.BuiltinPack(), stixcel.BuiltinPackRoot)
	r := NewRunner(ix, Options{})
	for b.Loop() {
		sum, err := Report(r.Run(context.Background(), []*Pack{p}))
		if err != nil || sum.Passed != 5 {
			b.Fatalf("summary %+v, err %v", sum, err)
		}
	}
}
