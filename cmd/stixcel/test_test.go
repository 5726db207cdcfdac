package main

import (
	"bytes"
	"encoding/xml"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/stixcel/stixcel/internal/shared"
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

// regressionRules are SigmaHQ rules of the shared snapshot with regression tests (Sysmon,
// Security and a channel of no short name, Windows Defender's, whose fields have spaces).
var regressionRules = []string{
	"rules/windows/file/file_event/file_event_win_anydesk_artefact.yml",
	"rules/windows/builtin/security/win_security_explicit_credential_local_logon.yml",
	"rules-emerging-threats/2026/Exploits/RedSun/win_defender_exploit_redsun_tiering_engine_detected_as_eicar.yml",
}

// TestTestSigma: test --sigma runs SigmaHQ's regression tests of the rules named (their
// info.yml found from the root of the rule's repository, above the rule) as cases of the text
// and JUnit reports, named by rule title and test; a wrong match_count fails under
// --exact-count, and the built-in pack is not tested beside the rules.
func TestTestSigma(t *testing.T) {
	sigmaRoot := shared.Path(t, "sigma")
	var args []string
	for _, r := range regressionRules {
		args = append(args, "--sigma", filepath.Join(sigmaRoot, r))
	}
	junit := filepath.Join(t.TempDir(), "junit.xml")
	ok := runCLI(t, nil, append([]string{"test", "-v", "--junit", junit}, args...)...)
	assert.Equal(t, exitOK, ok.code, ok.stdout+ok.stderr)
	assert.Contains(t, ok.stdout, "PASS Anydesk Temporary Artefact/Positive Detection Test")
	assert.Contains(t, ok.stdout, "PASS RedSun - TieringEngineService.exe Detected as EICAR Test File/Positive Detection Test")
	assert.Contains(t, ok.stdout, "PASS: 3/3")
	assert.NotContains(t, ok.stdout, "analytics/", "the built-in pack is not tested beside --sigma")
	assert.Contains(t, ok.stderr, "sigma: 3 rules in 3 files: 3 planned, 0 refused")
	data, err := os.ReadFile(junit)
	require.NoError(t, err)
	var doc struct {
		Tests int `xml:"tests,attr"`
		Cases []struct {
			Name      string `xml:"name,attr"`
			Classname string `xml:"classname,attr"`
		} `xml:"testsuite>testcase"`
	}
	require.NoError(t, xml.Unmarshal(data, &doc))
	assert.Equal(t, 3, doc.Tests)
	assert.Contains(t, doc.Cases, struct {
		Name      string `xml:"name,attr"`
		Classname string `xml:"classname,attr"`
	}{"Positive Detection Test", "Anydesk Temporary Artefact"})

	// A copy of the Anydesk rule and its regression data, whose match_count says 2: three
	// events match, so it passes as SigmaHQ's runner checks and fails with --exact-count.
	const data1 = "regression_data/rules/windows/file/file_event/file_event_win_anydesk_artefact"
	tmp := t.TempDir()
	copyInto(t, filepath.Join(sigmaRoot, regressionRules[0]), filepath.Join(tmp, "rules", "anydesk.yml"))
	for _, f := range []string{"info.yml", "0b9ad457-2554-44c1-82c2-d56a99c42377.json"} {
		copyInto(t, filepath.Join(sigmaRoot, data1, f), filepath.Join(tmp, data1, f))
	}
	info := filepath.Join(tmp, data1, "info.yml")
	text, err := os.ReadFile(info)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(info, bytes.Replace(text, []byte("match_count: 1"), []byte("match_count: 2"), 1), 0o644))
	runCases(t, []cliCase{
		{name: "a count other than match_count, as SigmaHQ checks", args: []string{"test", "--sigma", tmp}, code: exitOK, stdout: "PASS: 1/1"},
		{name: "exact count", args: []string{"test", "--sigma", tmp, "--exact-count"}, code: exitFindings,
			stdout: "anydesk.yml:28: FAIL Anydesk Temporary Artefact/Positive Detection Test\n    3 of 5 events match, want match_count 2"},
		{name: "a mapping that does not load", args: []string{"test", "--sigma", tmp, "--sigma-mapping", filepath.Join(tmp, "none.yaml")}, code: exitInput,
			stderr: "none.yaml: error: Sigma mapping: open "},
	})
}

// copyInto copies the file from to the file to, making its directory.
func copyInto(t *testing.T, from, to string) {
	t.Helper()
	require.NoError(t, os.MkdirAll(filepath.Dir(to), 0o755))
	copyFile(t, from, to)
}
