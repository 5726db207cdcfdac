package main

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/stixcel/stixcel/internal/shared"
)

// TestDiffReleases: diff of the v18.0 and v18.1 enterprise releases, as text for people and
// as JSON for pipelines, and the argument errors.
func TestDiffReleases(t *testing.T) {
	v180 := shared.Path(t, "attack", "enterprise-attack-18.0-detection.json")
	v181 := shared.Path(t, "attack", "enterprise-attack-18.1-detection.json")

	r := runCLI(t, nil, "diff", v180, v181)
	require.Equal(t, exitOK, r.code, r.stderr)
	assert.Contains(t, r.stdout, "322 analytics changed their channels (3 reference count, 32 log source, 11 log source case, 0 data component, 276 text)\n")
	assert.Contains(t, r.stdout, "\nAN0469 Analytic 0469 (1.0 → 1.0): channels: text\n  c1 was WinEventLog:PowerShell (DC0064 Command Execution) `EventCode=4104`, now `EventCode=4103, 4104, 4105, 4106`\n")

	r = runCLI(t, nil, "diff", "--json", v180, v181)
	require.Equal(t, exitOK, r.code, r.stderr)
	var report struct {
		Summary struct{ Channels, MutableElements int } `json:"summary"`
		Changed []struct{ ID string }                   `json:"changed"`
	}
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &report))
	assert.Equal(t, 322, report.Summary.Channels)
	assert.Len(t, report.Changed, 323, "322 with changed channels and 1 with changed mutable elements only")

	// The built-in pack was written for v18.1: against v18.0 → v18.1, 41 of its 64 bindings
	// are on analytics whose channels changed, and CI gating an upgrade sees exit 1.
	r = runCLI(t, nil, "diff", "--json", v180, v181, "--pack", "analytics")
	assert.Equal(t, exitFindings, r.code, r.stderr)
	assert.Contains(t, r.stderr, "41 bindings drifted between")
	var withPack struct {
		Bindings []struct {
			File, Analytic string
			Why            []string
		} `json:"bindings"`
	}
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &withPack))
	require.Len(t, withPack.Bindings, 41)
	assert.Equal(t, "AN0406", withPack.Bindings[9].Analytic)
	assert.Equal(t, []string{"bound c2 was WinEventLog:Sysmon (DC0063 Windows Registry Key Modification) `EventCode=13`, now `EventCode=13, 14`"}, withPack.Bindings[9].Why)

	r = runCLI(t, nil, "diff", v181, v181, "--pack", "analytics")
	assert.Equal(t, exitOK, r.code, "nothing drifts between a release and itself")

	r = runCLI(t, nil, "diff", v180)
	assert.Equal(t, exitInput, r.code)
	assert.Contains(t, r.stderr, "diff takes two bundles, the old release then the new one (got 1); e.g. stixcel diff")
}
