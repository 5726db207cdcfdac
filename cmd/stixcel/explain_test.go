package main

import (
	"encoding/json"
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

// TestExplainEvents: explain --events says per event why it did or did not alert: each
// channel's log source, selector and predicate (with the CEL error of one that fails on
// every event), what the group's window made of the matches, and the alerts.
func TestExplainEvents(t *testing.T) {
	const events = "explain/testdata/an1828.jsonl"
	r := runCLI(t, nil, "explain", "AN1828", "--events", events)
	require.Equal(t, exitOK, r.code, r.stderr)
	for _, want := range []string{
		"AN1828: 5 events, 1 rejected line, 1 alert\n",
		"\n" + events + ":3  2026-03-20T09:00:10Z  MobileEDR:telemetry\n  c1  not its log source (VPN:MobileProxy)\n",
		"  c4  no match: selector false\n",
		`  group {"device_id": "ios-1"}: c1, c2 in the window; condition false: no alert` + "\n",
		`  group {"device_id": "ios-1"}: c1, c2, c4 in the window; condition true: alert opened (window until 2026-03-20T09:10:30Z)` + "\n",
		"  " + events + ":5: invalid JSON",
		`  AN1828 group {"device_id": "ios-1"} first 2026-03-20T09:00:00Z last 2026-03-20T09:00:40Z channels c1=1 c2=1 c4=2` + "\n",
	} {
		assert.Contains(t, r.stdout, want)
	}

	r = runCLI(t, nil, "explain", "AN1828", "--no-builtin", "--pack", "tester/testdata/evalerrors/every", "--events", events, "--json")
	require.Equal(t, exitOK, r.code, r.stderr)
	var trace struct {
		Alerts []any `json:"alerts"`
		Events []struct {
			Line     int `json:"line"`
			Channels []struct {
				ID        string `json:"id"`
				Predicate struct{ Outcome, Error string }
			} `json:"channels"`
		} `json:"events"`
	}
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &trace))
	assert.Empty(t, trace.Alerts)
	require.Len(t, trace.Events, 5)
	assert.Equal(t, 1, trace.Events[3].Line)
	c5 := trace.Events[3].Channels[4]
	assert.Equal(t, "c5", c5.ID)
	assert.Equal(t, struct{ Outcome, Error string }{"error", "no such key: EventCode"}, c5.Predicate)

	r = runCLI(t, stringsReader(`{"time":"2026-03-20T09:00:00Z","log_source":"MobileEDR:telemetry","device_id":"ios-9","DeviceLockState":"locked"}`+"\n"),
		"explain", "AN1828", "--events", "-")
	require.Equal(t, exitOK, r.code, r.stderr)
	assert.Contains(t, r.stdout, `group {"device_id": "ios-9"}: c4 in the window; condition false: no alert`)
}

func TestExplainEventsArgumentErrors(t *testing.T) {
	tests := []struct {
		args   []string
		stderr string
	}{
		{[]string{"explain", "T1509", "--events", "explain/testdata/an1828.jsonl"}, "--events traces one analytic, not technique T1509"},
		{[]string{"explain", "AN1828", "--stage", "params", "--events", "explain/testdata/an1828.jsonl"}, "--events runs the complete plan: leave out --stage params"},
		{[]string{"explain", "AN1828", "--source", "windows"}, "--source maps the raw events of --events: give --events FILE too"},
		{[]string{"explain", "AN1828", "--events", "no/such/file.jsonl"}, "--events: open no/such/file.jsonl"},
		{[]string{"explain", "AN1828", "--events", "explain/testdata/an1828.jsonl", "--source", "nosuch"}, "nosuch"},
	}
	for _, tc := range tests {
		r := runCLI(t, nil, tc.args...)
		assert.Equal(t, exitInput, r.code, "%v: %s", tc.args, r.stderr)
		assert.Contains(t, r.stderr, tc.stderr, "%v", tc.args)
	}
}
