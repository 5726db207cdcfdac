package compiler

import (
	celast "github.com/google/cel-go/common/ast"
	"github.com/google/cel-go/common/operators"
	"github.com/google/cel-go/common/types"

	"github.com/stixcel/stixcel/celenv"
	"github.com/stixcel/stixcel/compiler/channel"
	"github.com/stixcel/stixcel/plan"
)

// selectorTests is what a selector tests, read from its CEL syntax tree: the event fields it
// compares with constants or tests for presence, and whether it tests anything else.
type selectorTests struct {
	fields []string
	other  bool // a test that is not a field against constants: a function call, a parameter, ...
}

// readTests walks a selector made of && and || over field tests. A field test is
// `has(event.F)`, `"F" in event`, `event.F == c` (either side), `event.F in [c1, c2]` or the
// same with `event["F"]`, where the c are literals. Anything else sets other.
func readTests(e celast.Expr) selectorTests {
	var t selectorTests
	t.read(e)
	return t
}

func (t *selectorTests) read(e celast.Expr) {
	switch e.Kind() {
	case celast.SelectKind:
		if f, ok := celenv.EventField(e); ok && e.AsSelect().IsTestOnly() {
			t.fields = append(t.fields, f)
			return
		}
	case celast.CallKind:
		if t.readCall(e.AsCall()) {
			return
		}
	}
	t.other = true
}

// readCall reads a logical operator or a comparison; false when the call is neither.
func (t *selectorTests) readCall(call celast.CallExpr) bool {
	args := call.Args()
	if call.IsMemberFunction() || len(args) != 2 {
		return false
	}
	switch call.FunctionName() {
	case operators.LogicalAnd, operators.LogicalOr:
		t.read(args[0])
		t.read(args[1])
		return true
	case operators.Equals:
		return t.compared(args[0], args[1]) || t.compared(args[1], args[0])
	case operators.In:
		if f, ok := stringLiteral(args[0]); ok && celenv.IsEvent(args[1]) {
			t.fields = append(t.fields, f) // "F" in event
			return true
		}
		return args[1].Kind() == celast.ListKind && allLiterals(args[1].AsList().Elements()) && t.compared(args[0], nil)
	}
	return false
}

// compared records the field of `event.F` compared with the literal lit (nil: checked by
// the caller); false when field is no event field or lit no literal.
func (t *selectorTests) compared(field, lit celast.Expr) bool {
	f, ok := celenv.EventField(field)
	if !ok || field.Kind() == celast.SelectKind && field.AsSelect().IsTestOnly() {
		return false
	}
	if lit != nil && lit.Kind() != celast.LiteralKind {
		return false
	}
	t.fields = append(t.fields, f)
	return true
}

func stringLiteral(e celast.Expr) (string, bool) {
	if e.Kind() != celast.LiteralKind {
		return "", false
	}
	s, ok := e.AsLiteral().(types.String)
	return string(s), ok
}

func allLiterals(es []celast.Expr) bool {
	for _, e := range es {
		if e.Kind() != celast.LiteralKind {
			return false
		}
	}
	return true
}

// logSourceField is the normalized event's log source, which every channel tests anyway.
const logSourceField = "log_source"

// selects classifies what a channel's selector tests: SelectsEventType when it only tests
// the log source and event-type fields of the channel's log source (see
// channel.Taxonomy.EventTypeField), SelectsContent otherwise.
func selects(tax *channel.Taxonomy, logSource string, t selectorTests) plan.Selects {
	if t.other {
		return plan.SelectsContent
	}
	for _, f := range t.fields {
		if f != logSourceField && !tax.EventTypeField(logSource, f) {
			return plan.SelectsContent
		}
	}
	return plan.SelectsEventType
}

// classify records what each selector of the plan tests and whether the plan is a hunt
// source: a selector plan with some channel that selects content. Selectors were checked,
// so they parse.
func (c *compilation) classify(p *plan.Plan) {
	for _, ch := range p.Channels {
		if ch.Selector == "" {
			continue
		}
		t, ok := c.tests(ch.Selector)
		if !ok {
			continue
		}
		ch.Selects = selects(c.tax, ch.LogSource, t)
		if p.Kind == plan.KindSelector && ch.Selects == plan.SelectsContent {
			p.Hunt = true
		}
	}
}

// tests reads a selector's tests once per distinct expression; ok is false when it does not
// parse (it was then dropped by check).
func (c *compilation) tests(expr string) (selectorTests, bool) {
	if t, ok := c.selectorTests[expr]; ok {
		return t, true
	}
	env, err := c.selectorEnv()
	if err != nil {
		return selectorTests{}, false
	}
	ast, iss := env.Parse(expr)
	if iss != nil && iss.Err() != nil {
		return selectorTests{}, false
	}
	t := readTests(ast.NativeRep().Expr())
	c.selectorTests[expr] = t
	return t, true
}
