package main

import (
	"bytes"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/stixcel/stixcel/internal/shared"
	"github.com/stixcel/stixcel/plan"
)

func TestCompileBadBundles(t *testing.T) {
	tests := []struct {
		file string
		want string
	}{
		{"truncated.json", "truncated.json: not valid JSON: unexpected end of JSON input at offset 700 (line 24, column 63)"},
		{"type5.json", `type5.json: object 0 (x-mitre-analytic--7c96d701-391d-4904-b6ba-941344aaf059): "type" is a number, want a string`},
		{"array.json", "array.json: object 0: is a number, want a JSON object"},
	}
	for _, tc := range tests {
		t.Run(tc.file, func(t *testing.T) {
			r := runCLI(t, nil, "compile", "cmd/stixcel/testdata/bundles/"+tc.file)
			assert.Equal(t, exitInput, r.code)
			assert.Empty(t, r.stdout)
			require.Len(t, lines(r.stderr), 1, "one-line error, got:\n%s", r.stderr)
			assert.Contains(t, r.stderr, tc.want)
		})
	}
}

func TestCompileSeedByDefault(t *testing.T) {
	r := runCLI(t, nil, "compile")
	require.Equal(t, exitOK, r.code, r.stderr)
	set, err := plan.Read(bytes.NewReader([]byte(r.stdout)))
	require.NoError(t, err)
	require.Len(t, set.Plans, 1)
	assert.Equal(t, "AN1828", set.Plans[0].ID)
	assert.Equal(t, plan.KindDetection, set.Plans[0].Kind, "the built-in pack binds AN1828")
	assert.Contains(t, r.stderr, "compiled 1 plans (1 detection, 0 selector of which 0 hunt sources, 0 inert)")
}

func TestCompileEnterpriseToFile(t *testing.T) {
	bundle := shared.Path(t, "attack", "enterprise-attack-18.1-detection.json")
	out := t.TempDir() + "/plans.json"
	r := runCLI(t, nil, "compile", bundle, "-o", out)
	require.Equal(t, exitOK, r.code, r.stderr)
	assert.Empty(t, r.stdout)
	assert.Contains(t, r.stderr, "compiled 1739 plans (63 detection, 929 selector of which 3 hunt sources, 747 inert)")
}

func TestCompileMobileWithDriftedBuiltinBinding(t *testing.T) {
	bundle := shared.Path(t, "attack", "mobile-attack-18.1-detection.json")
	r := runCLI(t, nil, "compile", bundle)
	require.Equal(t, exitOK, r.code, r.stderr)
	assert.Contains(t, r.stderr, "warning: analytic AN1828: binding written for version 1.1 does not fit version 1.0")
	assert.Equal(t, 1, strings.Count(r.stderr, "warning:"), "one headline for the built-in pack's drift:\n%s", r.stderr)
	assert.Contains(t, r.stderr, "compiled 211 plans")
}
