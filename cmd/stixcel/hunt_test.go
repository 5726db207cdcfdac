package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// huntPlans are two hunt sources and a selector plan that only tests the event type.
const huntPlans = `{"schema": "stixcel.plan/v2", "plans": [
  {"id": "AN0001", "kind": "selector", "hunt": true, "channels": [
    {"id": "c1", "log_source": "WinEventLog:PowerShell", "origin": "derived", "selects": "content",
     "selector": "has(event.CmdletName) && event.CmdletName in [\"Get-User\", \"Get-Recipient\"]"}]},
  {"id": "AN0002", "kind": "selector", "hunt": true, "channels": [
    {"id": "c1", "log_source": "WinEventLog:PowerShell", "origin": "derived", "selects": "content",
     "selector": "has(event.CmdletName) && event.CmdletName == \"Get-Recipient\""}]},
  {"id": "AN0003", "kind": "selector", "channels": [
    {"id": "c1", "log_source": "WinEventLog:PowerShell", "origin": "derived", "selects": "event_type",
     "selector": "has(event.EventCode) && event.EventCode == 4103"}]}]}`

const huntEvents = `{"time":"2026-03-20T09:00:00Z","log_source":"WinEventLog:PowerShell","EventCode":4103,"CmdletName":"Get-User"}
{"time":"2026-03-20T09:00:01Z","log_source":"WinEventLog:PowerShell","EventCode":4103,"CmdletName":"Get-Recipient"}
{"time":"2026-03-20T09:00:02Z","log_source":"WinEventLog:PowerShell","EventCode":4103}
`

func TestRunHuntSummary(t *testing.T) {
	plans := filepath.Join(t.TempDir(), "plans.json")
	require.NoError(t, os.WriteFile(plans, []byte(huntPlans), 0o600))
	tests := []struct {
		name       string
		args       []string
		wantOut    int
		wantStderr string
	}{
		{name: "hunt", args: []string{"--hunt"}, wantOut: 3, wantStderr: "hunt records by analytic:\n" +
			"  AN0001   2\n  AN0002   1\nhunt total: 3 records from 2 analytics\n"},
		{name: "no hunt", wantOut: 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			args := append([]string{"run", "--plans", plans, "-"}, tc.args...)
			r := runCLI(t, stringsReader(huntEvents), args...)
			require.Equal(t, exitOK, r.code, r.stderr)
			assert.Len(t, lines(r.stdout), tc.wantOut)
			assert.NotContains(t, r.stdout, "AN0003", "an event-type selector prints no hunt records")
			assert.NotContains(t, r.stderr, "evaluations failed", "events without CmdletName are no match, not errors")
			if tc.wantStderr == "" {
				assert.NotContains(t, r.stderr, "hunt total")
				return
			}
			_, summary, ok := strings.Cut(r.stderr, "hunt records\n")
			require.True(t, ok, r.stderr)
			assert.Equal(t, tc.wantStderr, summary)
		})
	}
}

// TestRunSummaryNamesEvaluationErrors: the run summary counts failed evaluations per analytic
// and channel (a hand-written plan whose selector reads a field without has()).
func TestRunSummaryNamesEvaluationErrors(t *testing.T) {
	plans := filepath.Join(t.TempDir(), "plans.json")
	unguarded := strings.Replace(huntPlans, `has(event.CmdletName) && event.CmdletName in`, `event.CmdletName in`, 1)
	require.NoError(t, os.WriteFile(plans, []byte(unguarded), 0o600))
	r := runCLI(t, stringsReader(huntEvents), "run", "--plans", plans, "--hunt", "-")
	require.Equal(t, exitOK, r.code, r.stderr)
	assert.Contains(t, r.stderr, "1 evaluations failed and counted as no match:\n"+
		"  analytic AN0001 c1: 1 (e.g. no such key: CmdletName)\n")
}
