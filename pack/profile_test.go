package pack

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/stixcel/stixcel/diag"
)

const profileSrc = `# organisation values
params:                     # every analytic that has this mutable element
  TimeWindow: 15m
  EntropyThreshold: 7.5
analytics:                  # one analytic; wins over params
  AN1828:
    EnterpriseExceptionList: [relay.corp.example]
    SupervisedRequired: false
  x-mitre-analytic--0a9c1b2d-3e4f-4a5b-8c6d-7e8f9a0b1c2d:
    AccessMask: 0x1F0FFF
`

func TestParseProfile(t *testing.T) {
	p, diags := ParseProfile("org.yaml", []byte(profileSrc))
	require.Empty(t, diags)
	require.NotNil(t, p)
	pos := func(line, col int) diag.Pos { return diag.Pos{File: "org.yaml", Line: line, Col: col} }

	require.Len(t, p.Params, 2)
	assert.Equal(t, "TimeWindow", p.Params[0].Name.Value)
	assert.Equal(t, pos(3, 3), p.Params[0].Name.Pos)
	assert.Equal(t, "15m", p.Params[0].Value)
	assert.Equal(t, pos(3, 15), p.Params[0].ValuePos)
	assert.Equal(t, 7.5, p.Params[1].Value)

	require.Len(t, p.Analytics, 2)
	an := p.Analytics[0]
	assert.Equal(t, "AN1828", an.Analytic.Value)
	assert.Equal(t, pos(6, 3), an.Analytic.Pos)
	require.Len(t, an.Params, 2)
	assert.Equal(t, []any{"relay.corp.example"}, an.Params[0].Value)
	assert.Equal(t, pos(7, 30), an.Params[0].ValuePos)
	assert.Equal(t, false, an.Params[1].Value)
	assert.Equal(t, "x-mitre-analytic--0a9c1b2d-3e4f-4a5b-8c6d-7e8f9a0b1c2d", p.Analytics[1].Analytic.Value)
	assert.Equal(t, int64(0x1F0FFF), p.Analytics[1].Params[0].Value)
}

func TestParseProfileEdges(t *testing.T) {
	tests := []struct {
		name       string
		src        string
		wantParams int
		wantDiag   string // "" for none
	}{
		{"empty file is an empty profile", "", 0, ""},
		{"comments only", "# TODO\n", 0, ""},
		{"null sections", "params:\nanalytics:\n", 0, ""},
		{"null value is a setting", "params:\n  Threshold:\n", 1, ""},
		{"unknown top-level key", "params: {}\nparms: {}\n", 0, `2:1: stixcel_unknown_key: unknown key "parms" in profile; did you mean "params"?`},
		{"list at the top", "- TimeWindow\n", 0, `1:1: stixcel_bad_shape: profile must be a mapping, not a list`},
		{"syntax error", "params: {TimeWindow: 15m\n", 0, `1:9: stixcel_yaml_syntax: invalid YAML: could not find flow mapping end token '}'`},
		{"params as a list", "params: [TimeWindow]\n", 0, `1:9: stixcel_bad_shape: params must be a mapping, not a list`},
		{"duplicate setting", "params:\n  A: 1\n  A: 2\n", 0, `3:3: stixcel_duplicate_key: duplicate key "A" (first at f.yaml:2:3)`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p, diags := ParseProfile("f.yaml", []byte(tc.src))
			if tc.wantDiag == "" {
				require.Empty(t, diags)
				require.NotNil(t, p)
				assert.Len(t, p.Params, tc.wantParams)
				return
			}
			require.Len(t, diags, 1, "ParseProfile(%q) = %v", tc.src, diags)
			assert.Equal(t, tc.wantDiag, renderDiag(diags[0]))
		})
	}
}
