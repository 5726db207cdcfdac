package main

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/stixcel/stixcel/compiler/attack"
	"github.com/stixcel/stixcel/internal/shared"
	"github.com/stixcel/stixcel/scaffold"
)

// TestLintDriftAcrossReleases: bindings whose written_for records the v18.0 channels, linted
// against v18.1. The built-in AN1030 binding (c5's text changed) is flagged with the channel
// before and after; the three analytics whose number of channels changed are errors, and
// their bindings are not applied, so they cannot be bound silently.
func TestLintDriftAcrossReleases(t *testing.T) {
	v180 := releaseIndex(t, "enterprise-attack-18.0-detection.json")
	v181 := shared.Path(t, "attack", "enterprise-attack-18.1-detection.json")
	dir := t.TempDir()
	putFile(t, filepath.Join(dir, "AN1030.yaml"), writtenFor(t, fileText(t, "analytics/enterprise/AN1030.yaml"), v180.Analytic("AN1030")))
	require.NoError(t, os.CopyFS(filepath.Join(dir, "tests"), os.DirFS("analytics/enterprise/tests")))

	r := runCLI(t, nil, "lint", dir, "--bundle", v181)
	assert.Equal(t, exitOK, r.code, r.stdout+r.stderr)
	assert.Contains(t, r.stdout, "AN1030.yaml:17:5: warning: analytic AN1030: c5 was WinEventLog:Sysmon `EventCode=13`, now `EventCode=13, 14`: review the binding")

	for _, id := range []string{"AN0199", "AN0428", "AN1064"} {
		binding := "analytic: " + id + "\nchannels:\n  c1: has(event.EventCode)\n"
		putFile(t, filepath.Join(dir, id+".yaml"), writtenFor(t, binding, v180.Analytic(id)))
	}
	r = runCLI(t, nil, "lint", dir, "--bundle", v181)
	assert.Equal(t, exitFindings, r.code, r.stdout+r.stderr)
	assert.Regexp(t, `AN0199\.yaml:\d+:\d+: error: analytic AN0199 has 4 channels, the binding was written for 5: positions may have moved`, r.stdout)
	assert.Regexp(t, `AN0428\.yaml:\d+:\d+: error: analytic AN0428: c2 was WinEventLog:Security `+"`4673, 4674`"+`, now WinEventLog:Sysmon `+"`EventCode=11`", r.stdout)
	assert.Regexp(t, `AN1064\.yaml:\d+:\d+: error: analytic AN1064 has 3 channels, the binding was written for 2`, r.stdout)

	r = runCLI(t, nil, "compile", v181, "--pack", dir, "-o", filepath.Join(t.TempDir(), "plans.json"))
	assert.Equal(t, exitInput, r.code, "compile refuses a pack whose channels moved until it is reviewed")

	r = runCLI(t, nil, "new", "--update", filepath.Join(dir, "AN0199.yaml"), filepath.Join(dir, "AN0428.yaml"), filepath.Join(dir, "AN1064.yaml"), "--bundle", v181)
	require.Equal(t, exitOK, r.code, r.stderr)
	r = runCLI(t, nil, "lint", dir, "--bundle", v181)
	assert.Equal(t, exitOK, r.code, "after review and new --update:\n"+r.stdout)
	assert.NotContains(t, r.stdout, "stixcel_written_for")
}

func releaseIndex(t *testing.T, name string) *attack.Index {
	t.Helper()
	ix, _, err := attack.LoadPaths([]string{shared.Path(t, "attack", name)}, attack.Options{})
	require.NoError(t, err)
	return ix
}

// writtenFor returns the binding with its written_for recording a.
func writtenFor(t *testing.T, binding string, a *attack.Analytic) string {
	t.Helper()
	require.NotNil(t, a)
	out, err := scaffold.UpdateWrittenFor([]byte(binding), a)
	require.NoError(t, err)
	return string(out)
}

func fileText(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(name)
	require.NoError(t, err)
	return string(b)
}

func putFile(t *testing.T, name, text string) {
	t.Helper()
	require.NoError(t, os.WriteFile(name, []byte(text), 0o644))
}
