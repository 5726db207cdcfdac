package special

import (
	"reflect"
	"strings"
	"sync"

	celast "github.com/google/cel-go/common/ast"
	"github.com/google/cel-go/common/operators"
	"github.com/google/cel-go/common/types"
	"github.com/google/cel-go/common/types/ref"
	"github.com/google/cel-go/interpreter"

	"github.com/stixcel/stixcel/internal/relit"
)

// A disjunction of contains tests of one field, `event.F.lowerAscii().contains('a') ||
// event.F.lowerAscii().contains('b') || ...` (or of `event.F` itself), is how a Sigma
// `F|contains:` list compiles, some of them with dozens of words; a list of patterns, or of
// words Sigma matches without regard to case beyond ASCII, is a disjunction of matches tests
// (SigmaHQ's emoji rules test a command line against a thousand patterns each). Evaluated as
// written, each test searches the string again; the specializer decides the whole
// disjunction in one search: for any of its words (anyWord), or for any of its patterns'
// literals (relit.Any, when relit decides each pattern by its literals alone).
//
// The result is the disjunction's: on a string, contains and a pattern that compiles never
// fail, so the disjunction is true exactly when a word occurs or a pattern matches; on
// anything else (a missing field, a number, a string that is not UTF-8 for lowerAscii),
// every test would leave the case to plain CEL, and so does the fused node, to the
// disjunction as planned, errors and all.

// chainSource is the string a chain's tests search: event.F, or its lowerAscii().
type chainSource struct {
	slot  int
	lower bool
}

// chainKind is the test a chain repeats.
type chainKind uint8

const (
	chainContains chainKind = iota
	chainMatches
)

// containsChain is a disjunction of one kind of test of one source, its words (or
// patterns) in order.
type containsChain struct {
	kind  chainKind
	src   chainSource
	words []string
}

// findChains records, by the id of each outermost `||` whose operands are all tests of one
// kind of one source with constant words or patterns (through nested `||`), that chain;
// eventSlots are the slots of the expression's `event.F` selections.
func findChains(expr celast.Expr, eventSlots map[int64]int) map[int64]*containsChain {
	chains := map[int64]*containsChain{}
	celast.PostOrderVisit(expr, celast.NewExprVisitor(func(e celast.Expr) {
		if e.Kind() != celast.CallKind || e.AsCall().FunctionName() != operators.LogicalOr {
			return
		}
		var chain *containsChain
		for _, arg := range e.AsCall().Args() {
			part, ok := chains[arg.ID()]
			if !ok {
				if part, ok = containsTest(arg, eventSlots); !ok {
					return
				}
			}
			if chain == nil {
				chain = &containsChain{kind: part.kind, src: part.src}
			} else if chain.src != part.src || chain.kind != part.kind {
				return
			}
			chain.words = append(chain.words, part.words...)
		}
		if chain == nil || len(e.AsCall().Args()) < 2 {
			return
		}
		chains[e.ID()] = chain
		for _, arg := range e.AsCall().Args() {
			delete(chains, arg.ID()) // part of this one: decided once, by it
		}
	}))
	return chains
}

// containsTest reads `S.contains('w')`, `S.matches('p')` or `matches(S, 'p')`, where S is
// `event.F` or `event.F.lowerAscii()`, as a chain of one test.
func containsTest(e celast.Expr, eventSlots map[int64]int) (*containsChain, bool) {
	if e.Kind() != celast.CallKind {
		return nil, false
	}
	call := e.AsCall()
	var target, arg celast.Expr
	switch {
	case call.IsMemberFunction() && len(call.Args()) == 1:
		target, arg = call.Target(), call.Args()[0]
	case !call.IsMemberFunction() && len(call.Args()) == 2 && call.FunctionName() == "matches":
		target, arg = call.Args()[0], call.Args()[1]
	default:
		return nil, false
	}
	kind := chainContains
	switch call.FunctionName() {
	case "contains":
	case "matches":
		kind = chainMatches
	default:
		return nil, false
	}
	word, ok := stringLiteral(arg)
	if !ok {
		return nil, false
	}
	lower := false
	if target.Kind() == celast.CallKind {
		inner := target.AsCall()
		if inner.FunctionName() != "lowerAscii" || !inner.IsMemberFunction() || len(inner.Args()) != 0 {
			return nil, false
		}
		target, lower = inner.Target(), true
	}
	slot, ok := eventSlots[target.ID()]
	if !ok {
		return nil, false
	}
	return &containsChain{kind: kind, src: chainSource{slot: slot, lower: lower}, words: []string{word}}, true
}

func stringLiteral(e celast.Expr) (string, bool) {
	if e.Kind() != celast.LiteralKind {
		return "", false
	}
	s, ok := e.AsLiteral().(types.String)
	return string(s), ok
}

// isPlainOr reports whether n is the planner's short-circuit `||` (not the exhaustive one
// state tracking plans, whose terms must all run).
func isPlainOr(n interpreter.InterpretableV2) bool {
	return reflect.TypeOf(n).String() == "*interpreter.evalOr"
}

// anyContains is a containsChain decided in one search of its source: for any of its words,
// or with the union of its patterns' matchers (parts). The search is built when the node
// is first evaluated: a rule set's disjunctions are many, most of them never evaluated on a
// given input, and an automaton for a few words is tens of kilobytes.
type anyContains struct {
	orig  interpreter.InterpretableV2 // the disjunction as planned
	src   strSource                   // read with str only
	words []string
	parts []*relit.Matcher
	once  sync.Once
	// what build made: one of them, or neither (the disjunction as planned decides)
	any     *anyWord
	pattern *relit.Matcher
}

func (s *Specializer) newAnyContains(orig interpreter.InterpretableV2, chain *containsChain) (*anyContains, bool) {
	n := &anyContains{orig: orig, src: &eventField{slot: chain.src.slot}}
	if chain.src.lower {
		n.src = &lowerField{slot: chain.src.slot}
	}
	switch chain.kind {
	case chainContains:
		n.words = chain.words
	case chainMatches:
		parts, ok := s.exactParts(chain.words)
		if !ok {
			return nil, false
		}
		n.parts = parts
	}
	return n, true
}

// exactParts are the matchers of patterns, and ok when each compiles (else the tests fail as
// CEL words it) and is decided by its string tests alone (relit.Matcher.Exact: else the
// union of their literals would not decide the chain).
func (s *Specializer) exactParts(patterns []string) ([]*relit.Matcher, bool) {
	ms := make([]*relit.Matcher, len(patterns))
	for i, p := range patterns {
		m, err := s.patterns.compile(p)
		if err != nil || !m.Exact() {
			return nil, false
		}
		ms[i] = m
	}
	return ms, true
}

// build makes the search, once.
func (n *anyContains) build() {
	if n.parts != nil {
		n.pattern, _ = relit.Any(n.parts)
		return
	}
	n.any, _ = newAnyWordOf(n.words)
}

func (n *anyContains) ID() int64 { return n.orig.ID() }

func (n *anyContains) Eval(act interpreter.Activation) ref.Val {
	return n.Exec(interpreter.AsFrame(act))
}

func (n *anyContains) Exec(frame *interpreter.ExecutionFrame) ref.Val {
	n.once.Do(n.build)
	if n.pattern != nil || n.any != nil {
		if s, ok := n.src.str(frame); ok {
			if n.pattern != nil {
				return types.Bool(n.pattern.MatchString(s))
			}
			return types.Bool(n.any.in(s))
		}
	}
	return n.orig.Exec(frame)
}

// fewWords is how many words a chain searches for one at a time (strings.Contains, which
// skips through the string far faster than an automaton steps); more take an automaton.
const fewWords = 16

// containsEach is anyWord's search for a few words.
func containsEach(s string, words []string) bool {
	for _, w := range words {
		if strings.Contains(s, w) {
			return true
		}
	}
	return false
}
