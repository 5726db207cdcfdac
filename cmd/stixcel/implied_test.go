package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/stixcel/stixcel/internal/shared"
	"github.com/stixcel/stixcel/internal/winshapes"
	"github.com/stixcel/stixcel/source"
)

// TestWindowsShapesWithoutSource: an OTRF export written as evtx_dump JSON and as ECS JSON is
// read without --source by run, explain --events and coverage as the flat export is read with
// --source windows.
func TestWindowsShapesWithoutSource(t *testing.T) {
	bundle := shared.Path(t, "attack", "enterprise-attack-18.1-detection.json")
	flatPath := shared.Path(t, "datasets", "otrf-windows", "psh_lsass_memory_dump_comsvcs.jsonl")
	flat, err := os.ReadFile(flatPath)
	require.NoError(t, err)
	profile, err := source.Builtin("windows")
	require.NoError(t, err)
	timeOf := func(line []byte) (time.Time, bool) {
		ev, bad := source.NewDecoder(profile).Decode(line)
		if bad != nil || len(line) == 0 {
			return time.Time{}, false
		}
		return ev.Time, true
	}
	shapes := map[string]func(winshapes.Event) any{
		"evtx_dump": func(e winshapes.Event) any { return e.EvtxDump(true) },
		"ecs":       func(e winshapes.Event) any { return e.ECS(winshapes.Winlogbeat8) },
	}
	want := alertAnalytics(t, runCLI(t, nil, "run", "--source", "windows", "--bundle", bundle, flatPath))
	require.ElementsMatch(t, []string{"AN1030", "AN1308"}, want)
	wantCoverage := runCLI(t, nil, "coverage", "--source", "windows", "--bundle", bundle, flatPath)
	require.Equal(t, exitOK, wantCoverage.code, wantCoverage.stderr)
	for name, shape := range shapes {
		t.Run(name, func(t *testing.T) {
			data, err := winshapes.ConvertFlat(flat, timeOf, shape)
			require.NoError(t, err)
			path := filepath.Join(t.TempDir(), name+".json")
			require.NoError(t, os.WriteFile(path, data, 0o600))

			r := runCLI(t, nil, "run", "--bundle", bundle, path)
			assert.Equal(t, want, alertAnalytics(t, r), r.stderr)
			assert.Contains(t, r.stderr, "184 events processed, 0 rejected")

			r = runCLI(t, nil, "explain", "AN1030", "--bundle", bundle, "--events", path)
			require.Equal(t, exitOK, r.code, r.stderr)
			assert.True(t, strings.HasPrefix(r.stdout, "AN1030: 184 events, 1 alert\n"), "explain --events: %.200s", r.stdout)

			r = runCLI(t, nil, "coverage", "--bundle", bundle, path)
			require.Equal(t, exitOK, r.code, r.stderr)
			assert.Equal(t, wantCoverage.stdout, r.stdout, "coverage: the telemetry feeds the same analytics")
		})
	}
}

// alertAnalytics lists the analytics of a run's alerts, in output order.
func alertAnalytics(t *testing.T, r result) []string {
	t.Helper()
	require.Equal(t, exitOK, r.code, r.stderr)
	var out []string
	for _, line := range lines(r.stdout) {
		var a struct{ Analytic string }
		require.NoError(t, json.Unmarshal([]byte(line), &a))
		out = append(out, a.Analytic)
	}
	return out
}
