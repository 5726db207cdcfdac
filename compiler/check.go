package compiler

import (
	"errors"
	"fmt"
	"strings"

	"github.com/google/cel-go/cel"
	"github.com/google/cel-go/common"
	"github.com/google/cel-go/common/types/ref"

	"github.com/stixcel/stixcel/celenv"
	"github.com/stixcel/stixcel/diag"
	"github.com/stixcel/stixcel/pack"
	"github.com/stixcel/stixcel/plan"
)

// check is the last stage: every CEL expression of the plan is parsed and type-checked with
// cel-go in the environment the runtime will use, and must yield a bool. Errors in a binding
// are reported at their absolute position in the pack file; the binding is then left out of
// the plan, which falls back to its derived selectors.
func (c *compilation) check(p *plan.Plan, b *pack.Binding) {
	selectorEnv, err := c.selectorEnv()
	if err != nil {
		c.diags.Errorf(diag.Pos{File: p.ID}, diag.CodeInternal, "analytic %s: selector environment: %v", p.ID, err)
		return
	}
	for _, ch := range p.Channels {
		if ch.Selector == "" {
			continue
		}
		if msg := c.checkSelector(selectorEnv, ch.Selector); msg != "" {
			// A derived selector that does not check is a grammar bug: drop it, say why.
			ch.Reason = "derived selector rejected by the CEL checker: " + msg
			ch.Selector, ch.Route = "", nil
			if ch.Origin == plan.OriginDerived {
				ch.Origin = plan.OriginNone
			}
		}
	}
	if b == nil {
		return
	}
	c.checkBinding(p, b)
}

// checkSelector checks a derived selector once per distinct expression: the corpus repeats
// a few hundred selectors (event.EventCode == 1, ...) across thousands of channels.
func (c *compilation) checkSelector(env *cel.Env, expr string) string {
	if msg, ok := c.checked[expr]; ok {
		return msg
	}
	msg := compileBool(env, expr)
	c.checked[expr] = msg
	return msg
}

func (c *compilation) selectorEnv() (*cel.Env, error) {
	if c.baseEnv == nil {
		env, err := celenv.ChannelEnv(nil)
		if err != nil {
			return nil, err
		}
		c.baseEnv = env
	}
	return c.baseEnv, nil
}

func (c *compilation) checkBinding(p *plan.Plan, b *pack.Binding) {
	env, err := celenv.ChannelEnv(p.Params)
	if err != nil {
		c.diags.Errorf(b.Analytic.Pos, diag.CodeTypeError, "analytic %s: %v", p.ID, err)
		return
	}
	// The runtime folds the parameters into channel programs as constants: a pattern or a
	// conversion that reads one is checked with its value.
	consts, err := celenv.ParamVals(env, p.Params)
	if err != nil {
		c.diags.Errorf(b.Analytic.Pos, diag.CodeBadValue, "analytic %s: %v", p.ID, err)
		return
	}
	values := paramValues(p)
	for _, cb := range b.Channels {
		if p.Channel(cb.ID.Value) == nil {
			continue // reported by emit
		}
		c.checkExpr(env, cb.When, values, consts, fmt.Sprintf("analytic %s channel %s", p.ID, cb.ID.Value))
	}
	if b.Condition.Value == "" {
		return
	}
	ids := make([]string, len(p.Channels))
	for i, ch := range p.Channels {
		ids[i] = ch.ID
	}
	condEnv, err := celenv.ConditionEnv(p.Params, ids)
	if err != nil {
		c.diags.Errorf(b.Condition.Pos, diag.CodeTypeError, "analytic %s condition: %v", p.ID, err)
		return
	}
	c.checkExpr(condEnv, b.Condition, values, nil, fmt.Sprintf("analytic %s condition", p.ID))
}

// checkExpr checks one bound expression as the runtime will build it: type-checked as a
// bool, its estimated cost within celenv.MaxCost, and planned by celenv.NewProgram with
// consts folded in (nil folds nothing). Each problem is reported at its absolute position in
// the pack file.
func (c *compilation) checkExpr(env *cel.Env, src pack.String, values map[string]any, consts map[string]ref.Val, what string) {
	ast, iss, err := celenv.CompileBool(env, src.Value)
	var typeErr *celenv.TypeError
	switch {
	case iss != nil:
		for _, e := range iss.Errors() {
			c.diags = append(c.diags, diag.Diagnostic{
				Pos:      celPos(src, e),
				Code:     diag.CodeTypeError,
				Severity: diag.SeverityError,
				Msg:      what + ": " + e.Message,
			})
		}
		return
	case errors.As(err, &typeErr):
		c.diags.Errorf(src.Pos, diag.CodeTypeError, "%s: expression yields %s, want bool", what, typeErr.Got)
		return
	case err != nil:
		c.diags.Errorf(src.Pos, diag.CodeTypeError, "%s: %v", what, err)
		return
	}
	if err := celenv.CheckCost(env, ast, values); err != nil {
		c.diags.Errorf(src.Pos, diag.CodeCost, "%s: %v", what, err)
		return
	}
	if err := celenv.CheckProgram(env, ast, consts); err != nil {
		c.diags.Errorf(programPos(src, err), diag.CodeProgram, "%s: %v", what, err)
	}
}

// paramValues maps parameter names to their plan values, for cost estimates.
func paramValues(p *plan.Plan) map[string]any {
	vals := make(map[string]any, len(p.Params))
	for _, prm := range p.Params {
		vals[prm.Name] = prm.Value
	}
	return vals
}

func celPos(src pack.String, e *common.Error) diag.Pos {
	loc := e.Location
	if loc == nil || loc.Line() < 1 {
		return src.Pos
	}
	return src.PosAt(loc.Line(), loc.Column()+1)
}

// programPos is where a *celenv.ProgramError points in the pack file.
func programPos(src pack.String, err error) diag.Pos {
	var pe *celenv.ProgramError
	if !errors.As(err, &pe) || pe.Line < 1 {
		return src.Pos
	}
	return src.PosAt(pe.Line, pe.Col+1)
}

// compileBool returns "" when expr checks as a bool in env and plans as the runtime plans
// it, else the first issue.
func compileBool(env *cel.Env, expr string) string {
	ast, iss := env.Compile(expr)
	if iss != nil && iss.Err() != nil {
		return strings.SplitN(iss.Err().Error(), "\n", 2)[0]
	}
	if ast.OutputType() != cel.BoolType {
		return fmt.Sprintf("yields %s, want bool", ast.OutputType())
	}
	if err := celenv.CheckProgram(env, ast, nil); err != nil {
		return err.Error()
	}
	return ""
}

// unbind removes a binding's logic from a plan after its errors were reported.
func unbind(p *plan.Plan) {
	for _, ch := range p.Channels {
		if ch.Origin != plan.OriginBound {
			continue
		}
		ch.Predicate, ch.SeriesBy = "", nil
		ch.Origin = plan.OriginNone
		ch.Reason = "binding not applied: it has errors"
		if ch.Selector != "" {
			ch.Origin, ch.Reason = plan.OriginDerived, ""
		}
	}
	p.Correlation = plan.Correlation{GroupBy: []string{}}
}
