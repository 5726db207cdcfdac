package lint_test

import (
	"bytes"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/stixcel/stixcel/compiler/sigma/planner"
	"github.com/stixcel/stixcel/diag"
	"github.com/stixcel/stixcel/lint"
)

func TestSigma(t *testing.T) {
	in := lint.SigmaInputs{Paths: []string{"rules", "gone.yml"}, Files: []planner.File{{Path: "rules/a.yml"}, {Path: "rules/b.yml"}}, Mapping: "map.yaml"}
	compiled := diag.Diagnostics{
		{Pos: diag.Pos{File: "rules/b.yml", Line: 3, Col: 5}, Code: planner.CodeUncovered, Severity: diag.SeverityWarning, Msg: "uncovered"},
		{Pos: diag.Pos{File: "pack/AN1.yaml", Line: 1, Col: 1}, Code: diag.CodeTypeError, Severity: diag.SeverityError, Msg: "a binding's, linted apart"},
		{Pos: diag.Pos{File: "rules/a.yml", Line: 9, Col: 9}, Code: planner.CodeUnsupported, Severity: diag.SeverityError, Msg: "unsupported"},
		{Pos: diag.Pos{File: "rules/a.yml", Line: 9, Col: 9}, Code: planner.CodeUnsupported, Severity: diag.SeverityError, Msg: "unsupported"},
		{Pos: diag.Pos{File: "gone.yml"}, Code: diag.CodeIO, Severity: diag.SeverityError, Msg: "no such file"},
		{Pos: diag.Pos{File: "map.yaml", Line: 2, Col: 1}, Code: diag.CodeBadValue, Severity: diag.SeverityError, Msg: "bad mapping"},
	}
	tests := []struct {
		name   string
		strict bool
		want   []string
	}{
		{name: "every finding of the rules, sorted, once", want: []string{
			"gone.yml: error: no such file", "map.yaml:2:1: error: bad mapping",
			"rules/a.yml:9:9: error: unsupported", "rules/b.yml:3:5: warning: uncovered"}},
		{name: "strict", strict: true, want: []string{
			"gone.yml: error: no such file", "map.yaml:2:1: error: bad mapping",
			"rules/a.yml:9:9: error: unsupported", "rules/b.yml:3:5: error: uncovered"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var got []string
			for _, d := range lint.Sigma(append(diag.Diagnostics{}, compiled...), in, tc.strict) {
				got = append(got, d.Error())
			}
			assert.Equal(t, tc.want, got)
		})
	}
}

func TestWriteSigmaSummary(t *testing.T) {
	diags := diag.Diagnostics{
		{Pos: diag.Pos{File: "a.yml"}, Code: planner.CodeUnsupported, Severity: diag.SeverityError},
		{Pos: diag.Pos{File: "a.yml"}, Code: planner.CodeUnsupported, Severity: diag.SeverityError},
		{Pos: diag.Pos{File: "b.yml"}, Code: planner.CodeUnsupported, Severity: diag.SeverityError},
		{Pos: diag.Pos{File: "c.yml"}, Code: planner.CodeNeverMatches, Severity: diag.SeverityError},
		{Pos: diag.Pos{File: "d.yml"}, Code: planner.CodeUncovered, Severity: diag.SeverityWarning},
		{Pos: diag.Pos{File: "map.yaml"}, Code: diag.CodeBadValue, Severity: diag.SeverityError},
	}
	files := []planner.File{{Path: "a.yml"}, {Path: "b.yml"}, {Path: "c.yml"}, {Path: "d.yml"}}
	var out bytes.Buffer
	require.NoError(t, lint.WriteSigmaSummary(&out, planner.Stats{Files: 4, Rules: 4, Planned: 0, Refused: 3, Uncovered: 1}, diags, files))
	assert.Equal(t, "sigma: 4 rules in 4 files: 0 planned, 3 refused (stixcel_sigma_never_matches 1, stixcel_sigma_unsupported 2), 1 with no log source mapping, 0 below the level\n", out.String())

	out.Reset()
	require.NoError(t, lint.WriteSigmaSummary(&out, planner.Stats{Files: 2, Rules: 2, Planned: 1, Consumed: 1}, nil, nil))
	assert.Equal(t, "sigma: 2 rules in 2 files: 1 planned, 0 refused, 0 with no log source mapping, 0 below the level, 1 read by correlations only\n", out.String())
}
