package source

import (
	"github.com/google/cel-go/cel"
	celast "github.com/google/cel-go/common/ast"
	"github.com/google/cel-go/common/operators"
	"github.com/google/cel-go/common/types"
	"github.com/google/cel-go/common/types/ref"
	"github.com/google/cel-go/common/types/traits"
)

// alternative is one compiled alternative of an output field.
type alternative interface {
	eval(act *activation) (ref.Val, error)
}

// celAlternative evaluates its CEL program.
type celAlternative struct{ prg cel.Program }

func (a celAlternative) eval(act *activation) (ref.Val, error) {
	out, _, err := a.prg.Eval(act)
	return out, err
}

// fastAlternative is an alternative of one of the shapes most profile fields take: a raw
// field as it is (`raw.Hostname`, `raw["@timestamp"]`), converted to an int (`int(raw.EventID)`)
// or parsed as a time (`parse_time(raw.TimeCreated)`). It reads the field and applies the
// conversion without the interpreter, with the same functions CEL calls; whenever the result
// would be an error other than a missing key it evaluates the CEL program instead, so that
// values and messages are CEL's in every case.
type fastAlternative struct {
	key     types.String
	convert func(ref.Val) (ref.Val, bool) // false: let CEL say why not
	missing error                         // CEL's error for a raw object without the key
	prg     cel.Program
}

func (a *fastAlternative) eval(act *activation) (ref.Val, error) {
	m, ok := act.raw.(traits.Mapper)
	if !ok {
		return celAlternative{a.prg}.eval(act)
	}
	v, found := m.Find(a.key)
	if !found {
		return nil, a.missing
	}
	if types.IsError(v) {
		return celAlternative{a.prg}.eval(act)
	}
	if out, ok := a.convert(v); ok {
		return out, nil
	}
	return celAlternative{a.prg}.eval(act)
}

// newAlternative returns the fast form of a checked expression when it has one of the shapes
// fastAlternative knows, a memoAlternative when it reads one raw field, else its CEL program.
func newAlternative(checked *cel.Ast, prg cel.Program) alternative {
	expr := checked.NativeRep().Expr()
	convert := asIs
	if expr.Kind() == celast.CallKind && !expr.AsCall().IsMemberFunction() && len(expr.AsCall().Args()) == 1 {
		switch expr.AsCall().FunctionName() {
		case "int":
			convert = toInt
		case "parse_time":
			convert = toTime
		default:
			return memoOrCEL(checked, prg)
		}
		expr = expr.AsCall().Args()[0]
	}
	key, ok := rawField(expr)
	if !ok {
		return memoOrCEL(checked, prg)
	}
	return &fastAlternative{key: types.String(key), convert: convert, missing: types.NewErr("no such key: %s", key).(*types.Err), prg: prg}
}

// memoOrCEL returns a memoAlternative when the expression reads a single raw field, else
// its CEL program.
func memoOrCEL(checked *cel.Ast, prg cel.Program) alternative {
	if key, ok := onlyField(checked.NativeRep().Expr()); ok {
		return &memoAlternative{key: types.String(key), prg: prg}
	}
	return celAlternative{prg}
}

// rawField reports the field name of `raw.F` or `raw["F"]`.
func rawField(e celast.Expr) (string, bool) {
	switch e.Kind() {
	case celast.SelectKind:
		sel := e.AsSelect()
		if !sel.IsTestOnly() && isRaw(sel.Operand()) {
			return sel.FieldName(), true
		}
	case celast.CallKind:
		call := e.AsCall()
		if call.FunctionName() == operators.Index && len(call.Args()) == 2 && isRaw(call.Args()[0]) &&
			call.Args()[1].Kind() == celast.LiteralKind {
			if s, ok := call.Args()[1].AsLiteral().(types.String); ok {
				return string(s), true
			}
		}
	}
	return "", false
}

func isRaw(e celast.Expr) bool { return e.Kind() == celast.IdentKind && e.AsIdent() == "raw" }

func asIs(v ref.Val) (ref.Val, bool) { return v, true }

// toInt is CEL's int() conversion for the values it converts without an error.
func toInt(v ref.Val) (ref.Val, bool) {
	out := v.ConvertToType(types.IntType)
	return out, !types.IsError(out)
}

// toTime is parse_time(string) for the strings it parses.
func toTime(v ref.Val) (ref.Val, bool) {
	s, ok := v.(types.String)
	if !ok {
		return nil, false
	}
	t, err := parseTime(string(s))
	if err != nil {
		return nil, false
	}
	return types.Timestamp{Time: t}, true
}

// memoAlternative is an expression that reads one raw field and nothing else of the event,
// such as the windows profile's log source, a table lookup on raw.Channel. CEL is free of
// side effects, so its result is a function of that field's value: the normalizer keeps
// the results for the first maxMemo short string values it meets (a channel, an event
// type) and evaluates the program only for others. A missing field, or a value that is not
// a short string, goes to CEL.
type memoAlternative struct {
	key types.String
	prg cel.Program
}

// maxMemo is how many values of its field a memoAlternative remembers per normalizer, and
// maxMemoValue the longest value it remembers.
const (
	maxMemo      = 256
	maxMemoValue = 128
)

// memoResult is a remembered evaluation.
type memoResult struct {
	val ref.Val
	err error
}

func (a *memoAlternative) eval(act *activation) (ref.Val, error) {
	m, ok := act.raw.(traits.Mapper)
	if !ok {
		return celAlternative{a.prg}.eval(act)
	}
	v, found := m.Find(a.key)
	s, isString := v.(types.String)
	if !found || !isString || len(s) > maxMemoValue {
		return celAlternative{a.prg}.eval(act)
	}
	memo := act.memo[a]
	if r, ok := memo[string(s)]; ok {
		return r.val, r.err
	}
	val, err := celAlternative{a.prg}.eval(act)
	if memo == nil {
		if act.memo == nil {
			act.memo = map[*memoAlternative]map[string]memoResult{}
		}
		memo = map[string]memoResult{}
		act.memo[a] = memo
	}
	if len(memo) < maxMemo {
		memo[string(s)] = memoResult{val, err}
	}
	return val, err
}

// onlyField reports the one raw field e reads when every use of `raw` in e is `raw.F` or
// `raw["F"]` for the same F, and e has no comprehension (whose variables could hide `raw`).
func onlyField(e celast.Expr) (string, bool) {
	field := ""
	ok := true
	var walk func(e celast.Expr)
	walk = func(e celast.Expr) {
		if !ok {
			return
		}
		if f, isField := rawField(e); isField {
			if field != "" && field != f {
				ok = false
			}
			field = f
			return
		}
		switch e.Kind() {
		case celast.IdentKind:
			ok = ok && !isRaw(e)
		case celast.SelectKind:
			walk(e.AsSelect().Operand())
		case celast.CallKind:
			call := e.AsCall()
			if call.IsMemberFunction() {
				walk(call.Target())
			}
			for _, arg := range call.Args() {
				walk(arg)
			}
		case celast.ListKind:
			for _, el := range e.AsList().Elements() {
				walk(el)
			}
		case celast.MapKind:
			for _, entry := range e.AsMap().Entries() {
				walk(entry.AsMapEntry().Key())
				walk(entry.AsMapEntry().Value())
			}
		case celast.StructKind:
			for _, f := range e.AsStruct().Fields() {
				walk(f.AsStructField().Value())
			}
		case celast.LiteralKind:
		default: // comprehensions and anything unknown
			ok = false
		}
	}
	walk(e)
	return field, ok && field != ""
}
