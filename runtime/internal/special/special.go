// Package special specializes channel programs: a cel-go planner decorator replaces the hot
// nodes of a checked channel expression (event field reads, presence tests, string tests,
// comparisons, list membership, patterns) with Go code over the engine's event.FieldView,
// keeping CEL's values and errors.
package special

import (
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"unsafe"

	"github.com/coregx/ahocorasick"

	celast "github.com/google/cel-go/common/ast"
	"github.com/google/cel-go/common/overloads"
	"github.com/google/cel-go/common/types"
	"github.com/google/cel-go/common/types/ref"
	"github.com/google/cel-go/common/types/traits"
	"github.com/google/cel-go/interpreter"

	"github.com/stixcel/stixcel/celenv"
	"github.com/stixcel/stixcel/event"
	"github.com/stixcel/stixcel/internal/relit"
)

// Specializer is a cel-go planner decorator that replaces the hot nodes of a channel
// expression with Go code over the engine's FieldView:
//
//   - event.F reads the field straight from the view (cached per event);
//   - params.X arrives as the plan's value, folded in by celenv.ParamsAsConstants before
//     this decorator runs (a plan's parameters are constants for a run), so that
//     `x in params.List` is a set lookup;
//   - contains, startsWith, endsWith, matches (constant pattern, compiled once), == and !=
//     against a constant, and `in` a constant list or map, on an event field or its
//     lowerAscii(), compare Go strings without making CEL values;
//   - containsAny over a constant list runs one automaton built when the program is planned.
//
// Each replacement keeps the node it replaces and hands it every case it does not decide
// itself (a missing field, a value that is not a string, a view that is not there), so
// results and errors stay those of plain CEL.
type Specializer struct {
	patterns *Patterns
	// eventSlots maps the ids of `event.F` selections (not has() tests) to F's FieldView
	// slot, numbered when the Specializer is made: Decorate only reads it, so programs
	// can be planned on several goroutines. presenceSlots does the same for `has(event.F)`.
	eventSlots    map[int64]int
	presenceSlots map[int64]int
	paramFields   map[int64]string // ids of `params.X` selections
	// chains are the disjunctions of contains or matches tests of one field, by the id of
	// their `||` (chain.go).
	chains map[int64]*containsChain
}

// New inspects a checked expression; ok is false when it cannot be specialized
// safely (a comprehension variable shadows `event` or `params`).
func New(expr celast.Expr, slots *event.Slots, pats *Patterns) (*Specializer, bool) {
	s := &Specializer{patterns: pats, eventSlots: map[int64]int{}, presenceSlots: map[int64]int{},
		paramFields: map[int64]string{}}
	ok := true
	celast.PreOrderVisit(expr, celast.NewExprVisitor(func(e celast.Expr) {
		switch e.Kind() {
		case celast.ComprehensionKind:
			ok = ok && !celenv.ShadowsBindings(e)
		case celast.SelectKind:
			sel := e.AsSelect()
			op := sel.Operand()
			if op.Kind() != celast.IdentKind {
				return
			}
			if sel.IsTestOnly() {
				if op.AsIdent() == "event" {
					s.presenceSlots[e.ID()] = slots.Slot(sel.FieldName())
				}
				return
			}
			switch op.AsIdent() {
			case "event":
				s.eventSlots[e.ID()] = slots.Slot(sel.FieldName())
			case "params":
				s.paramFields[e.ID()] = sel.FieldName()
			}
		}
	}))
	s.chains = findChains(expr, s.eventSlots)
	return s, ok
}

// ReadsParams reports whether the expression selects a parameter.
func (s *Specializer) ReadsParams() bool { return len(s.paramFields) > 0 }

// Decorate is the decorator (cel.CustomDecoratorV2): it replaces the nodes New found.
func (s *Specializer) Decorate(i interpreter.InterpretableV2) (interpreter.InterpretableV2, error) {
	if chain, ok := s.chains[i.ID()]; ok && isPlainOr(i) {
		if n, ok := s.newAnyContains(i, chain); ok {
			return n, nil
		}
	}
	switch n := i.(type) {
	case interpreter.InterpretableAttribute:
		if slot, ok := s.eventSlots[n.ID()]; ok && selectsVariable(n, "event") {
			return &eventField{orig: n, slot: slot}, nil
		}
		if slot, ok := s.presenceSlots[n.ID()]; ok && selectsVariable(n, "event") {
			return &hasField{orig: n, slot: slot}, nil
		}
	case interpreter.InterpretableCall:
		return s.call(n), nil
	}
	return i, nil
}

// selectsVariable reports whether n is the attribute `variable.F` (not, say, a relative
// attribute the planner wraps around an already decorated node with the same id).
func selectsVariable(n interpreter.InterpretableAttribute, variable string) bool {
	attr, ok := n.Attr().(interpreter.NamespacedAttribute)
	if !ok || len(attr.Qualifiers()) != 1 {
		return false
	}
	names := attr.CandidateVariableNames()
	return len(names) == 1 && names[0] == variable
}

func (s *Specializer) call(c interpreter.InterpretableCall) interpreter.InterpretableV2 {
	args := c.Args()
	switch c.OverloadID() {
	case "string_lower_ascii":
		if f, ok := args[0].(*eventField); ok && len(args) == 1 {
			return &lowerField{orig: c, slot: f.slot}
		}
		return c
	}
	if len(args) != 2 {
		return c
	}
	switch c.OverloadID() {
	case overloads.ContainsString, overloads.StartsWithString, overloads.EndsWithString:
		if src, lit, ok := strAndConst(args[0], args[1]); ok {
			return &strTest{orig: c, src: src, lit: lit, test: stringTests[c.OverloadID()]}
		}
	case overloads.Matches, overloads.MatchesString:
		if src, lit, ok := strAndConst(args[0], args[1]); ok {
			if re, err := s.patterns.compile(lit); err == nil {
				return &strTest{orig: c, src: src, lit: lit, test: func(s, _ string) bool { return re.MatchString(s) }}
			}
		}
		if _, isConst := args[1].(interpreter.InterpretableConst); !isConst {
			return &regexMatch{orig: c, subject: args[0], pattern: args[1]}
		}
	case overloads.Equals, overloads.NotEquals:
		if f, ok := fieldAndNull(args[0], args[1]); ok {
			return &nullTest{orig: c, slot: f.slot, equal: c.OverloadID() == overloads.Equals}
		}
		src, lit, ok := strAndConst(args[0], args[1])
		if !ok {
			src, lit, ok = strAndConst(args[1], args[0])
		}
		if ok {
			return &strTest{orig: c, src: src, lit: lit, test: stringTests[c.OverloadID()]}
		}
	case celenv.ContainsAnyOverload:
		src, ok := args[0].(strSource)
		rhs, isConst := args[1].(interpreter.InterpretableConst)
		if ok && isConst {
			if m, ok := newAnyWord(rhs.Value()); ok {
				return &strContainsAny{orig: c, src: src, words: m}
			}
		}
	case overloads.InList, overloads.InMap:
		src, ok := args[0].(strSource)
		rhs, isConst := args[1].(interpreter.InterpretableConst)
		if ok && isConst {
			if set, ok := stringSet(rhs.Value()); ok {
				return &strInSet{orig: c, src: src, set: set}
			}
		}
	}
	return c
}

var stringTests = map[string]func(s, lit string) bool{
	overloads.ContainsString:   strings.Contains,
	overloads.StartsWithString: strings.HasPrefix,
	overloads.EndsWithString:   strings.HasSuffix,
	overloads.Equals:           func(s, lit string) bool { return s == lit },
	overloads.NotEquals:        func(s, lit string) bool { return s != lit },
}

// strAndConst matches a string source and a constant string.
func strAndConst(a, b interpreter.InterpretableV2) (strSource, string, bool) {
	src, ok := a.(strSource)
	if !ok {
		return nil, "", false
	}
	c, ok := b.(interpreter.InterpretableConst)
	if !ok {
		return nil, "", false
	}
	lit, ok := c.Value().(types.String)
	if !ok {
		return nil, "", false
	}
	return src, string(lit), true
}

// stringSet collects the string elements of a constant list, or the string keys of a
// constant map. Other elements cannot equal a string, so a string's membership is decided
// by the set alone.
func stringSet(v ref.Val) (map[string]struct{}, bool) {
	var it traits.Iterator
	switch c := v.(type) {
	case traits.Lister:
		it = c.Iterator()
	case traits.Mapper:
		it = c.Iterator()
	default:
		return nil, false
	}
	set := map[string]struct{}{}
	for it.HasNext() == types.True {
		if s, ok := it.Next().(types.String); ok {
			set[string(s)] = struct{}{}
		}
	}
	return set, true
}

// Activation binds `event` and `params` without allocating per evaluation: the engine's
// activation of channel programs, whose specialized nodes read View directly.
type Activation struct {
	Event  ref.Val          // the engine's FieldView, showing the current event
	View   *event.FieldView // the same, typed, for specialized nodes
	Params ref.Val
}

// ResolveName binds `event` and `params`.
func (a *Activation) ResolveName(name string) (any, bool) {
	switch name {
	case "event":
		return a.Event, true
	case "params":
		return a.Params, true
	}
	return nil, false
}

// Parent is nil: an Activation is the whole activation.
func (a *Activation) Parent() interpreter.Activation { return nil }

// viewOf finds the FieldView bound to `event`; nil when the activation binds something
// else (the specialized nodes then run the plain ones).
func viewOf(frame *interpreter.ExecutionFrame) *event.FieldView {
	if a, ok := frame.Activation.(*Activation); ok {
		return a.View
	}
	v, _ := frame.ResolveName("event")
	fv, _ := v.(*event.FieldView)
	return fv
}

// fieldAndNull matches `event.F` and the constant null, in either order.
func fieldAndNull(a, b interpreter.InterpretableV2) (*eventField, bool) {
	if _, isField := b.(*eventField); isField {
		a, b = b, a
	}
	f, ok := a.(*eventField)
	if !ok {
		return nil, false
	}
	c, ok := b.(interpreter.InterpretableConst)
	if !ok || c.Value() != types.NullValue {
		return nil, false
	}
	return f, true
}

// hasField is `has(event.F)`: whether the event holds F (null included).
type hasField struct {
	orig interpreter.InterpretableV2
	slot int
}

func (n *hasField) ID() int64 { return n.orig.ID() }

func (n *hasField) Eval(act interpreter.Activation) ref.Val {
	return n.Exec(interpreter.AsFrame(act))
}

func (n *hasField) Exec(frame *interpreter.ExecutionFrame) ref.Val {
	if v := viewOf(frame); v != nil {
		return types.Bool(v.Slot(n.slot).Kind() != event.KindMissing)
	}
	return n.orig.Exec(frame)
}

// nullTest is `event.F == null` or `event.F != null` for a field the event holds; a
// missing field (an error) and Go values other than nil are left to the plain node.
type nullTest struct {
	orig  interpreter.InterpretableV2
	slot  int
	equal bool
}

func (n *nullTest) ID() int64 { return n.orig.ID() }

func (n *nullTest) Eval(act interpreter.Activation) ref.Val {
	return n.Exec(interpreter.AsFrame(act))
}

func (n *nullTest) Exec(frame *interpreter.ExecutionFrame) ref.Val {
	if v := viewOf(frame); v != nil {
		f := v.Slot(n.slot)
		switch f.Kind() {
		case event.KindNull:
			return types.Bool(n.equal)
		case event.KindString, event.KindNumber, event.KindBool, event.KindComposite:
			return types.Bool(!n.equal)
		case event.KindNative:
			if f.Native() == nil {
				return types.Bool(n.equal)
			}
		}
	}
	return n.orig.Exec(frame)
}

// strSource is a node whose value, when it is a string, can be read without a CEL value.
type strSource interface {
	interpreter.InterpretableV2
	// str returns the string; ok is false when the plain node must decide.
	str(frame *interpreter.ExecutionFrame) (s string, ok bool)
}

// eventField is `event.F`.
type eventField struct {
	orig interpreter.InterpretableV2
	slot int
}

func (n *eventField) ID() int64 { return n.orig.ID() }

func (n *eventField) Eval(act interpreter.Activation) ref.Val {
	return n.Exec(interpreter.AsFrame(act))
}

func (n *eventField) Exec(frame *interpreter.ExecutionFrame) ref.Val {
	if v := viewOf(frame); v != nil {
		if val, found := v.CEL(v.Slot(n.slot)); found {
			return val
		}
	}
	return n.orig.Exec(frame) // the missing field's error, as plain CEL words it
}

func (n *eventField) str(frame *interpreter.ExecutionFrame) (string, bool) {
	v := viewOf(frame)
	if v == nil {
		return "", false
	}
	return v.Slot(n.slot).Str()
}

// lowerField is `event.F.lowerAscii()`.
type lowerField struct {
	orig interpreter.InterpretableV2
	slot int
}

func (n *lowerField) ID() int64 { return n.orig.ID() }

func (n *lowerField) Eval(act interpreter.Activation) ref.Val {
	return n.Exec(interpreter.AsFrame(act))
}

func (n *lowerField) Exec(frame *interpreter.ExecutionFrame) ref.Val {
	if s, ok := n.str(frame); ok {
		return types.String(strings.Clone(s))
	}
	return n.orig.Exec(frame)
}

func (n *lowerField) str(frame *interpreter.ExecutionFrame) (string, bool) {
	v := viewOf(frame)
	if v == nil {
		return "", false
	}
	return v.Lower(v.Slot(n.slot))
}

// strTest is a string function or comparison of a string source and a constant.
type strTest struct {
	orig interpreter.InterpretableV2
	src  strSource
	lit  string
	test func(s, lit string) bool
}

func (n *strTest) ID() int64 { return n.orig.ID() }

func (n *strTest) Eval(act interpreter.Activation) ref.Val {
	return n.Exec(interpreter.AsFrame(act))
}

func (n *strTest) Exec(frame *interpreter.ExecutionFrame) ref.Val {
	if s, ok := n.src.str(frame); ok {
		return types.Bool(n.test(s, n.lit))
	}
	return n.orig.Exec(frame)
}

// strInSet is `src in [constant list]` or `src in {constant map}`.
type strInSet struct {
	orig interpreter.InterpretableV2
	src  strSource
	set  map[string]struct{}
}

func (n *strInSet) ID() int64 { return n.orig.ID() }

func (n *strInSet) Eval(act interpreter.Activation) ref.Val {
	return n.Exec(interpreter.AsFrame(act))
}

func (n *strInSet) Exec(frame *interpreter.ExecutionFrame) ref.Val {
	if s, ok := n.src.str(frame); ok {
		_, in := n.set[s]
		return types.Bool(in)
	}
	return n.orig.Exec(frame)
}

// strContainsAny is `src.containsAny([constant list of strings])`: one pass of a DFA built
// when the program is planned, where celenv's containsAny reads the list and finds its
// automaton on every call (a 150-name list over PowerShell's ContextInfo took 150 µs).
type strContainsAny struct {
	orig  interpreter.InterpretableV2
	src   strSource
	words *anyWord
}

func (n *strContainsAny) ID() int64 { return n.orig.ID() }

func (n *strContainsAny) Eval(act interpreter.Activation) ref.Val {
	return n.Exec(interpreter.AsFrame(act))
}

func (n *strContainsAny) Exec(frame *interpreter.ExecutionFrame) ref.Val {
	if s, ok := n.src.str(frame); ok {
		return types.Bool(n.words.in(s))
	}
	return n.orig.Exec(frame)
}

// anyWord decides whether a string contains one of a list's words, as containsAny does:
// the empty word is in every string.
type anyWord struct {
	empty bool
	few   []string // at most fewWords words, searched one at a time (m is nil)
	m     *ahocorasick.Automaton
}

// newAnyWord is the matcher of a constant list whose elements are all strings; ok is false
// for anything else (containsAny's error is then the plain node's).
func newAnyWord(v ref.Val) (*anyWord, bool) {
	words, ok := celenv.ContainsAnyWords(v)
	if !ok {
		return nil, false
	}
	return newAnyWordOf(words)
}

// newAnyWordOf is the matcher of words.
func newAnyWordOf(words []string) (*anyWord, bool) {
	a := &anyWord{empty: slices.Contains(words, "")}
	if a.empty || len(words) == 0 {
		return a, true
	}
	if len(words) <= fewWords {
		a.few = words
		return a, true
	}
	m, err := ahocorasick.NewBuilder().AddStrings(words).Build()
	if err != nil {
		return nil, false
	}
	a.m = m
	return a, true
}

func (a *anyWord) in(s string) bool {
	if a.empty {
		return true
	}
	if a.few != nil {
		return containsEach(s, a.few)
	}
	if a.m == nil {
		return false
	}
	// Find, not IsMatch: IsMatch skips ahead with one bytes.IndexByte per first byte of the
	// words over the rest of the text each time its automaton is back at its start, which
	// is quadratic in the text (a 64 KiB script block took milliseconds); Find skips once.
	_, found := a.m.Find(unsafe.Slice(unsafe.StringData(s), len(s)), 0)
	return found
}

// regexMatch is `s.matches(pattern)` with a pattern computed per evaluation (a comprehension
// variable, a concatenation): it compiles each distinct pattern once.
type regexMatch struct {
	orig    interpreter.InterpretableV2
	subject interpreter.InterpretableV2
	pattern interpreter.InterpretableV2
	cache   regexCache
}

func (n *regexMatch) ID() int64 { return n.orig.ID() }

func (n *regexMatch) Eval(act interpreter.Activation) ref.Val {
	return n.Exec(interpreter.AsFrame(act))
}

func (n *regexMatch) Exec(frame *interpreter.ExecutionFrame) ref.Val {
	pat, ok := n.pattern.Exec(frame).(types.String)
	if !ok {
		return n.orig.Exec(frame)
	}
	var s string
	if src, isSrc := n.subject.(strSource); isSrc {
		if s, ok = src.str(frame); !ok {
			return n.orig.Exec(frame)
		}
	} else {
		str, isStr := n.subject.Exec(frame).(types.String)
		if !isStr {
			return n.orig.Exec(frame)
		}
		s = string(str)
	}
	re := n.cache.get(string(pat))
	if re == nil {
		return n.orig.Exec(frame) // not RE2: CEL's error
	}
	return types.Bool(re.MatchString(s))
}

// Patterns compiles each constant pattern of an engine's programs once, with relit (the
// regexp, and the string tests that decide most matches without it), for every program
// that uses it: the elements of a parameter list recur across plans and unrolled copies.
// It is safe for concurrent use.
type Patterns struct {
	mu       sync.Mutex
	compiled map[string]compiledPattern
}

type compiledPattern struct {
	m   *relit.Matcher
	err error
}

// NewPatterns is an empty Patterns, for one engine.
func NewPatterns() *Patterns { return &Patterns{compiled: map[string]compiledPattern{}} }

func (p *Patterns) compile(pattern string) (*relit.Matcher, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	c, ok := p.compiled[pattern]
	if !ok {
		c.m, c.err = relit.Compile(pattern)
		p.compiled[pattern] = c
	}
	return c.m, c.err
}

// maxCachedRegexes bounds a regexCache; further patterns are compiled per use.
const maxCachedRegexes = 4096

// regexCache holds compiled patterns; programs are shared by workers, so it is safe for
// concurrent use.
type regexCache struct {
	compiled sync.Map // pattern → *relit.Matcher, or nil for an invalid pattern
	size     atomic.Int64
}

func (c *regexCache) get(pattern string) *relit.Matcher {
	if re, ok := c.compiled.Load(pattern); ok {
		return re.(*relit.Matcher)
	}
	re, err := relit.Compile(pattern)
	if err != nil {
		re = nil
	}
	if c.size.Load() < maxCachedRegexes {
		if _, loaded := c.compiled.LoadOrStore(pattern, re); !loaded {
			c.size.Add(1)
		}
	}
	return re
}
