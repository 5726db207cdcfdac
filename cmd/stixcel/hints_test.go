package main

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/stixcel/stixcel/internal/shared"
)

// Raw Windows event JSON as collectors export it (no "time", no "log_source"), and a
// normalized event.
const (
	rawSecurity = `{"Channel":"Security","EventID":4688,"TimeCreated":"2020-12-19T06:59:28.410Z","Hostname":"ws5"}` + "\n"
	rawSysmon   = `{"Channel":"Microsoft-Windows-Sysmon/Operational","EventID":1,"@timestamp":"2020-12-19T06:59:29.410Z","Hostname":"ws5"}` + "\n"
	normalized  = `{"time":"2020-12-19T06:59:27Z","log_source":"VPN:MobileProxy","device_id":"d"}` + "\n"
)

const (
	hintNothing   = "hint: no line was recognised (2 rejected): they are neither normalized events (time, log_source) nor raw logs of a shape stixcel reads without --source (windows (flat, evtx_dump, ecs)); <stdin>:1 is a JSON object with keys ts, host, msg: map such logs with a source profile, --source FILE.yaml (docs/events.md)"
	hintBundle    = "and 63 bindings wait for analytics that are not loaded (AN0095, AN0165, AN0199, AN0209, AN0235 and 58 more): pass --bundle enterprise-attack-….json"
	nothingErr    = "stixcel: no line of the input could be processed"
	anyHintPrefix = "hint:"
	syslogJSON    = `{"ts":"2020-12-19T06:59:28Z","host":"ws5","msg":"sshd: accepted"}` + "\n"
)

// TestRunFirstRunHints: a first run on real logs says what to do, in one line per hint, and
// a run of which no line could be processed exits 2. Raw Windows event JSON needs no
// --source.
func TestRunFirstRunHints(t *testing.T) {
	tests := []struct {
		name  string
		args  []string
		stdin string
		code  int
		want  []string // lines of stderr, each contained
		never []string // never in stderr
	}{
		{name: "raw Windows JSON without --source is read as --source windows", args: []string{"run"}, stdin: rawSecurity + rawSysmon,
			code: exitOK, want: []string{"hint: 2 events reached no plan (no loaded analytic reads their log source), " + hintBundle, "read 2 lines"},
			never: []string{nothingErr, "no line was recognised"}},
		{name: "raw Windows JSON among normalized events", args: []string{"run"}, stdin: normalized + rawSecurity + rawSysmon,
			code: exitOK, want: []string{"3 events processed, 0 rejected"}, never: []string{nothingErr, "no line was recognised"}},
		{name: "logs of no shape stixcel knows", args: []string{"run"}, stdin: syslogJSON + syslogJSON,
			code: exitInput, want: []string{hintNothing, nothingErr + ": 2 read, 2 rejected"}, never: []string{"bindings wait"}},
		{name: "--strict stops at the first unrecognised line, with the hint", args: []string{"run", "--strict"}, stdin: syslogJSON,
			code: exitInput, want: []string{"hint: no line was recognised (1 rejected): they are neither"}},
		{name: "lines missing time that are not Windows JSON", args: []string{"run"}, stdin: `{"log_source":"x","EventID":4688}` + "\n" + "not json\n",
			code: exitInput, want: []string{nothingErr + ": 2 read, 2 rejected", "<stdin>:1 is a JSON object with keys log_source, EventID: map such logs"}},
		{name: "--source windows without the enterprise bundle", args: []string{"run", "--source", "windows"}, stdin: rawSecurity + rawSysmon,
			code: exitOK, want: []string{"hint: 2 events reached no plan (no loaded analytic reads their log source), " + hintBundle},
			never: []string{"no line was recognised"}},
		{name: "--source windows on logs of another shape names no shapes", args: []string{"run", "--source", "windows"}, stdin: syslogJSON,
			code: exitInput, never: []string{"no line was recognised"}},
		{name: "a compiled artifact cannot name waiting bindings", args: []string{"run", "--plans", "PLANS"}, stdin: rawSecurity + rawSysmon,
			code: exitOK, never: []string{"bindings wait", anyHintPrefix}},
		{name: "the demo needs no hint", args: []string{"run", "testdata/events/demo.jsonl"},
			code: exitOK, never: []string{anyHintPrefix, nothingErr}},
		{name: "empty input is no error", args: []string{"run"},
			code: exitOK, want: []string{"read 0 lines"}, never: []string{anyHintPrefix, nothingErr}},
	}
	plans := t.TempDir() + "/plans.json"
	require.Equal(t, exitOK, runCLI(t, nil, "compile", "-o", plans).code)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			args := append([]string(nil), tc.args...)
			for i, a := range args {
				if a == "PLANS" {
					args[i] = plans
				}
			}
			r := runCLI(t, stringsReader(tc.stdin), args...)
			assert.Equal(t, tc.code, r.code, r.stderr)
			for _, w := range tc.want {
				assert.Contains(t, r.stderr, w)
			}
			for _, n := range tc.never {
				assert.NotContains(t, r.stderr, n)
			}
			assert.LessOrEqual(t, countLinesWith(r.stderr, anyHintPrefix), 1, "one line per hint:\n%s", r.stderr)
		})
	}
}

// TestRunFirstRunOnSharedDataset is the first run: a raw OTRF Windows export, with or
// without --source windows, and no bundle names the bundle; with the bundle, no hint.
func TestRunFirstRunOnSharedDataset(t *testing.T) {
	events := shared.Path(t, "datasets", "otrf-windows", "schtask_create.jsonl")
	bundle := shared.Path(t, "attack", "enterprise-attack-18.1-detection.json")
	tests := []struct {
		name string
		args []string
		code int
		want string // "" for no hint
	}{
		{"no --source", []string{"run", events}, exitOK, "pass --bundle enterprise-attack-….json"},
		{"no bundle", []string{"run", "--source", "windows", events}, exitOK, "pass --bundle enterprise-attack-….json"},
		{"the enterprise bundle", []string{"run", "--source", "windows", "--bundle", bundle, events}, exitOK, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := runCLI(t, nil, tc.args...)
			assert.Equal(t, tc.code, r.code, r.stderr)
			if tc.want == "" {
				assert.NotContains(t, r.stderr, anyHintPrefix)
				return
			}
			assert.Equal(t, 1, countLinesWith(r.stderr, anyHintPrefix), r.stderr)
			assert.Contains(t, r.stderr, tc.want)
		})
	}
}

// countLinesWith counts the lines of s that start with prefix.
func countLinesWith(s, prefix string) int {
	n := 0
	for _, l := range lines(s) {
		if strings.HasPrefix(l, prefix) {
			n++
		}
	}
	return n
}
