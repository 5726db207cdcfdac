package celenv

import (
	"github.com/google/cel-go/cel"
	celast "github.com/google/cel-go/common/ast"
	"github.com/google/cel-go/common/operators"
	"github.com/google/cel-go/common/types"
	"github.com/google/cel-go/common/types/ref"
	"github.com/google/cel-go/common/types/traits"
	"github.com/google/cel-go/interpreter"
)

// Limits of Unroll: the longest parameter list a quantifier is unrolled over, and the most
// nodes the unrolled copies may add to one expression.
const (
	MaxUnrollElements = 256
	MaxUnrolledNodes  = 20_000
)

// Unroll rewrites the quantifiers of a checked channel expression over parameter lists,
// `params.L.exists(x, body)` and `params.L.all(x, body)`, into `body[x:=L0] || body[x:=L1]
// || ...` (`&&` for all, `false`/`true` for an empty list), with the plan's values of the
// parameters. A plan's parameters are constants for a run, so each copy of the body holds
// constants where the loop held a variable: FoldConstants then computes `'(?i)^' + x + '$'`
// once, and the runtime's specializer turns `event.F.matches(...)` into a compiled test.
// The loop's interpretation (an iterator, a variable bound per element, a fold step per
// element) was a third of the evaluation time of the built-in pack.
//
// The rewrite keeps CEL's meaning exactly: the macros expand to a fold of `accu || body`
// (`accu && body`) that stops at the first true (false), and an error is kept only when
// no element decides, which is what `||` (`&&`) over the same terms in the same order
// gives. It returns nil, leaving the expression as it is, unless every comprehension of
// the expression is such a quantifier over a list parameter of at most MaxUnrollElements
// elements: the iteration budget (maxIter per evaluation, counted over every loop) then
// binds neither before nor after, when the loops can run at most maxIter iterations in all.
// The copies take new ids, with the types, references and source positions of the nodes
// they copy.
func Unroll(a *celast.AST, params map[string]ref.Val, maxIter int) *celast.AST {
	if !HasComprehension(a) {
		return nil
	}
	u := &unroller{params: params, fac: celast.NewExprFactory(), next: celast.MaxID(a) + 1,
		types: map[int64]*types.Type{}, refs: map[int64]*celast.ReferenceInfo{},
		info: celast.CopySourceInfo(a.SourceInfo())}
	for id, t := range a.TypeMap() {
		u.types[id] = t
	}
	for id, r := range a.ReferenceMap() {
		u.refs[id] = r
	}
	root := u.fac.CopyExpr(a.Expr())
	iterations, ok := u.bound(root, int64(maxIter))
	if !ok || iterations > int64(maxIter) {
		return nil
	}
	celast.PostOrderVisit(root, celast.NewExprVisitor(func(e celast.Expr) {
		if ok && e.Kind() == celast.ComprehensionKind {
			ok = u.unroll(e)
		}
	}))
	if !ok {
		return nil
	}
	return celast.NewCheckedAST(celast.NewAST(root, u.info), u.types, u.refs)
}

type unroller struct {
	params map[string]ref.Val
	fac    celast.ExprFactory
	next   int64 // the next free expression id
	added  int   // nodes added by the copies
	types  map[int64]*types.Type
	refs   map[int64]*celast.ReferenceInfo
	info   *celast.SourceInfo
}

// quantifier is an exists or all comprehension over a parameter list.
type quantifier struct {
	op     string // operators.LogicalOr (exists) or operators.LogicalAnd (all)
	iterV  string
	body   celast.Expr
	values []ref.Val
}

// bound is the most loop iterations one evaluation of e can run, when every comprehension
// in e is a quantifier over a parameter list; ok is false otherwise. It stops counting past
// limit.
func (u *unroller) bound(e celast.Expr, limit int64) (int64, bool) {
	if e.Kind() == celast.ComprehensionKind {
		q, ok := u.quantifier(e)
		if !ok {
			return 0, false
		}
		inner, ok := u.bound(q.body, limit)
		if !ok {
			return 0, false
		}
		return min(int64(len(q.values))*(1+min(inner, limit)), limit+1), true
	}
	var total int64
	for _, c := range children(e) {
		b, ok := u.bound(c, limit)
		if !ok {
			return 0, false
		}
		total = min(total+b, limit+1)
	}
	return total, true
}

// children lists the direct subexpressions of e.
func children(e celast.Expr) []celast.Expr {
	switch e.Kind() {
	case celast.CallKind:
		c := e.AsCall()
		if c.IsMemberFunction() {
			return append([]celast.Expr{c.Target()}, c.Args()...)
		}
		return c.Args()
	case celast.SelectKind:
		return []celast.Expr{e.AsSelect().Operand()}
	case celast.ListKind:
		return e.AsList().Elements()
	case celast.MapKind:
		var out []celast.Expr
		for _, en := range e.AsMap().Entries() {
			me := en.AsMapEntry()
			out = append(out, me.Key(), me.Value())
		}
		return out
	case celast.StructKind:
		var out []celast.Expr
		for _, f := range e.AsStruct().Fields() {
			out = append(out, f.AsStructField().Value())
		}
		return out
	case celast.ComprehensionKind:
		c := e.AsComprehension()
		return []celast.Expr{c.IterRange(), c.AccuInit(), c.LoopCondition(), c.LoopStep(), c.Result()}
	}
	return nil
}

// quantifier recognises the expansion of the exists and all macros over `params.L`, L a
// list of at most MaxUnrollElements values.
func (u *unroller) quantifier(e celast.Expr) (quantifier, bool) {
	c := e.AsComprehension()
	if c.IterVar2() != "" || c.IterVar() == "event" || c.IterVar() == "params" {
		return quantifier{}, false
	}
	accu := c.AccuVar()
	step := c.LoopStep()
	if step.Kind() != celast.CallKind || len(step.AsCall().Args()) != 2 || step.AsCall().IsMemberFunction() {
		return quantifier{}, false
	}
	q := quantifier{op: step.AsCall().FunctionName(), iterV: c.IterVar(), body: step.AsCall().Args()[1]}
	var initial types.Bool
	var cond celast.Expr
	switch q.op {
	case operators.LogicalOr:
		initial, cond = types.False, notOf(notStrictlyFalseOf(c.LoopCondition()))
	case operators.LogicalAnd:
		initial, cond = types.True, notStrictlyFalseOf(c.LoopCondition())
	default:
		return quantifier{}, false
	}
	if !isLiteral(c.AccuInit(), initial) || !isIdent(cond, accu) || !isIdent(step.AsCall().Args()[0], accu) ||
		!isIdent(c.Result(), accu) || mentions(q.body, accu) {
		return quantifier{}, false
	}
	values, ok := u.paramList(c.IterRange())
	if !ok {
		return quantifier{}, false
	}
	q.values = values
	return q, true
}

// paramList is the value of `params.L` when it is a list of at most MaxUnrollElements.
func (u *unroller) paramList(e celast.Expr) ([]ref.Val, bool) {
	if e.Kind() != celast.SelectKind || e.AsSelect().IsTestOnly() || !isIdent(e.AsSelect().Operand(), "params") {
		return nil, false
	}
	v, ok := u.params[e.AsSelect().FieldName()]
	if !ok {
		return nil, false
	}
	if _, isMap := v.(traits.Mapper); isMap {
		return nil, false
	}
	list, ok := v.(traits.Lister)
	if !ok {
		return nil, false
	}
	size, ok := list.Size().(types.Int)
	if !ok || size > MaxUnrollElements {
		return nil, false
	}
	values := make([]ref.Val, 0, int(size))
	for i := types.Int(0); i < size; i++ {
		elem := list.Get(i)
		if types.IsUnknownOrError(elem) {
			return nil, false
		}
		values = append(values, elem)
	}
	return values, true
}

// unroll replaces the quantifier e (its body already unrolled) by its terms.
func (u *unroller) unroll(e celast.Expr) bool {
	q, ok := u.quantifier(e)
	if !ok {
		return false
	}
	size := 0
	celast.PreOrderVisit(q.body, celast.NewExprVisitor(func(celast.Expr) { size++ }))
	if u.added += size * len(q.values); u.added > MaxUnrolledNodes {
		return false
	}
	terms := make([]celast.Expr, 0, len(q.values))
	for _, v := range q.values {
		terms = append(terms, u.instance(q.body, q.iterV, v))
	}
	delete(u.refs, e.ID())
	switch len(terms) {
	case 0:
		e.SetKindCase(u.fac.NewLiteral(0, types.Bool(q.op == operators.LogicalAnd)))
	case 1:
		// e becomes the one term under e's id: it takes the term's type and reference (a
		// call's overload, which the planner and the specializer select on).
		e.SetKindCase(terms[0])
		u.types[e.ID()] = u.types[terms[0].ID()]
		if r, ok := u.refs[terms[0].ID()]; ok {
			u.refs[e.ID()] = r
		}
	default:
		e.SetKindCase(u.fac.NewCall(0, q.op, terms...))
	}
	return true
}

// instance copies body with new ids, the variable name replaced by the literal v.
func (u *unroller) instance(body celast.Expr, name string, v ref.Val) celast.Expr {
	out := u.fac.CopyExpr(body)
	out.RenumberIDs(func(old int64) int64 {
		id := u.next
		u.next++
		if t, ok := u.types[old]; ok {
			u.types[id] = t
		}
		if r, ok := u.refs[old]; ok {
			u.refs[id] = r
		}
		if r, ok := u.info.GetOffsetRange(old); ok {
			u.info.SetOffsetRange(id, r)
		}
		return id
	})
	visitFree(out, name, func(e celast.Expr) {
		e.SetKindCase(u.fac.NewLiteral(0, v))
		delete(u.refs, e.ID())
	})
	return out
}

func isIdent(e celast.Expr, name string) bool {
	return e != nil && e.Kind() == celast.IdentKind && e.AsIdent() == name
}

func isLiteral(e celast.Expr, v types.Bool) bool {
	return e.Kind() == celast.LiteralKind && e.AsLiteral() == v
}

// notStrictlyFalseOf is x of `@not_strictly_false(x)`, or nil.
func notStrictlyFalseOf(e celast.Expr) celast.Expr {
	return unaryArg(e, operators.NotStrictlyFalse)
}

// notOf is x of `!x`, or nil.
func notOf(e celast.Expr) celast.Expr { return unaryArg(e, operators.LogicalNot) }

func unaryArg(e celast.Expr, fn string) celast.Expr {
	if e == nil || e.Kind() != celast.CallKind {
		return nil
	}
	c := e.AsCall()
	if c.FunctionName() != fn || c.IsMemberFunction() || len(c.Args()) != 1 {
		return nil
	}
	return c.Args()[0]
}

// mentions reports whether e reads the variable name (not a comprehension's own variable
// of that name).
func mentions(e celast.Expr, name string) bool {
	found := false
	visitFree(e, name, func(celast.Expr) { found = true })
	return found
}

// visitFree calls f on each identifier of e that reads the variable name from outside e:
// inside a comprehension that binds name, only its range and initial value are outside.
func visitFree(e celast.Expr, name string, f func(celast.Expr)) {
	switch {
	case isIdent(e, name):
		f(e)
	case e.Kind() == celast.ComprehensionKind && binds(e.AsComprehension(), name):
		c := e.AsComprehension()
		visitFree(c.IterRange(), name, f)
		visitFree(c.AccuInit(), name, f)
	default:
		for _, c := range children(e) {
			visitFree(c, name, f)
		}
	}
}

func binds(c celast.ComprehensionExpr, name string) bool {
	return c.IterVar() == name || c.IterVar2() == name || c.AccuVar() == name
}

// FoldConstants is a planner decorator that computes, while planning, each call whose
// arguments are all constants (`'(?i)^' + '0x1410' + '$'`, `'LSASS.EXE'.lowerAscii()`), as
// Unroll's copies hold: CEL functions have no side effects, and the channel environment
// declares none that depend on time. A call that gives an error is left to fail when
// evaluated, as it did before.
func FoldConstants() cel.ProgramOption {
	return cel.CustomDecoratorV2(func(i interpreter.InterpretableV2) (interpreter.InterpretableV2, error) {
		call, ok := i.(interpreter.InterpretableCall)
		if !ok || len(call.Args()) == 0 {
			return i, nil
		}
		for _, arg := range call.Args() {
			if _, isConst := arg.(interpreter.InterpretableConst); !isConst {
				return i, nil
			}
		}
		v := call.Eval(interpreter.EmptyActivation())
		if types.IsUnknownOrError(v) {
			return i, nil
		}
		return interpreter.NewConstValue(call.ID(), v), nil
	})
}
