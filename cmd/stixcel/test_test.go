package main

import (
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
)

// TestTestNoBuiltin checks that --no-builtin leaves out the built-in pack in test as it does
// in compile and run: with no pack directory nothing is tested (a run that checks nothing
// exits 1), and pack directories are tested as without the flag.
func TestTestNoBuiltin(t *testing.T) {
	builtin := runCLI(t, nil, "test", "-v", "--allow-skip")
	assert.Equal(t, exitOK, builtin.code, builtin.stderr)
	assert.Contains(t, builtin.stdout, "analytics/mobile/AN1828.yaml", "without the flag the built-in pack is tested")

	none := runCLI(t, nil, "test", "--no-builtin", "-v")
	assert.Equal(t, exitFindings, none.code, none.stderr)
	assert.Equal(t, "no test cases found\n", none.stdout)
	assert.NotContains(t, none.stderr, "analytics/")

	dir := runCLI(t, nil, "test", badPack)
	dirNoBuiltin := runCLI(t, nil, "test", "--no-builtin", badPack)
	assert.Equal(t, dir, dirNoBuiltin, "a pack directory already replaces the built-in pack")
	assert.Equal(t, exitFindings, dirNoBuiltin.code)
}

// TestTestBindingFiles: test takes binding files as well as pack directories, each running
// that binding's cases alone (its siblings in the directory are not run).
func TestTestBindingFiles(t *testing.T) {
	runCases(t, []cliCase{
		{name: "a binding file", args: []string{"test", "analytics/mobile/AN1828.yaml"},
			code: exitOK, stdout: "PASS: 6/6"},
		{name: "one binding of a directory of two", args: []string{"test", "--allow-skip", "tester/testdata/mixed/enterprise/AN1030.yaml"},
			code: exitFindings, stdout: "SKIP: 1/1", stderr: "no test case ran: all 1 skipped"},
		{name: "a file and its directory: the whole directory", args: []string{"test", "--allow-skip", "tester/testdata/mixed/enterprise/AN1030.yaml", "tester/testdata/mixed/enterprise"},
			code: exitFindings, stdout: "SKIP: 3/3"},
	})
}

// TestTestEvalErrors: a case whose binding fails to evaluate on every event is silent, as
// its test expects, but fails the run (exit 1) naming the channel and the CEL error; with
// --allow-eval-errors it passes.
func TestTestEvalErrors(t *testing.T) {
	const binding = "tester/testdata/evalerrors/every/AN1828.yaml"
	r := runCLI(t, nil, "test", binding)
	assert.Equal(t, exitFindings, r.code, r.stdout+r.stderr)
	assert.Contains(t, r.stdout, binding+":10: FAIL AN1828/silence over an error on every event\n")
	assert.Contains(t, r.stdout, "    2 errors of AN1828 c5: no such key: EventCode\n")
	assert.Contains(t, r.stdout, "FAIL: 1/1")

	r = runCLI(t, nil, "test", "--allow-eval-errors", binding)
	assert.Equal(t, exitOK, r.code, r.stdout+r.stderr)
	assert.Contains(t, r.stdout, "PASS: 1/1")
}

// TestTestBindingFileOfAProjectPack: a binding file of a pack the project file lists runs
// that binding's cases once, not the pack's and not twice.
func TestTestBindingFileOfAProjectPack(t *testing.T) {
	root := contentRepo(t, map[string]string{
		"stixcel.yaml":             "packs: [rules/mobile]\n",
		"rules/mobile/AN9999.yaml": "analytic: AN9999\ncondition: \"true\"\ntests:\n  - name: never runs\n    events: []\n    expect: []\n",
	})
	r := runIn(t, root, "test", filepath.Join(root, "rules", "mobile", "AN1828.yaml"))
	assert.Equal(t, exitOK, r.code, r.stdout+r.stderr)
	assert.Contains(t, r.stdout, "PASS: 6/6\n")
}
