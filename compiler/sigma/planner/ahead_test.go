package planner_test

import (
	"path/filepath"
	goruntime "runtime"
	"testing"

	"github.com/stretchr/testify/require"

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
