package lint_test

import (
	"strings"
	"testing"
	"testing/fstest"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/stixcel/stixcel/compiler"
	"github.com/stixcel/stixcel/diag"
	"github.com/stixcel/stixcel/lint"
	"github.com/stixcel/stixcel/pack"
	"github.com/stixcel/stixcel/plan"
	"github.com/stixcel/stixcel/runtime"
)

// TestLintCompileAndRunAgree holds lint, compile and the runtime to one verdict per binding:
// whatever runtime.New refuses when it builds the plan, lint and compile refuse too, with a
// diagnostic positioned in the pack file, and whatever they refuse the runtime refuses.
// The runtime is given the plan as the emit stage leaves it, before the compiler's check
// could leave the binding out.
func TestLintCompileAndRunAgree(t *testing.T) {
	tests := []struct {
		name   string
		params string // YAML lines under params:, indented by 2
		c4     string // the channel's CEL (one line)
		cond   string // the condition; "" for none
		noName bool   // the bundle's fourth log source reference has no name
		want   string // the first error's position and code; "" when all three accept
	}{
		{name: "plain comparison", c4: `event.DeviceLockState == "locked"`},
		{name: "valid regular expression", c4: `event.DeviceLockState.matches("^lock")`},
		{name: "repeat count at the RE2 limit", c4: `event.DeviceLockState.matches("a{1000}")`},
		{name: "regex parameter", params: `P: {type: regex, default: "^lo"}`, c4: `event.DeviceLockState.matches(params.P)`},
		{name: "regexes in a comprehension over a list parameter", params: `L: {type: list(string), default: ["^a"]}`,
			c4: `params.L.exists(p, event.DeviceLockState.matches(p))`},
		{name: "condition over channels", c4: `event.DeviceLockState == "locked"`, cond: `c4 && channels.c4.count >= 2`},
		{name: "unclosed group", c4: `event.DeviceLockState.matches("(")`, want: "AN1828.yaml:6:35: error: stixcel_program"},
		{name: "RE2 repeat count above 1000", c4: `event.DeviceLockState.matches("a{1001}")`, want: "AN1828.yaml:6:35: error: stixcel_program"},
		{name: "bad pattern in a string parameter folded in", params: `P: {type: string, default: "a("}`,
			c4: `event.DeviceLockState.matches(params.P)`, want: "AN1828.yaml:8:41: error: stixcel_program"},
		{name: "constant duration that does not parse", c4: `event.DeviceLockState == "x" || duration("5x") > duration("1m")`,
			want: "AN1828.yaml:6:45: error: stixcel_program"},
		{name: "bad regular expression in the condition", c4: `event.DeviceLockState == "locked"`,
			cond: `c4 && "x".matches("[")`, want: "AN1828.yaml:8:21: error: stixcel_program"},
		{name: "too costly", c4: `[1,2,3,4,5,6,7,8,9,10].map(a, [1,2,3,4,5,6,7,8,9,10].map(b, [1,2,3,4,5,6,7,8,9,10].map(c, ` +
			`[1,2,3,4,5,6,7,8,9,10].map(d, [1,2,3,4,5,6,7,8,9,10].map(e, [1,2,3,4,5,6,7,8,9,10].map(f, a + b + c + d + e + f)))))).size() > 0`,
			want: "AN1828.yaml:5:7: error: stixcel_cost"},
		{name: "undeclared parameter", c4: `event.DeviceLockState == params.Nope`, want: "AN1828.yaml:6:36: error: stixcel_type_error"},
		{name: "not a bool", c4: `1 + 2`, want: "AN1828.yaml:5:7: error: stixcel_type_error"},
		{name: "channel whose log source has no name", noName: true, c4: `event.DeviceLockState == "locked"`,
			want: "AN1828.yaml:5:3: error: stixcel_bundle_gap"},
		{name: "syntax error", c4: `event.DeviceLockState ==`, want: "AN1828.yaml:6:29: error: stixcel_type_error"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ix := seed(t)
			if tc.noName {
				ix.Analytic("AN1828").LogSources[3].Name = ""
			}
			yaml := binding(tc.params, tc.c4, tc.cond)
			fsys := fstest.MapFS{"AN1828.yaml": &fstest.MapFile{Data: []byte(yaml)}}
			bs, pd := pack.LoadDir(fsys, ".")
			require.Empty(t, pd, yaml)

			lintDiags := lint.Check(ix, []*pack.Pack{{Bindings: bs, Diagnostics: pd, FS: fsys}}, lint.Options{})
			_, compileDiags := compiler.Compile(ix, compiler.Options{Bindings: bs})
			emitted, emitDiags := compiler.Compile(ix, compiler.Options{Bindings: bs, StopAfter: compiler.StageEmit})
			if tc.noName {
				emitted, emitDiags = compiler.Compile(ix, compiler.Options{Bindings: bs, StopAfter: compiler.StageParams})
				bindC4(emitted, tc.c4) // as if emit had applied the binding
			}
			require.False(t, emitDiags.HasErrors(), "%v", emitDiags)
			_, runErr := runtime.New(emitted)

			if tc.want == "" {
				assert.False(t, lintDiags.HasErrors(), "lint: %v", lintDiags)
				assert.False(t, compileDiags.HasErrors(), "compile: %v", compileDiags)
				assert.NoError(t, runErr, "run")
				return
			}
			assert.Equal(t, tc.want, firstError(lintDiags), "lint: %v", lintDiags)
			assert.Equal(t, tc.want, firstError(compileDiags), "compile: %v", compileDiags)
			assert.Error(t, runErr, "run")
			t.Logf("run: %v", runErr)
		})
	}
}

// binding is a pack file for AN1828 that binds channel c4 and, with cond, a condition.
// The channel's CEL is on line 6, column 5 (line 8 with one parameter); the condition's on
// line 8, column 3. A finding about a whole expression is at its block scalar's "|" (5:7).
func binding(params, c4, cond string) string {
	var b strings.Builder
	b.WriteString("analytic: AN1828\nwritten_for: \"1.1\"\ngroup_by: [device_id]\n")
	if params != "" {
		b.WriteString("params:\n  " + params + "\n")
	}
	b.WriteString("channels:\n  c4: |\n    " + c4 + "\n")
	if cond != "" {
		b.WriteString("condition: |\n  " + cond + "\n")
	}
	return b.String()
}

// bindC4 binds channel c4 of the set's AN1828 plan to pred.
func bindC4(set *plan.Set, pred string) {
	for _, p := range set.Plans {
		if p.ID == "AN1828" {
			c := p.Channel("c4")
			c.Predicate, c.Origin = pred, plan.OriginBound
			p.Kind = plan.KindDetection
		}
	}
}

// firstError is "file:line:col: error: code" of the first error, or "".
func firstError(diags diag.Diagnostics) string {
	for _, d := range diags {
		if d.Severity == diag.SeverityError {
			return d.Pos.String() + ": error: " + d.Code
		}
	}
	return ""
}
