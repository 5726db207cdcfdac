package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/stixcel/stixcel/coverage"
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

// TestCoveragePlatform: --platform (any case, repeatable or comma-separated) keeps the
// analytics of those platforms: the table, the report and the layer, which names them and
// filters the matrix on them; a platform no analytic has is refused naming those there are.
func TestCoveragePlatform(t *testing.T) {
	bundle := shared.Path(t, "attack", "enterprise-attack-18.1-detection.json")
	linux := analyticsOf(t, "search", "--platform", "Linux", "--json", "--bundle", bundle)
	macOS := analyticsOf(t, "search", "--platform", "macOS", "--json", "--bundle", bundle)
	tests := []struct {
		name      string
		platforms []string // the flags
		want      []string // the report's and the layer filter's platforms
		allowed   map[string]bool
	}{
		{"one, any case", []string{"--platform", "LINUX"}, []string{"Linux"}, linux},
		{"comma-separated", []string{"--platform", "linux,macos"}, []string{"Linux", "macOS"}, union(linux, macOS)},
		{"repeated", []string{"--platform", "macos", "--platform", "Linux"}, []string{"macOS", "Linux"}, union(linux, macOS)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			layerFile := filepath.Join(t.TempDir(), "layer.json")
			args := append([]string{"coverage", "--json", "--bundle", bundle, "--layer", layerFile}, tc.platforms...)
			r := runCLI(t, nil, args...)
			require.Equal(t, exitOK, r.code, r.stderr)
			var report struct {
				Platforms  []string
				Techniques []struct{ Analytics []struct{ ID string } }
			}
			require.NoError(t, json.Unmarshal([]byte(r.stdout), &report))
			assert.Equal(t, tc.want, report.Platforms)
			seen := map[string]bool{}
			for _, tech := range report.Techniques {
				for _, a := range tech.Analytics {
					seen[a.ID] = true
					assert.True(t, tc.allowed[a.ID], "%s is not for %v", a.ID, tc.want)
				}
			}
			assert.NotEmpty(t, seen)
			assert.False(t, seen["AN1030"], "AN1030 (Windows) is left out")

			var layer struct {
				Name    string
				Filters struct{ Platforms []string }
			}
			require.NoError(t, json.Unmarshal([]byte(fileText(t, layerFile)), &layer))
			assert.Equal(t, tc.want, layer.Filters.Platforms)
			assert.Contains(t, layer.Name, strings.Join(tc.want, ", "))
		})
	}

	r := runCLI(t, nil, "coverage", "--bundle", bundle, "--platform", "Windwos")
	assert.Equal(t, exitInput, r.code)
	assert.Regexp(t, `--platform: no loaded analytic is for platform "Windwos" \(the analytics' platforms: .*Linux.*Windows`, r.stderr)
}

// analyticsOf runs a search printing JSON and returns the ids found.
func analyticsOf(t *testing.T, args ...string) map[string]bool {
	t.Helper()
	r := runCLI(t, nil, args...)
	require.Equal(t, exitOK, r.code, r.stderr)
	var hits []struct{ ID string }
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &hits))
	ids := map[string]bool{}
	for _, h := range hits {
		ids[h.ID] = true
	}
	require.NotEmpty(t, ids)
	return ids
}

func union(a, b map[string]bool) map[string]bool {
	out := map[string]bool{}
	for _, m := range []map[string]bool{a, b} {
		for k := range m {
			out[k] = true
		}
	}
	return out
}

// TestCoverageSigma: with --sigma a rule covers the technique of its tag, tested when its
// regression tests pass, and the layer names it.
func TestCoverageSigma(t *testing.T) {
	rule := shared.Path(t, "sigma", "rules", "windows", "file", "file_event", "file_event_win_anydesk_artefact.yml")
	layer := filepath.Join(t.TempDir(), "layer.json")
	r := runCLI(t, nil, "coverage", "--sigma", rule, "--json", "--layer", layer)
	require.Equal(t, exitOK, r.code, r.stderr)
	var report coverage.Report
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &report))
	assert.Contains(t, report.Techniques, coverage.Technique{ID: "T1219.002", Tactic: "command-and-control", Status: coverage.Tested,
		Analytics: []coverage.Analytic{{ID: "0b9ad457-2554-44c1-82c2-d56a99c42377", Rule: "Anydesk Temporary Artefact", Status: coverage.Tested}}})
	data, err := os.ReadFile(layer)
	require.NoError(t, err)
	assert.Contains(t, string(data), `"comment": "tested: Sigma: Anydesk Temporary Artefact"`)
}
