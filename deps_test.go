package stixcel_test

import (
	"os/exec"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestDependencies keeps the package graph one-way (ARCHITECTURE.md): cmd → compiler → plan ←
// runtime ← event. The runtime and the event layer never see the compiler, packs or STIX;
// the plan artifact and diagnostics depend on nothing of the compiler or the runtime.
func TestDependencies(t *testing.T) {
	const mod = "github.com/stixcel/stixcel"
	tests := []struct {
		pkgs   string
		banned []string
	}{
		{"./runtime/...", []string{mod + "/compiler", mod + "/pack", mod + "/source", mod + "/lint", mod + "/tester", "github.com/TcM1911/stix2", "github.com/nats-io"}},
		// serve runs plans on NATS: it takes a plan.Set, never compiles one.
		{"./serve", []string{mod + "/compiler", mod + "/pack", mod + "/lint", mod + "/tester", "github.com/TcM1911/stix2"}},
		{"./event/...", []string{mod + "/runtime", mod + "/compiler", mod + "/pack", mod + "/plan", "github.com/TcM1911/stix2"}},
		{"./plan/...", []string{mod + "/runtime", mod + "/compiler", mod + "/event", mod + "/pack", "github.com/TcM1911/stix2"}},
		// pump reads events for run, coverage, publish and the tester: it never sees the
		// compiler, packs, STIX or the engine.
		{"./pump", []string{mod + "/compiler", mod + "/pack", mod + "/source", mod + "/runtime", mod + "/lint", mod + "/tester", "github.com/TcM1911/stix2"}},
		// alertfmt formats what the runtime emits; it writes STIX by hand and reads no bundle.
		{"./alertfmt", []string{mod + "/compiler", mod + "/pack", mod + "/source", "github.com/TcM1911/stix2"}},
	}
	goBin, err := exec.LookPath("go")
	require.NoError(t, err, "the go command is needed to list dependencies")
	for _, tc := range tests {
		t.Run(tc.pkgs, func(t *testing.T) {
			out, err := exec.Command(goBin, "list", "-deps", tc.pkgs).CombinedOutput()
			require.NoError(t, err, string(out))
			deps := strings.Fields(string(out))
			require.NotEmpty(t, deps)
			for _, dep := range deps {
				for _, banned := range tc.banned {
					assert.False(t, dep == banned || strings.HasPrefix(dep, banned+"/"), "%s depends on %s", tc.pkgs, dep)
				}
			}
		})
	}
}
