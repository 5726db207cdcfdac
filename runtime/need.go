package runtime

import (
	"sort"
	"strings"

	celast "github.com/google/cel-go/common/ast"
	"github.com/google/cel-go/common/operators"
	"github.com/google/cel-go/common/overloads"
	"github.com/google/cel-go/common/types"
	"github.com/google/cel-go/common/types/ref"
	"github.com/google/cel-go/common/types/traits"

	"github.com/stixcel/stixcel/celenv"
	"github.com/stixcel/stixcel/internal/relit"
)

// A need is what a channel expression needs of an event's strings to be anything but
// false: every clause holds one of its atoms. When no clause of an expression's need holds
// of an event, the expression evaluates to false, without an error, so the candidate index
// (candidates.go) skips it and gets the very answer, and the very stats, that evaluating it
// would. A nil need says nothing: the expression is always evaluated.
type need []clause

// A clause holds when one of its atoms does.
type clause []atom

// An atom is one test of an event field that a clause's expression needs. It holds of an
// event unless the test is false without an error:
//
//   - atomTest, a string function (contains, startsWith, endsWith, matches, or any test of
//     `lowerAscii()`): unless the field is a valid UTF-8 string whose ASCII-lowered value
//     lacks lit (lowered), or missing and guarded; any other value may be an error.
//   - atomEqual, `event.F == 'lit'` or `in` a list of strings: unless the field is a string
//     as above, or not a string at all (CEL's == is then false), or missing and guarded.
//   - atomNumber, `event.F == n` or `in` a list of numbers, n whole: unless the field is
//     other than a number of value n, or missing and guarded.
//
// A string that is not valid UTF-8 holds every atom of its field.
type atom struct {
	field string
	kind  atomKind
	lit   string
	num   int64
	// guarded: the field's absence makes the expression false without an error (a
	// `has(event.F)` conjunct); otherwise reading it fails, which only evaluating counts.
	guarded bool
	// ks: a case-insensitive regular expression's literal holds k or s, which U+212A
	// KELVIN SIGN and U+017F LATIN SMALL LETTER LONG S also match; a string holding either
	// holds the atom.
	ks bool
}

type atomKind uint8

const (
	atomTest atomKind = iota
	atomEqual
	atomNumber
)

// Limits of a need: the clauses kept (the most selective), the atoms of a clause.
const (
	maxNeedClauses = 3
	maxClauseAtoms = 512
)

// needs derives needs from checked channel expressions, with the plan's parameter values
// (folded into programs as constants, so read here as constants too).
type needs struct {
	params   map[string]ref.Val
	patterns map[string]patternLits // required literals of regular expressions, by pattern
}

// patternLits are the literals one of which a pattern's every match holds (ok false: none).
type patternLits struct {
	lits []relit.Literal
	ok   bool
}

// of returns the need of a checked boolean expression; nil when it knows none.
func (n *needs) of(e celast.Expr) need {
	cs := n.clauses(e)
	if len(cs) == 0 {
		return nil
	}
	sort.SliceStable(cs, func(i, j int) bool { return cs[i].score() > cs[j].score() })
	return need(cs[:min(len(cs), maxNeedClauses)])
}

// clauses is the conjunction of clauses e needs: a conjunction needs what each conjunct
// does (CEL's && is false when either side is, whatever the other gives); a disjunction
// one clause, the union of its sides' best ones; a string test of an event field one atom
// per literal it requires.
func (n *needs) clauses(e celast.Expr) []clause {
	if e.Kind() != celast.CallKind {
		return nil
	}
	call := e.AsCall()
	args := call.Args()
	switch call.FunctionName() {
	case operators.LogicalAnd: // two arguments as parsed, any number as unrolled
		var cs []clause
		for _, a := range args {
			cs = append(cs, n.clauses(a)...)
		}
		return guard(cs, e)
	case operators.LogicalOr:
		var union clause
		for _, a := range args {
			b := best(n.clauses(a))
			if b == nil || len(union)+len(b) > maxClauseAtoms {
				return nil
			}
			union = append(union, b...)
		}
		return []clause{union}
	}
	if c := n.test(e); c != nil {
		return []clause{c}
	}
	return nil
}

// guard marks the atoms of a conjunction's clauses whose field a conjunct tests with
// has(): when it is missing the conjunction is false, and no error.
func guard(cs []clause, conj celast.Expr) []clause {
	if len(cs) == 0 {
		return nil
	}
	var guarded []string
	conjuncts(conj, func(c celast.Expr) {
		if f, ok := hasField(c); ok {
			guarded = append(guarded, f)
		}
	})
	if len(guarded) == 0 {
		return cs
	}
	out := make([]clause, len(cs))
	for i, c := range cs {
		out[i] = make(clause, len(c))
		for j, a := range c {
			a.guarded = a.guarded || containsStr(guarded, a.field)
			out[i][j] = a
		}
	}
	return out
}

// conjuncts calls f on each conjunct of a tree of &&.
func conjuncts(e celast.Expr, f func(celast.Expr)) {
	if e.Kind() == celast.CallKind && e.AsCall().FunctionName() == operators.LogicalAnd {
		for _, a := range e.AsCall().Args() {
			conjuncts(a, f)
		}
		return
	}
	f(e)
}

// hasField reads `has(event.F)`.
func hasField(e celast.Expr) (string, bool) {
	if e.Kind() != celast.SelectKind {
		return "", false
	}
	sel := e.AsSelect()
	if !sel.IsTestOnly() || sel.Operand().Kind() != celast.IdentKind || sel.Operand().AsIdent() != "event" {
		return "", false
	}
	return sel.FieldName(), true
}

// best is the most selective clause of cs; nil for none.
func best(cs []clause) clause {
	var b clause
	for _, c := range cs {
		if b == nil || c.score() > b.score() {
			b = c
		}
	}
	return b
}

// score ranks a clause by how rarely it should hold: its shortest literal (longer ones
// occur less often), then fewer atoms.
func (c clause) score() int {
	shortest := 16
	for _, a := range c {
		if a.kind != atomNumber {
			shortest = min(shortest, len(a.lit))
		}
	}
	return shortest*1024 - min(len(c), 1023)
}

// test reads one string test of an event field: `S.contains(L)`, `S.startsWith(L)`,
// `S.endsWith(L)`, `S == L`, `S in [L1, ...]`, `S.matches(P)`, where S is `event.F` or
// `event.F.lowerAscii()` and L, P are constant (literals, parameters, their sums).
func (n *needs) test(e celast.Expr) clause {
	call := e.AsCall()
	args := call.Args()
	switch call.FunctionName() {
	case overloads.Contains, overloads.StartsWith, overloads.EndsWith:
		if !call.IsMemberFunction() || len(args) != 1 {
			return nil
		}
		return n.literalTest(call.Target(), args[0])
	case operators.Equals:
		if len(args) != 2 {
			return nil
		}
		if c := n.equalTest(args[0], args[1]); c != nil {
			return c
		}
		return n.equalTest(args[1], args[0])
	case operators.In:
		if len(args) != 2 {
			return nil
		}
		return n.inTest(args[0], args[1])
	case overloads.Matches:
		switch {
		case call.IsMemberFunction() && len(args) == 1:
			return n.patternTest(call.Target(), args[0])
		case !call.IsMemberFunction() && len(args) == 2:
			return n.patternTest(args[0], args[1])
		}
	}
	return nil
}

// literalTest reads a string function of S and a constant string.
func (n *needs) literalTest(src, lit celast.Expr) clause {
	field, _, ok := stringSource(src)
	if !ok {
		return nil
	}
	s, ok := n.constString(lit)
	if !ok || s == "" {
		return nil
	}
	return clause{{field: field, lit: celenv.LowerASCII(s)}}
}

// equalTest reads `S == c`, c a string or a whole number.
func (n *needs) equalTest(src, c celast.Expr) clause {
	field, lowered, ok := stringSource(src)
	if !ok {
		return nil
	}
	v, ok := n.constant(c)
	if !ok {
		return nil
	}
	a, ok := equalAtom(field, lowered, v)
	if !ok {
		return nil
	}
	return clause{a}
}

// equalAtom is the atom of `S == v`: a string test when S is lowered (lowerAscii fails on
// anything but a string), else a string or number equality; ok is false for other values
// and the empty string.
func equalAtom(field string, lowered bool, v ref.Val) (atom, bool) {
	switch v := v.(type) {
	case types.String:
		if v == "" {
			return atom{}, false
		}
		kind := atomEqual
		if lowered {
			kind = atomTest
		}
		return atom{field: field, kind: kind, lit: celenv.LowerASCII(string(v))}, true
	case types.Int, types.Uint, types.Double:
		if lowered {
			return atom{}, false
		}
		var r route
		if !r.value(celast.NewExprFactory().NewLiteral(0, v)) || len(r.ints) != 1 {
			return atom{}, false
		}
		return atom{field: field, kind: atomNumber, num: r.ints[0]}, true
	}
	return atom{}, false
}

func (n *needs) inTest(src, list celast.Expr) clause {
	field, lowered, ok := stringSource(src)
	if !ok {
		return nil
	}
	var vals []ref.Val
	switch {
	case list.Kind() == celast.ListKind && len(list.AsList().OptionalIndices()) == 0:
		for _, el := range list.AsList().Elements() {
			if el.Kind() != celast.LiteralKind {
				return nil
			}
			vals = append(vals, el.AsLiteral())
		}
	default:
		v, ok := n.constant(list)
		if !ok {
			return nil
		}
		l, ok := v.(traits.Lister)
		if !ok {
			return nil
		}
		for it := l.Iterator(); it.HasNext() == types.True; {
			vals = append(vals, it.Next())
		}
	}
	if len(vals) == 0 || len(vals) > maxClauseAtoms {
		return nil
	}
	c := make(clause, 0, len(vals))
	for _, v := range vals {
		a, ok := equalAtom(field, lowered, v)
		if !ok {
			if _, isStr := v.(types.String); lowered && !isStr {
				continue // a lowered string equals no number, bool or null
			}
			return nil
		}
		c = append(c, a)
	}
	if len(c) == 0 {
		return nil
	}
	return c
}

func (n *needs) patternTest(src, pattern celast.Expr) clause {
	field, _, ok := stringSource(src)
	if !ok {
		return nil
	}
	p, ok := n.constString(pattern)
	if !ok {
		return nil
	}
	pl, seen := n.patterns[p]
	if !seen {
		pl.lits, pl.ok = relit.RequiredOf(p)
		n.patterns[p] = pl
	}
	if !pl.ok || len(pl.lits) == 0 || len(pl.lits) > maxClauseAtoms {
		return nil
	}
	c := make(clause, 0, len(pl.lits))
	for _, l := range pl.lits {
		if l.S == "" {
			return nil
		}
		c = append(c, atom{field: field, lit: celenv.LowerASCII(l.S), ks: l.Fold && strings.ContainsAny(l.S, "ksKS")})
	}
	return c
}

// stringSource reads `event.F` or `event.F.lowerAscii()` (lowered): a string that holds a
// literal only if the field's ASCII-lowered value does.
func stringSource(e celast.Expr) (field string, lowered, ok bool) {
	if e.Kind() == celast.CallKind {
		call := e.AsCall()
		if call.FunctionName() != "lowerAscii" || !call.IsMemberFunction() || len(call.Args()) != 0 {
			return "", false, false
		}
		e, lowered = call.Target(), true
	}
	if e.Kind() != celast.SelectKind {
		return "", false, false
	}
	sel := e.AsSelect()
	if sel.IsTestOnly() || sel.Operand().Kind() != celast.IdentKind || sel.Operand().AsIdent() != "event" {
		return "", false, false
	}
	return sel.FieldName(), lowered, true
}

// constString reads a constant string: a literal, a parameter, or a sum of those.
func (n *needs) constString(e celast.Expr) (string, bool) {
	if e.Kind() == celast.CallKind && e.AsCall().FunctionName() == operators.Add && len(e.AsCall().Args()) == 2 {
		a, ok := n.constString(e.AsCall().Args()[0])
		if !ok {
			return "", false
		}
		b, ok := n.constString(e.AsCall().Args()[1])
		return a + b, ok
	}
	v, ok := n.constant(e)
	if !ok {
		return "", false
	}
	s, ok := v.(types.String)
	return string(s), ok
}

// constant reads a literal or a parameter (`params.NAME`).
func (n *needs) constant(e celast.Expr) (ref.Val, bool) {
	switch e.Kind() {
	case celast.LiteralKind:
		return e.AsLiteral(), true
	case celast.SelectKind:
		sel := e.AsSelect()
		if sel.IsTestOnly() || sel.Operand().Kind() != celast.IdentKind || sel.Operand().AsIdent() != "params" {
			return nil, false
		}
		v, ok := n.params[sel.FieldName()]
		return v, ok
	}
	return nil, false
}
