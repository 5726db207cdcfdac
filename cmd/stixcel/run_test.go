package main

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/stixcel/stixcel/internal/shared"
)

func TestRunDemo(t *testing.T) {
	r := runCLI(t, nil, "run", "testdata/events/demo.jsonl")
	require.Equal(t, exitOK, r.code, r.stderr)
	alerts := lines(r.stdout)
	require.Len(t, alerts, 1, "exactly one alert for the beaconing device")
	var a struct {
		Analytic   string
		Techniques []struct{ ID, Name string }
		Group      map[string]string
		Channels   []struct {
			ID    string
			Count int
		}
		Params map[string]any
	}
	require.NoError(t, json.Unmarshal([]byte(alerts[0]), &a))
	assert.Equal(t, "AN1828", a.Analytic)
	assert.Equal(t, "T1509", a.Techniques[0].ID)
	assert.Equal(t, "Non-Standard Port", a.Techniques[0].Name)
	assert.Equal(t, map[string]string{"device_id": "ios-beacon-7"}, a.Group)
	assert.Equal(t, "10m", a.Params["TimeWindow"])
	assert.Contains(t, r.stderr, "88 events processed, 0 rejected; 1 alerts")
}

func TestRunStdinAndRejects(t *testing.T) {
	in := `{"time":"2026-03-20T09:00:00Z","log_source":"VPN:MobileProxy","device_id":"d"}
not json
{"log_source":"VPN:MobileProxy"}
`
	r := runCLI(t, stringsReader(in), "run", "-")
	require.Equal(t, exitOK, r.code, r.stderr)
	assert.Contains(t, r.stderr, "<stdin>:2: invalid JSON")
	assert.Contains(t, r.stderr, "<stdin>:3: missing time")
	assert.Contains(t, r.stderr, "read 3 lines from 1 file: 1 events processed, 2 rejected")

	r = runCLI(t, stringsReader(in), "run", "--strict")
	assert.Equal(t, exitInput, r.code)
	assert.Contains(t, r.stderr, "<stdin>:2: invalid JSON")
}

func TestRunPlansArtifact(t *testing.T) {
	plans := t.TempDir() + "/plans.json"
	c := runCLI(t, nil, "compile", "-o", plans)
	require.Equal(t, exitOK, c.code, c.stderr)
	r := runCLI(t, nil, "run", "--plans", plans, "testdata/events/demo.jsonl")
	require.Equal(t, exitOK, r.code, r.stderr)
	assert.Len(t, lines(r.stdout), 1)
}

func TestRunProfiles(t *testing.T) {
	r := runCLI(t, nil, "run", "--params", "cmd/stixcel/testdata/profiles/exception.yaml", "testdata/events/demo.jsonl")
	require.Equal(t, exitOK, r.code, r.stderr)
	assert.Empty(t, r.stdout, "the beaconing host is an enterprise exception")

	r = runCLI(t, nil, "run", "--params", "cmd/stixcel/testdata/profiles/bad.yaml", "testdata/events/demo.jsonl")
	assert.Equal(t, exitInput, r.code)
	assert.Empty(t, r.stdout)
	assert.Contains(t, r.stderr, "cmd/stixcel/testdata/profiles/bad.yaml:2:3: error: parameter TimeWindw: no loaded analytic has it")
	assert.Contains(t, r.stderr, `cmd/stixcel/testdata/profiles/bad.yaml:5:30: error: analytic AN1828 param BeaconIntervalTolerance (duration): want duration such as "10m", got "five seconds"`)
}

func TestRunWindowsSourceOnLSASSDump(t *testing.T) {
	bundle := shared.Path(t, "attack", "enterprise-attack-18.1-detection.json")
	events := shared.Path(t, "datasets", "otrf-windows", "psh_lsass_memory_dump_comsvcs.jsonl")
	r := runCLI(t, nil, "run", "--source", "windows", "--bundle", bundle, events)
	require.Equal(t, exitOK, r.code, r.stderr)
	alerts := lines(r.stdout)
	require.Len(t, alerts, 2, "the LSASS dump, and the rundll32 comsvcs.dll MiniDump that performs it")
	got := map[string]string{}
	for _, line := range alerts {
		var a struct {
			Analytic   string
			Techniques []struct{ ID string }
		}
		require.NoError(t, json.Unmarshal([]byte(line), &a))
		got[a.Analytic] = a.Techniques[0].ID
	}
	assert.Equal(t, map[string]string{"AN1030": "T1003.001", "AN1308": "T1218.011"}, got)

	r = runCLI(t, nil, "run", "--source", "syslog", events)
	assert.Equal(t, exitInput, r.code)
	assert.Contains(t, r.stderr, `no built-in source profile "syslog"; built-in profiles: windows`)
}

func TestRunWorkersGiveIdenticalAlerts(t *testing.T) {
	inputs := [][]string{{"testdata/events/demo.jsonl"}}
	if bundle := shared.Path(t, "attack", "enterprise-attack-18.1-detection.json"); bundle != "" {
		inputs = append(inputs, []string{"--source", "windows", "--bundle", bundle,
			shared.Path(t, "datasets", "otrf-windows", "psh_mavinject_dll_notepad.jsonl"),
			shared.Path(t, "datasets", "otrf-windows", "schtask_create.jsonl")})
	}
	for _, in := range inputs {
		one := runCLI(t, nil, append([]string{"run", "--workers", "1"}, in...)...)
		two := runCLI(t, nil, append([]string{"run", "--workers", "2"}, in...)...)
		require.Equal(t, exitOK, one.code, one.stderr)
		require.Equal(t, exitOK, two.code, two.stderr)
		assert.NotEmpty(t, one.stdout)
		assert.Equal(t, one.stdout, two.stdout, "alerts of %v", in)
	}
}

// TestRunSummaryCountsRecords: run's closing summary, and coverage's telemetry line, count an
// .evtx file's records as records, not lines, and a JSON lines file beside it as lines.
func TestRunSummaryCountsRecords(t *testing.T) {
	evtx := shared.Path(t, "sigma", "regression_data", "rules", "windows", "file", "file_event",
		"file_event_win_hktl_netexec_file_indicators", "efc21479-9e83-41da-8cf1-122e06ba8db3.evtx")
	runCases(t, []cliCase{
		{name: "run, an EVTX file", args: []string{"run", evtx}, code: exitOK,
			stderr: "read 7 records from 1 file: 7 events processed, 0 rejected; 0 alerts"},
		{name: "run, EVTX and JSON lines", args: []string{"run", evtx, "testdata/events/demo.jsonl"}, code: exitOK,
			stderr: "read 88 lines and 7 records from 2 files: 95 events processed, 0 rejected; 1 alerts"},
		{name: "coverage", args: []string{"coverage", "--events", evtx}, code: exitOK,
			stderr: "telemetry: read 7 records from 1 file: 7 events, 0 rejected"},
	})
}
