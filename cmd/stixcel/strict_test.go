package main

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const (
	seedFile   = "analytics/seed/AN1828.json" // the seed bundle as a file of the repository
	driftType  = "cmd/stixcel/testdata/packs/drifttype"
	warnOnly   = "cmd/stixcel/testdata/packs/warnonly"
	skipAdvice = "pass --bundle enterprise-attack-….json, or --allow-skip"
	didYouMean = "stixcel: " + seedFile + " is an ATT&CK bundle, not a pack directory: did you mean --bundle " + seedFile + "?"
)

// TestTestStrictness: test exits 1 when no case ran or a case was skipped (unless
// --allow-skip, which still wants a case to run), and refuses a bundle given as a pack.
func TestTestStrictness(t *testing.T) {
	runCases(t, []cliCase{
		{name: "skipped cases fail the run", args: []string{"test"},
			code: exitFindings, stdout: "SKIP: 291/297", stderr: "stixcel: 291 of 297 test cases skipped, their analytics not loaded: " + skipAdvice},
		{name: "--allow-skip accepts them", args: []string{"test", "--allow-skip"},
			code: exitOK, stdout: "PASS: 6/297"},
		{name: "--run selecting loaded analytics only", args: []string{"test", "--run", "AN1828"},
			code: exitOK, stdout: "PASS: 6/6"},
		{name: "no case found", args: []string{"test", "--no-builtin", "--allow-skip"},
			code: exitFindings, stdout: "no test cases found", stderr: "stixcel: no test case ran: none found"},
		{name: "every case skipped, even with --allow-skip", args: []string{"test", "--allow-skip", "--run", "AN1030"},
			code: exitFindings, stdout: "SKIP: 6/6", stderr: "stixcel: no test case ran: all 6 skipped, their analytics not loaded; pass --bundle enterprise-attack-….json"},
		{name: "a bundle as a positional", args: []string{"test", seedFile},
			code: exitInput, stderr: didYouMean},
		{name: "a file that is no bundle as a positional", args: []string{"test", "testdata/events/demo.jsonl"},
			code: exitInput, stderr: "stixcel: testdata/events/demo.jsonl is a file but not a YAML binding: want a pack directory or a binding file (.yaml, .yml)"},
		{name: "the seed named beside a pack runs it", args: []string{"test", "--bundle", "builtin:analytics/seed/AN1828.json", warnOnly},
			code: exitOK, stdout: "PASS: 1/1"},
	})
}

// TestLintStrictness: a CEL type error is an error even in a binding written for another
// version (drift makes its other problems warnings), --strict makes warnings errors, and a
// bundle given as a pack gets "did you mean --bundle".
func TestLintStrictness(t *testing.T) {
	tests := []struct {
		name   string
		args   []string
		code   int
		stdout []string
		stderr string
	}{
		{name: "a type error under drift is an error", args: []string{"lint", driftType}, code: exitFindings,
			stdout: []string{driftType + "/AN1828.yaml:8:62: error: analytic AN1828 channel c4: found no matching overload for '_>_' applied to '(duration, int)'",
				driftType + "/AN1828.yaml:4:14: warning: analytic AN1828: binding written for version 1.0"}},
		{name: "a warning alone passes", args: []string{"lint", warnOnly}, code: exitOK,
			stdout: []string{warnOnly + "/AN1828.yaml:4:14: warning: analytic AN1828: binding written for version 1.0"}},
		{name: "--strict makes it an error", args: []string{"lint", "--strict", warnOnly}, code: exitFindings,
			stdout: []string{warnOnly + "/AN1828.yaml:4:14: error: analytic AN1828: binding written for version 1.0"}},
		{name: "--strict in SARIF", args: []string{"lint", "--strict", "--format", "sarif", warnOnly}, code: exitFindings,
			stdout: []string{`"level": "error"`}},
		{name: "a bundle as a positional", args: []string{"lint", seedFile}, code: exitInput,
			stderr: didYouMean},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := runCLI(t, nil, tc.args...)
			assert.Equal(t, tc.code, r.code, r.stdout+r.stderr)
			for _, w := range tc.stdout {
				assert.Contains(t, r.stdout, w)
			}
			assert.Contains(t, r.stderr, tc.stderr)
			if tc.args[1] != "--strict" {
				assert.NotContains(t, r.stdout, `"level": "error"`)
			}
		})
	}
}

// TestCompileTypeErrorUnderDrift: compile and run refuse a user's binding with a CEL type
// error whatever it was written for, as lint does.
func TestCompileTypeErrorUnderDrift(t *testing.T) {
	for _, args := range [][]string{{"compile", "--pack", driftType}, {"run", "--pack", driftType, "testdata/events/demo.jsonl"}} {
		r := runCLI(t, nil, args...)
		assert.Equal(t, exitInput, r.code, args)
		assert.Contains(t, r.stderr, driftType+"/AN1828.yaml:8:62: error: analytic AN1828 channel c4: found no matching overload", args)
		assert.Empty(t, r.stdout, args)
	}
}

// TestRunRefusesBundleAsEvents: a bundle given to run as events gets "did you mean --bundle";
// a FIFO is never read ahead to find out.
func TestRunRefusesBundleAsEvents(t *testing.T) {
	r := runCLI(t, nil, "run", seedFile)
	assert.Equal(t, exitInput, r.code)
	assert.Contains(t, r.stderr, "stixcel: "+seedFile+" is an ATT&CK bundle, not events: did you mean --bundle "+seedFile+"?")
	assert.Empty(t, r.stdout)

	dir := t.TempDir()
	minified := filepath.Join(dir, "min.json")
	require.NoError(t, os.WriteFile(minified, []byte("\xef\xbb\xbf{\"type\":\"bundle\",\"objects\":[]}"), 0o644))
	assert.True(t, looksLikeBundle(minified), "a BOM and no spaces")
	assert.False(t, looksLikeBundle("testdata/events/demo.jsonl"))
	assert.False(t, looksLikeBundle(dir), "a directory")
}
