package main

import (
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/stixcel/stixcel/internal/shared"
)

// loadedLine is the stderr line every command prints about the bundles it loaded.
var loadedLine = regexp.MustCompile(`(?m)^loaded \d+ files?, \d+ objects: \d+ analytics.*$`)

// TestEveryCommandLoadsTheSameBundles: compile, explain, run, test and lint load the same
// bundles for the same --bundle flags (the embedded seed only when none is named, or where
// it is named), and compile and explain also take them as arguments.
func TestEveryCommandLoadsTheSameBundles(t *testing.T) {
	mobile := shared.Path(t, "attack", "mobile-attack-18.1-detection.json")
	commands := [][]string{
		{"compile"},
		{"explain", "AN1828"},
		{"run", "testdata/events/demo.jsonl"},
		{"test", "--run", "AN1828"},
		{"lint"},
	}
	tests := []struct {
		name    string
		bundles []string
		want    string
	}{
		{"no bundle: the seed", nil, "loaded 1 file, 1 objects: 1 analytics,"},
		{"a bundle: only it", []string{"--bundle", mobile}, "loaded 1 file, 737 objects: 211 analytics,"},
		{"a bundle and the seed by name", []string{"--bundle", mobile, "--bundle", "builtin:analytics/seed/AN1828.json"},
			"loaded 2 files, 738 objects: 211 analytics, 0 revoked or deprecated skipped, 1 duplicates dropped,"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			for _, cmd := range commands {
				r := runCLI(t, nil, append(append([]string(nil), cmd...), tc.bundles...)...)
				assert.Contains(t, loadedLine.FindString(r.stderr), tc.want, "%v:\n%s", cmd, r.stderr)
			}
		})
	}
	for _, cmd := range []string{"compile", "explain AN1828"} {
		args := append(strings.Fields(cmd), mobile)
		r := runCLI(t, nil, args...)
		assert.Contains(t, r.stderr, "loaded 1 file, 737 objects: 211 analytics,", "%s BUNDLE", cmd)
	}
}

// TestTestAndRunAgree is the case: with the mobile bundle alone, the built-in AN1828
// binding (written for the seed's version 1.1) does not fit, so test fails where run stays
// silent; with the seed named too, test passes and run alerts.
func TestTestAndRunAgree(t *testing.T) {
	mobile := shared.Path(t, "attack", "mobile-attack-18.1-detection.json")
	tests := []struct {
		name     string
		bundles  []string
		testCode int
		alerts   int
	}{
		{"the mobile bundle", []string{"--bundle", mobile}, exitFindings, 0},
		{"the mobile bundle and the seed", []string{"--bundle", mobile, "--bundle", "builtin:analytics/seed/AN1828.json"}, exitOK, 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			test := runCLI(t, nil, append([]string{"test", "--run", "AN1828"}, tc.bundles...)...)
			assert.Equal(t, tc.testCode, test.code, test.stdout)
			run := runCLI(t, nil, append([]string{"run", "testdata/events/demo.jsonl"}, tc.bundles...)...)
			require.Equal(t, exitOK, run.code, run.stderr)
			assert.Len(t, lines(run.stdout), tc.alerts)
		})
	}
}
