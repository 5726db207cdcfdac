package main

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
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
