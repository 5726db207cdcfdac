package source

import (
	"slices"
	"strings"

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
// field as it is (`raw.Hostname`, `raw["@timestamp"]`, or nested: `raw.winlog.channel`),
// converted to an int (`int(raw.EventID)`) or parsed as a time (`parse_time(raw.TimeCreated)`).
// It reads the field and applies the conversion without the interpreter, with the same
// functions CEL calls; whenever the result would be an error other than a missing key it
// evaluates the CEL program instead, so that values and messages are CEL's in every case.
type fastAlternative struct {
	path    rawPath
	convert func(ref.Val) (ref.Val, bool) // false: let CEL say why not
	plain   bool                          // no conversion: the raw value as it is
	prg     cel.Program
}

// isRawField reports whether alt gives the raw top-level field name as it is.
func isRawField(alt alternative, name string) bool {
	f, ok := alt.(*fastAlternative)
	return ok && f.plain && len(f.path.keys) == 1 && f.path.keys[0] == types.String(name)
}

func (a *fastAlternative) eval(act *activation) (ref.Val, error) {
	v, missing, ok := a.path.find(act.raw)
	switch {
	case missing != nil:
		return nil, missing
	case !ok:
		return celAlternative{a.prg}.eval(act)
	}
	if out, ok := a.convert(v); ok {
		return out, nil
	}
	return celAlternative{a.prg}.eval(act)
}

// rawPath is the path of keys of `raw.a.b["c"]`, with CEL's error for each key's absence.
// The keys are CEL values already: made one at each lookup, they would be allocated.
type rawPath struct {
	keys    []ref.Val
	missing []error
}

func newRawPath(keys []string) rawPath {
	p := rawPath{keys: make([]ref.Val, len(keys)), missing: make([]error, len(keys))}
	for i, k := range keys {
		p.keys[i] = types.String(k)
		p.missing[i] = types.NewErr("no such key: %s", k).(*types.Err)
	}
	return p
}

// find walks the path from raw. It gives the value, or CEL's error when a key is missing
// from an object on the way; ok is false when CEL must decide (a value on the way that is
// not an object, or an error value).
func (p rawPath) find(raw ref.Val) (v ref.Val, missing error, ok bool) {
	v = raw
	for i, k := range p.keys {
		m, isMap := v.(traits.Mapper)
		if !isMap {
			return nil, nil, false
		}
		var found bool
		if v, found = m.Find(k); !found {
			return nil, p.missing[i], false
		}
		if types.IsError(v) {
			return nil, nil, false
		}
	}
	return v, nil, true
}

// hasAlternative is a presence test of a raw field, `has(raw.a.b)`, and andAlternative a
// conjunction of alternatives, as profiles' shapes are written. They give CEL's values and
// errors (a missing object on the way is CEL's error; false && error is false), and leave
// to CEL what they do not decide.
type hasAlternative struct {
	operand rawPath // empty: raw itself
	key     ref.Val
	prg     cel.Program
}

func (a *hasAlternative) eval(act *activation) (ref.Val, error) {
	v, missing, ok := a.operand.find(act.raw)
	if missing != nil {
		return nil, missing
	}
	m, isMap := v.(traits.Mapper)
	if !ok || !isMap {
		return celAlternative{a.prg}.eval(act)
	}
	_, found := m.Find(a.key)
	return types.Bool(found), nil
}

type andAlternative struct {
	args []alternative
	prg  cel.Program
}

func (a *andAlternative) eval(act *activation) (ref.Val, error) {
	var firstErr error
	for _, arg := range a.args {
		v, err := arg.eval(act)
		switch {
		case err != nil:
			if firstErr == nil {
				firstErr = err
			}
		case v == types.False:
			return types.False, nil
		case v != types.True:
			return celAlternative{a.prg}.eval(act)
		}
	}
	if firstErr != nil {
		return celAlternative{a.prg}.eval(act) // CEL's choice of error
	}
	return types.True, nil
}

// testAlternative returns the fast form of `has(raw.a.b)` and of conjunctions of them.
func testAlternative(e celast.Expr, prg cel.Program) (alternative, bool) {
	switch e.Kind() {
	case celast.SelectKind:
		sel := e.AsSelect()
		if !sel.IsTestOnly() {
			return nil, false
		}
		var keys []string
		if !isRaw(sel.Operand()) {
			var ok bool
			if keys, ok = rawField(sel.Operand()); !ok {
				return nil, false
			}
		}
		return &hasAlternative{operand: newRawPath(keys), key: types.String(sel.FieldName()), prg: prg}, true
	case celast.CallKind:
		call := e.AsCall()
		if call.FunctionName() != operators.LogicalAnd {
			return nil, false
		}
		and := &andAlternative{prg: prg}
		for _, arg := range call.Args() {
			alt, ok := testAlternative(arg, prg)
			if !ok {
				return nil, false
			}
			and.args = append(and.args, alt)
		}
		return and, true
	}
	return nil, false
}

// newAlternative returns the fast form of a checked expression when it has one of the shapes
// fastAlternative, hasAlternative and andAlternative know, a memoAlternative when it reads
// one raw field, else its CEL program.
func newAlternative(checked *cel.Ast, prg cel.Program) alternative {
	expr := checked.NativeRep().Expr()
	if alt, ok := testAlternative(expr, prg); ok {
		return alt
	}
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
	keys, ok := rawField(expr)
	if !ok {
		return memoOrCEL(checked, prg)
	}
	plain := expr == checked.NativeRep().Expr()
	return &fastAlternative{path: newRawPath(keys), convert: convert, plain: plain, prg: prg}
}

// memoOrCEL returns a memoAlternative when the expression reads a single raw field, a
// rangeAlternative for a comprehension over a raw field, else its CEL program.
func memoOrCEL(checked *cel.Ast, prg cel.Program) alternative {
	expr := checked.NativeRep().Expr()
	if keys, ok := onlyField(expr); ok {
		return &memoAlternative{path: newRawPath(keys), prg: prg}
	}
	if expr.Kind() == celast.ComprehensionKind {
		if keys, ok := rawField(expr.AsComprehension().IterRange()); ok {
			return &rangeAlternative{path: newRawPath(keys), prg: prg}
		}
	}
	return celAlternative{prg}
}

// rangeAlternative is a comprehension over a raw field, such as the windows profile's lift
// of UserData's inner object (`raw.Event.UserData.map(k, raw.Event.UserData[k])`). CEL
// evaluates the range first and fails with its error, so a range that is missing gives
// CEL's error without the interpreter: what most lines of other shapes cost.
type rangeAlternative struct {
	path rawPath
	prg  cel.Program
}

func (a *rangeAlternative) eval(act *activation) (ref.Val, error) {
	if _, missing, _ := a.path.find(act.raw); missing != nil {
		return nil, missing
	}
	return celAlternative{a.prg}.eval(act)
}

// rawField reports the keys of `raw.F`, `raw["F"]` and paths of them such as `raw.F.G["H"]`.
func rawField(e celast.Expr) ([]string, bool) {
	var rev []string
	for {
		switch e.Kind() {
		case celast.IdentKind:
			if !isRaw(e) || len(rev) == 0 {
				return nil, false
			}
			slices.Reverse(rev)
			return rev, true
		case celast.SelectKind:
			sel := e.AsSelect()
			if sel.IsTestOnly() {
				return nil, false
			}
			rev = append(rev, sel.FieldName())
			e = sel.Operand()
		case celast.CallKind:
			call := e.AsCall()
			if call.FunctionName() != operators.Index || len(call.Args()) != 2 || call.Args()[1].Kind() != celast.LiteralKind {
				return nil, false
			}
			s, ok := call.Args()[1].AsLiteral().(types.String)
			if !ok {
				return nil, false
			}
			rev = append(rev, string(s))
			e = call.Args()[0]
		default:
			return nil, false
		}
	}
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
// side effects, so its result is a function of that field's value, or of which key of its
// path is missing: the normalizer keeps the results for the first maxMemo short string values
// it meets (a channel, an event type) and for missing keys, and evaluates the program only
// for others. A value that is not a short string goes to CEL.
type memoAlternative struct {
	path rawPath
	prg  cel.Program
}

// maxMemo is how many values of its field a memoAlternative remembers per normalizer, and
// maxMemoValue the longest value it remembers.
const (
	maxMemo      = 256
	maxMemoValue = 128
)

// memoMissing is the memo key of a path whose key i is missing: "\xff" and i, which no
// value remembered can be (values are valid UTF-8).
func memoMissing(i int) string { return string([]byte{0xff, byte(i)}) }

// memoResult is a remembered evaluation.
type memoResult struct {
	val ref.Val
	err error
}

func (a *memoAlternative) eval(act *activation) (ref.Val, error) {
	v, missing, ok := a.path.find(act.raw)
	var key string
	switch s, isString := v.(types.String); {
	case missing != nil:
		key = memoMissing(slices.Index(a.path.missing, missing))
	case ok && isString && len(s) <= maxMemoValue:
		key = string(s)
	default:
		return celAlternative{a.prg}.eval(act)
	}
	memo := act.memo[a]
	if r, ok := memo[key]; ok {
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
		if kept, ok := keepable(val); ok {
			// the key and a string result may be views into the line: the memo outlives it
			memo[strings.Clone(key)] = memoResult{kept, err}
		}
	}
	return val, err
}

// keepable is a result as a memo keeps it, owning its memory: a scalar (a string copied), an
// error, a timestamp or duration, or an optional one; ok is false for a list or a map,
// whose strings may be views into the line.
func keepable(val ref.Val) (ref.Val, bool) {
	switch v := val.(type) {
	case nil, types.Int, types.Uint, types.Double, types.Bool, types.Null, types.Timestamp, types.Duration, *types.Err:
		return val, true
	case types.String:
		return types.String(strings.Clone(string(v))), true
	case *types.Optional:
		if !v.HasValue() {
			return val, true
		}
		if in, ok := keepable(v.GetValue()); ok {
			return types.OptionalOf(in), true
		}
	}
	return nil, false
}

// onlyField reports the one raw field e reads when every use of `raw` in e is `raw.F` or
// `raw["F"]` (or the same path, `raw.F.G`) for the same F, and e has no comprehension (whose
// variables could hide `raw`).
func onlyField(e celast.Expr) ([]string, bool) {
	var field []string
	ok := true
	var walk func(e celast.Expr)
	walk = func(e celast.Expr) {
		if !ok {
			return
		}
		if f, isField := rawField(e); isField {
			if field != nil && !slices.Equal(field, f) {
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
	return field, ok && field != nil
}
