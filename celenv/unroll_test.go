package celenv

import (
	"fmt"
	"testing"

	"github.com/google/cel-go/cel"
	"github.com/google/cel-go/common/types"
	"github.com/google/cel-go/common/types/ref"
	"github.com/google/cel-go/interpreter"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/stixcel/stixcel/plan"
)

var unrollParams = []*plan.Param{
	{Name: "Masks", Type: plan.ParseType("list(string)"), Value: []any{"0x1410", "0x1FFFFF", "0x40"}},
	{Name: "Images", Type: plan.ParseType("list(regex)"), Value: []any{`(?i)\\lsass\.exe$`, `(?i)^c:\\windows\\`}},
	{Name: "Numbers", Type: plan.ParseType("list(string)"), Value: []any{"12", "x", "7"}},
	{Name: "Empty", Type: plan.ParseType("list(string)"), Value: []any{}},
	{Name: "Bad", Type: plan.ParseType("list(string)"), Value: []any{"(", "a"}},
	{Name: "Users", Type: plan.ParseType("map(string, string)"), Value: map[string]any{"a": "b"}},
	{Name: "Limit", Type: plan.ParseType("int"), Value: 3},
}

// TestUnrollKeepsMeaning evaluates each expression as written and unrolled on events chosen
// to make each element decide, no element decide, and elements fail: the same value, or an
// error in both.
func TestUnrollKeepsMeaning(t *testing.T) {
	env, err := ChannelEnv(unrollParams)
	require.NoError(t, err)
	vals, err := ParamVals(env, unrollParams)
	require.NoError(t, err)
	tests := []struct {
		expr   string
		unroll bool
		plans  bool // cel-go plans the unrolled expression (it refuses constants it cannot convert or compile)
	}{
		{`params.Masks.exists(m, event.GrantedAccess.matches('(?i)^' + m + '$'))`, true, true},
		{`params.Masks.exists(m, event.GrantedAccess.lowerAscii() == m.lowerAscii())`, true, true},
		{`params.Images.exists(p, event.Image.matches(p))`, true, true},
		{`!params.Images.exists(p, event.Image.matches(p)) && event.Image.endsWith('.exe')`, true, true},
		{`params.Masks.all(m, event.GrantedAccess != m)`, true, true},
		{`params.Numbers.exists(n, int(n) > event.Count)`, true, false}, // "x" fails to convert
		{`params.Numbers.all(n, int(n) < event.Count)`, true, false},
		{`params.Empty.exists(e, event.Image == e)`, true, true},
		{`params.Empty.all(e, event.Image == e)`, true, true},
		{`params.Bad.exists(b, event.Image.matches(b))`, true, false}, // "(" is not a pattern
		{`params.Masks.exists(m, params.Images.exists(p, (m + event.Image).matches(p)))`, true, true},
		{`params.Masks.exists(m, [1, 2].exists(m, m > event.Count))`, false, false}, // an inner loop over a list literal
		{`params.Masks.exists(m, m == event.GrantedAccess) || event.List.exists(x, x == 1)`, false, false},
		{`params.Masks.exists_one(m, m == event.GrantedAccess)`, false, false},
		{`params.Users.exists(k, k == event.User)`, false, false}, // a map
		{`event.Image.endsWith('.exe')`, false, false},
	}
	events := []map[string]any{
		{"GrantedAccess": "0x1410", "Image": `C:\Windows\System32\LSASS.EXE`, "Count": int64(10), "User": "a", "List": []any{int64(1)}},
		{"GrantedAccess": "0x1fffff", "Image": `c:\users\x\a.exe`, "Count": int64(8), "User": "b", "List": []any{}},
		{"GrantedAccess": "0x1000", "Image": `d:\tools\lsass.exe.bak`, "Count": int64(13), "List": []any{int64(2)}},
		{"GrantedAccess": int64(4), "Image": `(`, "Count": "many"},
		{},
	}
	for _, tc := range tests {
		t.Run(tc.expr, func(t *testing.T) {
			checked, _, err := CompileBool(env, tc.expr)
			require.NoError(t, err)
			unrolled := Unroll(checked.NativeRep(), vals, 5000)
			require.Equal(t, tc.unroll, unrolled != nil)
			if unrolled == nil {
				return
			}
			assert.False(t, HasComprehension(unrolled), "no loop is left")
			plain, err := NewProgram(env, checked, 5000, ParamsAsConstants(checked.NativeRep().Expr(), vals))
			require.NoError(t, err)
			fast, err := PlanProgram(env, unrolled, 5000, ParamsAsConstants(unrolled.Expr(), vals), FoldConstants())
			if !tc.plans {
				require.Error(t, err, "the runtime falls back to the loop, which fails when evaluated")
				return
			}
			require.NoError(t, err)
			for i, ev := range events {
				act := map[string]any{"event": ev, "params": map[string]any{}}
				want, _, wantErr := plain.Eval(act)
				got, _, gotErr := fast.Eval(act)
				require.Equal(t, wantErr != nil, gotErr != nil, "event %d: %v / %v", i, wantErr, gotErr)
				if wantErr == nil {
					assert.Equal(t, want, got, "event %d", i)
				}
			}
		})
	}
}

// TestUnrollOneElement: a one-element list leaves its one term in the quantifier's place,
// with the term's overload, so that the term is planned and specialized as written.
func TestUnrollOneElement(t *testing.T) {
	params := []*plan.Param{{Name: "One", Type: plan.ParseType("list(string)"), Value: []any{"(?i)lsass"}}}
	env, err := ChannelEnv(params)
	require.NoError(t, err)
	vals, err := ParamVals(env, params)
	require.NoError(t, err)
	checked, _, err := CompileBool(env, `params.One.exists(p, event.Image.matches(p))`)
	require.NoError(t, err)
	unrolled := Unroll(checked.NativeRep(), vals, 5000)
	require.NotNil(t, unrolled)
	root := unrolled.Expr()
	require.Equal(t, "matches", root.AsCall().FunctionName())
	assert.Equal(t, []string{"matches_string"}, unrolled.GetOverloadIDs(root.ID()))
}

// TestUnrollBudget: loops that could run more iterations than the budget stay loops, so
// that the budget cuts off the same evaluations.
func TestUnrollBudget(t *testing.T) {
	env, err := ChannelEnv(unrollParams)
	require.NoError(t, err)
	vals, err := ParamVals(env, unrollParams)
	require.NoError(t, err)
	checked, _, err := CompileBool(env, `params.Masks.exists(m, params.Masks.exists(n, m + n == event.X))`)
	require.NoError(t, err)
	assert.NotNil(t, Unroll(checked.NativeRep(), vals, 12), "3 × (1 + 3) = 12 iterations")
	assert.Nil(t, Unroll(checked.NativeRep(), vals, 11))
}

// TestUnrollLimits: lists longer than MaxUnrollElements, and copies past MaxUnrolledNodes,
// are not unrolled.
func TestUnrollLimits(t *testing.T) {
	long := make([]any, MaxUnrollElements+1)
	for i := range long {
		long[i] = fmt.Sprint(i)
	}
	params := []*plan.Param{{Name: "Long", Type: plan.ParseType("list(string)"), Value: long},
		{Name: "Wide", Type: plan.ParseType("list(string)"), Value: long[:200]}}
	env, err := ChannelEnv(params)
	require.NoError(t, err)
	vals, err := ParamVals(env, params)
	require.NoError(t, err)
	for expr, want := range map[string]bool{
		`params.Long.exists(x, x == event.A)`:                            false,
		`params.Wide.exists(x, x == event.A)`:                            true,
		`params.Wide.exists(x, params.Wide.exists(y, x + y == event.A))`: false, // 40,000 copies
	} {
		checked, _, err := CompileBool(env, expr)
		require.NoError(t, err)
		assert.Equal(t, want, Unroll(checked.NativeRep(), vals, 1<<20) != nil, expr)
	}
}

// TestFoldConstants: calls over constants are computed while planning; a call that fails
// is left to fail when evaluated.
func TestFoldConstants(t *testing.T) {
	env, err := ChannelEnv(nil)
	require.NoError(t, err)
	folded := map[int64]ref.Val{}
	record := cel.CustomDecoratorV2(func(i interpreter.InterpretableV2) (interpreter.InterpretableV2, error) {
		if c, ok := i.(interpreter.InterpretableConst); ok {
			folded[i.ID()] = c.Value()
		}
		return i, nil
	})
	for expr, want := range map[string]ref.Val{
		`('(?i)^' + '0x1410' + '$').matches(event.A)`: types.String(`(?i)^0x1410$`),
		`'LSASS.EXE'.lowerAscii() == event.A`:         types.String("lsass.exe"),
	} {
		clear(folded)
		checked, _, err := CompileBool(env, expr)
		require.NoError(t, err)
		_, err = NewProgram(env, checked, 0, FoldConstants(), record)
		require.NoError(t, err)
		assert.Contains(t, values(folded), want, expr)
	}
	checked, _, err := CompileBool(env, `'abc'.substring(5) == event.A`)
	require.NoError(t, err)
	prg, err := NewProgram(env, checked, 0, FoldConstants())
	require.NoError(t, err, "the failing call is not folded into a planning error")
	_, _, err = prg.Eval(map[string]any{"event": map[string]any{"A": int64(1)}})
	assert.Error(t, err)
}

func values(m map[int64]ref.Val) []ref.Val {
	var out []ref.Val
	for _, v := range m {
		out = append(out, v)
	}
	return out
}
