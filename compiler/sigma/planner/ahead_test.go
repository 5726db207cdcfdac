package planner_test

import (
	"path/filepath"
	goruntime "runtime"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/stixcel/stixcel/celenv"
	"github.com/stixcel/stixcel/compiler/sigma/planner"
	"github.com/stixcel/stixcel/internal/shared"
)

// TestPlanningOnEveryCoreIsPlanningInOrder: SigmaHQ's Windows rules, planned with their CEL
// checked ahead on 1 and on 4 goroutines, give the same plans and diagnostics, in the same
// order.
func TestPlanningOnEveryCoreIsPlanningInOrder(t *testing.T) {
	dir := shared.Dir(t)
	files, diags := planner.ReadPaths([]string{filepath.Join(dir, "sigma", "rules", "windows", "process_creation")})
	require.Empty(t, diags)
	require.NotEmpty(t, files)
	compile := func(procs int) *planner.Result {
		defer goruntime.GOMAXPROCS(goruntime.GOMAXPROCS(procs))
		return planner.Compile(files, planner.Options{Suppress: planner.DefaultSuppress})
	}
	one := compile(1)
	require.NotEmpty(t, one.Plans)
	require.Equal(t, one, compile(4))
}

// TestChannelFieldsAreEachPartsFields: a channel's fields, found in the one parse of its
// selector && (detection) that checking takes, are those of its selector then those of its
// detection, each parsed alone, over SigmaHQ's Windows rules.
func TestChannelFieldsAreEachPartsFields(t *testing.T) {
	dir := shared.Dir(t)
	files, diags := planner.ReadPaths([]string{filepath.Join(dir, "sigma", "rules", "windows")})
	require.Empty(t, diags)
	res := planner.Compile(files, planner.Options{Suppress: planner.DefaultSuppress})
	require.NotEmpty(t, res.Plans)
	channels := 0
	for _, p := range res.Plans {
		for _, ch := range p.Channels {
			want := []string{}
			for _, text := range []string{ch.Selector, ch.Predicate} {
				fields, err := celenv.EventFields(text)
				require.NoError(t, err)
				for _, f := range fields {
					if !slices.Contains(want, f) {
						want = append(want, f)
					}
				}
			}
			require.Equal(t, want, ch.Fields, "%s %s", p.ID, ch.ID)
			channels++
		}
	}
	t.Logf("%d channels", channels)
}
