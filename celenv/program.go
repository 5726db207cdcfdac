package celenv

import (
	"fmt"

	"github.com/google/cel-go/cel"
	celast "github.com/google/cel-go/common/ast"
	"github.com/google/cel-go/common/overloads"
	"github.com/google/cel-go/common/types/ref"
	"github.com/google/cel-go/interpreter"

	"github.com/stixcel/stixcel/plan"
)

// CompileBool parses and type-checks a CEL expression that must give a bool (dyn is allowed:
// it is checked when evaluated). On failure it returns the checker's issues, each positioned
// in text, with their error, or a *TypeError.
func CompileBool(env *cel.Env, text string) (*cel.Ast, *cel.Issues, error) {
	parsed, iss := env.Parse(text)
	if err := iss.Err(); err != nil {
		return nil, iss, err
	}
	return CheckBool(env, parsed)
}

// CheckBool is CompileBool of an expression already parsed (by any environment with the
// same parser options: parsing is most of the cost, and can be done ahead, in parallel).
func CheckBool(env *cel.Env, parsed *cel.Ast) (*cel.Ast, *cel.Issues, error) {
	ast, iss := env.Check(parsed)
	if err := iss.Err(); err != nil {
		return nil, iss, err
	}
	if out := ast.OutputType(); !out.IsExactType(cel.BoolType) && !out.IsExactType(cel.DynType) {
		return nil, nil, &TypeError{Got: out}
	}
	return ast, nil, nil
}

// TypeError is an expression that checks but does not give a bool.
type TypeError struct{ Got *cel.Type }

func (e *TypeError) Error() string { return fmt.Sprintf("type %s, want bool", e.Got) }

// NewProgram plans a checked expression the way stixcel evaluates it. This is the one place
// where programs are built, so that the compiler and lint refuse exactly what the runtime
// refuses: cel-go's optimizer compiles constant regular expressions and folds constant
// conversions and literals while planning, which is where `matches("(")`, an RE2 repeat
// count above 1000 (`"a{1001}"`), `duration("5x")` or a map literal with a repeated key fail.
// An expression that holds a comprehension checks for an interrupt every maxIter+1
// iterations (the runtime's iteration budget; see HasComprehension). opts come first: the
// runtime's specializer, or ParamsAsConstants.
func NewProgram(env *cel.Env, ast *cel.Ast, maxIter int, opts ...cel.ProgramOption) (cel.Program, error) {
	return PlanProgram(env, ast.NativeRep(), maxIter, opts...)
}

// PlanProgram is NewProgram of a checked expression in cel-go's native form (Unroll's).
func PlanProgram(env *cel.Env, a *celast.AST, maxIter int, opts ...cel.ProgramOption) (cel.Program, error) {
	opts = append(opts[:len(opts):len(opts)], cel.EvalOptions(cel.OptOptimize))
	if HasComprehension(a) {
		opts = append(opts, cel.InterruptCheckFrequency(uint(maxIter)+1))
	}
	prg, err := env.PlanProgram(a, opts...)
	if err != nil {
		return nil, fmt.Errorf("program: %w", err)
	}
	return prg, nil
}

// HasComprehension reports whether the expression can loop (all, exists, map, filter, ...).
func HasComprehension(a *celast.AST) bool {
	// A plain visit: cel-go's navigable tree (NavigateAST) allocates a wrapper per node, which
	// for thousands of expressions at start-up was tens of MB of garbage.
	found := false
	celast.PostOrderVisit(a.Expr(), celast.NewExprVisitor(func(e celast.Expr) {
		found = found || e.Kind() == celast.ComprehensionKind
	}))
	return found
}

// ReadsParams reports whether e reads the identifier params.
func ReadsParams(e celast.Expr) bool {
	found := false
	celast.PostOrderVisit(e, celast.NewExprVisitor(func(x celast.Expr) {
		found = found || (x.Kind() == celast.IdentKind && x.AsIdent() == "params")
	}))
	return found
}

// ProgramError is an expression that checks but cannot be planned, at the node that failed.
type ProgramError struct {
	Line, Col int // 1-based line, 0-based column in the expression text (cel-go's); Line 0 when unknown
	Err       error
}

func (e *ProgramError) Error() string { return e.Err.Error() }
func (e *ProgramError) Unwrap() error { return e.Err }

// CheckProgram builds the program of a checked expression as the runtime does, with params
// (the plan's parameter values as CEL values, see ParamVals) folded in as constants the way
// the runtime folds them into channel programs; nil params folds nothing, as for conditions.
// It returns a *ProgramError located at the node cel-go refused.
func CheckProgram(env *cel.Env, ast *cel.Ast, params map[string]ref.Val) error {
	var last int64
	track := func(i interpreter.InterpretableV2) (interpreter.InterpretableV2, error) {
		last = i.ID()
		return i, nil
	}
	opts := []cel.ProgramOption{cel.CustomDecoratorV2(track)}
	if params != nil {
		opts = append(opts, ParamsAsConstants(ast.NativeRep().Expr(), params))
	}
	if _, err := NewProgram(env, ast, 0, opts...); err != nil {
		loc := ast.NativeRep().SourceInfo().GetStartLocation(culprit(ast.NativeRep().Expr(), last))
		return &ProgramError{Line: loc.Line(), Col: loc.Column(), Err: err}
	}
	return nil
}

// culprit is the node to point at when planning node id failed: the pattern of a matches()
// call (a literal, or the parameter folded in), else the node itself.
func culprit(expr celast.Expr, id int64) int64 {
	out := id
	celast.PreOrderVisit(expr, celast.NewExprVisitor(func(e celast.Expr) {
		if e.ID() != id || e.Kind() != celast.CallKind || e.AsCall().FunctionName() != overloads.Matches {
			return
		}
		if args := e.AsCall().Args(); len(args) > 0 {
			out = args[len(args)-1].ID()
		}
	}))
	return out
}

// ParamsAsConstants folds the parameters into a channel program as the constants they are
// for a run, as the runtime's specializer does: each `params.X` becomes X's value. It folds
// nothing when a comprehension variable shadows `params` or `event` (the runtime does not
// specialize such an expression).
func ParamsAsConstants(expr celast.Expr, params map[string]ref.Val) cel.ProgramOption {
	fields, ok := paramSelections(expr)
	return cel.CustomDecoratorV2(func(i interpreter.InterpretableV2) (interpreter.InterpretableV2, error) {
		n, isAttr := i.(interpreter.InterpretableAttribute)
		if !ok || !isAttr {
			return i, nil
		}
		if name, sel := fields[n.ID()]; sel && selectsParams(n) {
			if v, has := params[name]; has {
				return interpreter.NewConstValue(n.ID(), v), nil
			}
		}
		return i, nil
	})
}

// ShadowsBindings reports whether a comprehension binds a variable named `event` or
// `params`, inside which those names no longer mean the event and the parameters.
func ShadowsBindings(e celast.Expr) bool {
	c := e.AsComprehension()
	for _, v := range []string{c.IterVar(), c.IterVar2(), c.AccuVar()} {
		if v == "event" || v == "params" {
			return true
		}
	}
	return false
}

// paramSelections maps the ids of `params.X` selections (not has() tests) to X; ok is false
// when a comprehension variable shadows `params` or `event`.
func paramSelections(expr celast.Expr) (map[int64]string, bool) {
	fields, ok := map[int64]string{}, true
	celast.PreOrderVisit(expr, celast.NewExprVisitor(func(e celast.Expr) {
		switch e.Kind() {
		case celast.ComprehensionKind:
			ok = ok && !ShadowsBindings(e)
		case celast.SelectKind:
			sel := e.AsSelect()
			op := sel.Operand()
			if !sel.IsTestOnly() && op.Kind() == celast.IdentKind && op.AsIdent() == "params" {
				fields[e.ID()] = sel.FieldName()
			}
		}
	}))
	return fields, ok
}

// selectsParams reports whether n is the attribute `params.X` itself, not a relative
// attribute the planner wraps around it with the same id.
func selectsParams(n interpreter.InterpretableAttribute) bool {
	attr, ok := n.Attr().(interpreter.NamespacedAttribute)
	if !ok || len(attr.Qualifiers()) != 1 {
		return false
	}
	names := attr.CandidateVariableNames()
	return len(names) == 1 && names[0] == "params"
}

// ParamVals converts a plan's parameter values to CEL values as the runtime binds them.
func ParamVals(env *cel.Env, params []*plan.Param) (map[string]ref.Val, error) {
	out := make(map[string]ref.Val, len(params))
	for _, prm := range params {
		if prm == nil {
			continue
		}
		_, native, err := prm.Values()
		if err != nil {
			return nil, err
		}
		out[prm.Name] = env.CELTypeAdapter().NativeToValue(native)
	}
	return out, nil
}
