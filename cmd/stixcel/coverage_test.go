package main

import (
	"encoding/json"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/stixcel/stixcel/internal/shared"
)

// TestCoverageLayer: coverage of the built-in pack over the enterprise bundle and the shared
// Windows datasets writes a Navigator 4.5 layer in which AN1030 (tests pass) scores its
// technique at 100 and the telemetry feeds it.
func TestCoverageLayer(t *testing.T) {
	bundle := shared.Path(t, "attack", "enterprise-attack-18.1-detection.json")
	layerFile := filepath.Join(t.TempDir(), "layer.json")
	args := append([]string{"coverage", "--bundle", bundle, "--source", "windows", "--layer", layerFile}, windowsDatasets(t)...)
	r := runCLI(t, nil, args...)
	require.Equal(t, exitOK, r.code, r.stderr)
	assert.Regexp(t, `(?m)^credential-access\s+\d+\s+[1-9]\d*\s+\d+\s+\d+\s+\d+\s+\d+\s+[1-9]\d*$`, r.stdout,
		"credential access has tested techniques and fed analytics")

	var layer struct {
		Versions   struct{ Layer string }
		Domain     string
		Techniques []struct {
			TechniqueID, Tactic, Comment string
			Score                        int
		}
	}
	require.NoError(t, json.Unmarshal([]byte(fileText(t, layerFile)), &layer))
	assert.Equal(t, "4.5", layer.Versions.Layer)
	assert.Equal(t, "enterprise-attack", layer.Domain)
	found := false
	for _, tech := range layer.Techniques {
		if tech.TechniqueID == "T1003.001" && tech.Tactic == "credential-access" {
			found = true
			assert.Equal(t, 100, tech.Score)
			assert.Contains(t, tech.Comment, "tested: AN1030 (fed)")
		}
	}
	assert.True(t, found, "T1003.001 under credential-access")
}

func TestSearch(t *testing.T) {
	bundle := shared.Path(t, "attack", "enterprise-attack-18.1-detection.json")
	r := runCLI(t, nil, "search", "lsass", "--technique", "T1003", "--bundle", bundle)
	require.Equal(t, exitOK, r.code, r.stderr)
	assert.Regexp(t, `(?m)^AN1030\s+detection bound\s+T1003\.001\s+Windows\s+DET0363 Detection of Credential Dumping`, r.stdout)

	r = runCLI(t, nil, "search", "--tactic", "Credential Access", "--platform", "windows", "--log-source", "sysmon", "--json", "--bundle", bundle)
	require.Equal(t, exitOK, r.code, r.stderr)
	var hits []struct {
		ID    string
		Kind  string
		Bound bool
	}
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &hits))
	assert.NotEmpty(t, hits)
	ids := map[string]bool{}
	for _, h := range hits {
		ids[h.ID] = h.Bound
	}
	assert.True(t, ids["AN1030"], "AN1030 found and bound")

	r = runCLI(t, nil, "search", "no such thing anywhere", "--bundle", bundle)
	assert.Equal(t, exitOK, r.code)
	assert.Contains(t, r.stderr, "0 analytics")
}
