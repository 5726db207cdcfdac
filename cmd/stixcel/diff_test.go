package main

import (
	"encoding/json"
	"path/filepath"
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

	// The built-in pack was written for v18.1 (its written_for fingerprints are v18.1's):
	// though 41 of its bindings are on analytics whose channels changed from v18.0, none
	// drifted, and CI gating the upgrade passes.
	r = runCLI(t, nil, "diff", "--json", v180, v181, "--pack", "analytics")
	assert.Equal(t, exitOK, r.code, r.stderr)
	var withPack struct {
		Bindings []struct {
			File, Analytic string
			Why            []string
		} `json:"bindings"`
	}
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &withPack))
	assert.Empty(t, withPack.Bindings)
	r = runCLI(t, nil, "diff", v180, v181, "--pack", "analytics")
	assert.Equal(t, exitOK, r.code, r.stderr)
	assert.Contains(t, r.stdout, "\n0 bindings drifted (41 more on analytics that changed are up to date: their written_for fingerprint is the new release's)\n")

	// A binding still written for v18.0 drifted, and the gate stays red until it is updated.
	dir := t.TempDir()
	putFile(t, filepath.Join(dir, "AN0406.yaml"), writtenFor(t, "analytic: AN0406\nchannels:\n  c2: has(event.EventCode)\n", releaseIndex(t, "enterprise-attack-18.0-detection.json").Analytic("AN0406")))
	r = runCLI(t, nil, "diff", "--json", v180, v181, "--pack", dir)
	assert.Equal(t, exitFindings, r.code, r.stderr)
	assert.Contains(t, r.stderr, "1 bindings drifted between")
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &withPack))
	require.Len(t, withPack.Bindings, 1)
	assert.Equal(t, "AN0406", withPack.Bindings[0].Analytic)
	assert.Equal(t, []string{"bound c2 was WinEventLog:Sysmon (DC0063 Windows Registry Key Modification) `EventCode=13`, now `EventCode=13, 14`"}, withPack.Bindings[0].Why)

	r = runCLI(t, nil, "new", "--update", filepath.Join(dir, "AN0406.yaml"), "--bundle", v181)
	require.Equal(t, exitOK, r.code, r.stderr)
	r = runCLI(t, nil, "diff", v180, v181, "--pack", dir)
	assert.Equal(t, exitOK, r.code, "after new --update:\n"+r.stdout+r.stderr)

	r = runCLI(t, nil, "diff", v181, v181, "--pack", "analytics")
	assert.Equal(t, exitOK, r.code, "nothing drifts between a release and itself")

	r = runCLI(t, nil, "diff", v180)
	assert.Equal(t, exitInput, r.code)
	assert.Contains(t, r.stderr, "diff takes two bundles, the old release then the new one (got 1); e.g. stixcel diff")
}
