package main

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/stixcel/stixcel/internal/shared"
)

func TestExplainAN1828(t *testing.T) {
	r := runCLI(t, nil, "explain", "AN1828")
	require.Equal(t, exitOK, r.code, r.stderr)
	for _, want := range []string{
		"AN1828  Analytic 1828  (version 1.1, modified 2026-03-19T19:41:30.977Z)",
		"kind:        detection",
		"strategy:    DET0706",
		"techniques:  T1509 Non-Standard Port",
		"c4  MobileEDR:telemetry",
		`selector:  has(event.DeviceLockState) && event.DeviceLockState == "locked"`,
		"TimeWindow  duration = \"10m\"  (pack)",
		"group by:  device_id",
		"window:    10m (TimeWindow)",
	} {
		assert.Contains(t, r.stdout, want)
	}
}

func TestExplainStopsAfterStage(t *testing.T) {
	r := runCLI(t, nil, "explain", "AN1828", "--no-builtin", "--stage", "params")
	require.Equal(t, exitOK, r.code, r.stderr)
	assert.Contains(t, r.stdout, "BeaconIntervalTolerance  duration no value  (inferred)")
	assert.NotContains(t, r.stdout, "selector:  has(event.", "selectors come in the emit stage")
}

func TestExplainUnknownAnalytic(t *testing.T) {
	r := runCLI(t, nil, "explain", "AN9999")
	assert.Equal(t, exitInput, r.code)
	assert.Contains(t, r.stderr, "analytic AN9999 is not in the loaded bundles")
}

// TestExplainTechnique lists a technique's analytics; a technique without a sub-technique
// matches its sub-techniques, one with a sub-technique only itself.
func TestExplainTechnique(t *testing.T) {
	enterprise := shared.Path(t, "attack", "enterprise-attack-18.1-detection.json")
	tests := []struct {
		name      string
		args      []string
		want      []string
		notWanted []string
	}{
		{name: "a sub-technique", args: []string{"explain", "T1003.001", "--bundle", enterprise},
			want:      []string{"T1003.001: 1 analytic (stixcel explain ANALYTIC_ID for one)\n", "  AN1030  detection T1003.001  DET0363 Detection of Credential Dumping from LSASS Memory"},
			notWanted: []string{"AN0235"}},
		{name: "a technique and its sub-techniques, bundle as an argument", args: []string{"explain", "t1003", enterprise},
			want: []string{"T1003 and its sub-techniques: 12 analytics", "  AN0235  detection T1003.002", "  AN1030  detection T1003.001", "  AN0648  selector  T1003 "}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := runCLI(t, nil, tc.args...)
			require.Equal(t, exitOK, r.code, r.stderr)
			for _, w := range tc.want {
				assert.Contains(t, r.stdout, w)
			}
			for _, n := range tc.notWanted {
				assert.NotContains(t, r.stdout, n)
			}
		})
	}
}

// TestExplainDescriptionAndStrategy: explain shows what the plan does not carry, the
// analytic's description and its detection strategy by name.
func TestExplainDescriptionAndStrategy(t *testing.T) {
	r := runCLI(t, nil, "explain", "AN1030", "--bundle", shared.Path(t, "attack", "enterprise-attack-18.1-detection.json"))
	require.Equal(t, exitOK, r.code, r.stderr)
	assert.Contains(t, r.stdout, "\ndetection strategy:\n  DET0363  Detection of Credential Dumping from LSASS Memory via Access and Dump Sequence\n")
	assert.Contains(t, r.stdout, "\ndescription:\n  A non-privileged or abnormal process attempts to open a handle with full access (0x1F0FFF) to\n  lsass.exe")

	r = runCLI(t, nil, "explain", "AN1828")
	require.Equal(t, exitOK, r.code, r.stderr)
	assert.Contains(t, r.stdout, "\ndetection strategy:\n  DET0706 (not in the loaded bundles)\n", "the seed has no strategy object")
	assert.Contains(t, r.stdout, "\ndescription:\n  The defender correlates managed-app")
}

// TestExplainArgumentErrors: a missing argument is named, with an example; an unknown id
// with only the seed loaded says to pass --bundle.
func TestExplainArgumentErrors(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"explain"}, "stixcel: missing the ANALYTIC_ID or TECHNIQUE_ID to explain, for example: stixcel explain AN1828, or stixcel explain T1003.001 --bundle enterprise-attack.json\n"},
		{[]string{"explain", "T1003.001"}, "stixcel: no analytic of the loaded bundles detects technique T1003.001 (only the embedded seed bundle builtin:analytics/seed/AN1828.json is loaded; pass --bundle with the ATT&CK bundle that has it, such as enterprise-attack-….json)\n"},
		{[]string{"explain", "AN1030"}, "stixcel: analytic AN1030 is not in the loaded bundles (only the embedded seed bundle"},
	}
	for _, tc := range tests {
		r := runCLI(t, nil, tc.args...)
		assert.Equal(t, exitInput, r.code, tc.args)
		assert.Contains(t, r.stderr, tc.want, tc.args)
		assert.NotContains(t, r.stderr, "requires at least", tc.args)
	}
}
