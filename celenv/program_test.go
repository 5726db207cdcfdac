package celenv

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/stixcel/stixcel/plan"
)

// TestCheckProgram: what type-checks but cel-go refuses to plan is refused by CheckProgram,
// at the node to fix (the pattern of a matches() call), with the parameters folded in as the
// runtime folds them.
func TestCheckProgram(t *testing.T) {
	params := []*plan.Param{
		{Name: "Bad", Type: plan.ParseType("string"), Value: "a("},
		{Name: "Good", Type: plan.ParseType("string"), Value: "^a"},
		{Name: "Span", Type: plan.ParseType("string"), Value: "5x"},
	}
	env, err := ChannelEnv(params)
	require.NoError(t, err)
	vals, err := ParamVals(env, params)
	require.NoError(t, err)
	tests := []struct {
		name    string
		expr    string
		fold    bool
		wantErr string // "" for none
		wantPos [2]int // line, 0-based column
	}{
		{name: "valid pattern", expr: `event.x.matches("^a+$")`},
		{name: "unclosed group", expr: `event.x.matches("(")`, wantErr: "missing closing )", wantPos: [2]int{1, 16}},
		{name: "repeat count above 1000", expr: "event.x == \"y\" ||\n  event.x.matches(\"a{1001}\")", wantErr: "invalid repeat count", wantPos: [2]int{2, 18}},
		{name: "matches as a function", expr: `matches(event.x, "[")`, wantErr: "missing closing ]", wantPos: [2]int{1, 17}},
		{name: "constant conversion", expr: `duration("5x") > duration("1s")`, wantErr: "type conversion error", wantPos: [2]int{1, 8}},
		{name: "parameter folded in", expr: `event.x.matches(params.Bad)`, fold: true, wantErr: "missing closing )", wantPos: [2]int{1, 22}},
		{name: "parameter not folded", expr: `event.x.matches(params.Bad)`},
		{name: "valid parameter folded in", expr: `event.x.matches(params.Good)`, fold: true},
		{name: "conversion of a folded parameter", expr: `duration(params.Span) > duration("1s")`, fold: true, wantErr: "type conversion error", wantPos: [2]int{1, 8}},
		{name: "shadowed params are not folded", expr: `[1].exists(params, event.x.matches(string(params)))`, fold: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ast, _, err := CompileBool(env, tc.expr)
			require.NoError(t, err)
			var fold = vals
			if !tc.fold {
				fold = nil
			}
			err = CheckProgram(env, ast, fold)
			if tc.wantErr == "" {
				assert.NoError(t, err)
				return
			}
			var pe *ProgramError
			require.ErrorAs(t, err, &pe)
			assert.Contains(t, err.Error(), tc.wantErr)
			assert.Equal(t, tc.wantPos, [2]int{pe.Line, pe.Col})
		})
	}
}

func TestCompileBool(t *testing.T) {
	env, err := ChannelEnv(nil)
	require.NoError(t, err)
	tests := []struct{ expr, wantErr string }{
		{expr: `event.x == "a"`},
		{expr: `event.x`}, // dyn: checked when evaluated
		{expr: `1 + 2`, wantErr: "type int, want bool"},
		{expr: `evnt.x == 1`, wantErr: "undeclared reference to 'evnt'"},
	}
	for _, tc := range tests {
		_, _, err := CompileBool(env, tc.expr)
		if tc.wantErr == "" {
			assert.NoError(t, err, tc.expr)
			continue
		}
		assert.ErrorContains(t, err, tc.wantErr, tc.expr)
	}
}
