package main

import (
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/stixcel/stixcel/internal/shared"
)

// TestNewSkeletons: stixcel new for analytics of five platforms writes skeletons that lint
// clean as written, whose tests are TODO (exit 1 under test's CI strictness); once a person
// fills them in (here: c1 keyed on the group value, todo removed), the tests pass.
func TestNewSkeletons(t *testing.T) {
	enterprise := shared.Path(t, "attack", "enterprise-attack-18.1-detection.json")
	mobile := shared.Path(t, "attack", "mobile-attack-18.1-detection.json")
	tests := []struct {
		platform, id, bundle, group string
	}{
		{"Windows", "AN0061", enterprise, "host"},
		{"Linux", "AN0110", enterprise, "host"},
		{"macOS", "AN0769", enterprise, "host"},
		{"IaaS", "AN0860", enterprise, "user"},
		{"iOS", "AN1789", mobile, "device_id"},
	}
	for _, tc := range tests {
		t.Run(tc.platform, func(t *testing.T) {
			dir := t.TempDir()
			r := runCLI(t, nil, "new", tc.id, "--bundle", tc.bundle, "-o", dir)
			require.Equal(t, exitOK, r.code, r.stderr)
			file := filepath.Join(dir, tc.id+".yaml")
			skeleton := fileText(t, file)
			assert.Contains(t, skeleton, "group_by: ["+tc.group+"]")
			assert.Contains(t, skeleton, "  fingerprint: ")

			r = runCLI(t, nil, "lint", dir, "--bundle", tc.bundle)
			assert.Equal(t, exitOK, r.code, r.stdout+r.stderr)
			assert.Contains(t, r.stderr, "0 errors, 0 warnings")

			r = runCLI(t, nil, "test", dir, "--bundle", tc.bundle)
			assert.Equal(t, exitFindings, r.code, r.stdout+r.stderr)
			assert.Contains(t, r.stdout, "TODO: 2/2")

			putFile(t, file, fillIn(skeleton, tc.group))
			r = runCLI(t, nil, "test", dir, "--bundle", tc.bundle)
			assert.Equal(t, exitOK, r.code, r.stdout+r.stderr)
			assert.Contains(t, r.stdout, "PASS: 2/2")
		})
	}
}

var todoLine = regexp.MustCompile(`(?m)^    todo: .*\n`)

// fillIn does what a person would: c1 tests the group value the positive case uses, and the
// cases lose their todo.
func fillIn(skeleton, group string) string {
	filled := strings.Replace(skeleton, `c1: "false"`, `c1: event.`+group+` == "entity-1"`, 1)
	return todoLine.ReplaceAllString(filled, "")
}

func TestNewRefusals(t *testing.T) {
	enterprise := shared.Path(t, "attack", "enterprise-attack-18.1-detection.json")
	r := runCLI(t, nil, "new", "AN1987", "--bundle", enterprise, "-o", t.TempDir())
	assert.Equal(t, exitInput, r.code)
	assert.Contains(t, r.stderr, "analytic AN1987 has no log source references")
	dir := t.TempDir()
	require.Equal(t, exitOK, runCLI(t, nil, "new", "AN1828", "-o", dir).code)
	r = runCLI(t, nil, "new", "AN1828", "-o", dir)
	assert.Equal(t, exitInput, r.code, "an existing binding is never overwritten")
	assert.Contains(t, r.stderr, "AN1828.yaml exists: edit it, or refresh its written_for with stixcel new --update")
	r = runCLI(t, nil, "new", "AN9999", "-o", t.TempDir())
	assert.Equal(t, exitInput, r.code)
	assert.Contains(t, r.stderr, "analytic AN9999 is not in the loaded bundles")
	r = runCLI(t, nil, "new")
	assert.Equal(t, exitInput, r.code)
	assert.Contains(t, r.stderr, "new needs an analytic id")
}
