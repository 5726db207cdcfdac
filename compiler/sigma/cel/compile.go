package sigmacel

import (
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/google/cel-go/cel"

	"github.com/stixcel/stixcel/celenv"
	"github.com/stixcel/stixcel/compiler/sigma"
	"github.com/stixcel/stixcel/compiler/sigma/condition"
	"github.com/stixcel/stixcel/compiler/sigma/mapping"
	"github.com/stixcel/stixcel/diag"
)

// ErrNeverMatches is the error of a rule that cannot match on a target because the fields
// it needs are ones the target's events lack.
var ErrNeverMatches = errors.New("cannot match on this target")

// Error is a part of a rule that does not compile: Construct names it (for counts), Pos
// places it.
type Error struct {
	Pos       diag.Pos
	Construct string
	Msg       string
}

func (e *Error) Error() string { return fmt.Sprintf("%s: %s", e.Pos, e.Msg) }

// unsupported is an Error for a construct not compiled yet.
func unsupported(pos diag.Pos, construct, what string) *Error {
	return &Error{Pos: pos, Construct: construct, Msg: what + ": " + construct + " is not supported yet"}
}

// Compile returns one CEL boolean expression for rule's detection on target t's events.
func Compile(rule *sigma.Rule, t mapping.Target) (string, error) {
	if rule.Detection == nil {
		return "", &Error{Pos: rule.Pos, Construct: "kind " + string(rule.Kind), Msg: fmt.Sprintf("a %s rule has no detection to compile", rule.Kind)}
	}
	node, err := parseCondition(rule.Detection)
	if err != nil {
		return "", err
	}
	c := &compiler{det: rule.Detection, target: t, lacked: map[string]bool{}}
	out, err := c.node(node, true)
	if err != nil {
		return "", err
	}
	if len(out.text) > compactAbove && (utf8.RuneCountInString(out.text) > MaxExpressionSize || overCost(out.text)) {
		c = &compiler{det: rule.Detection, target: t, lacked: map[string]bool{}, compact: true}
		if out, err = c.node(node, true); err != nil {
			return "", err
		}
	}
	if out.isConst(false) {
		return "", &NeverMatchesError{Pos: rule.Pos, Title: rule.Title.Value, LogSource: t.LogSource, Fields: c.lackedList()}
	}
	if n := utf8.RuneCountInString(out.text); n > MaxExpressionSize {
		return "", &Error{Pos: rule.Detection.Pos, Construct: "expression size",
			Msg: fmt.Sprintf("detection compiles to %d characters of CEL, over the parser's limit of %d", n, MaxExpressionSize)}
	}
	return out.text, nil
}

// MaxExpressionSize is the longest expression CEL's parser accepts, in code points.
const MaxExpressionSize = 100_000

// parseCondition is the detection's condition, its first error an *Error naming the construct.
func parseCondition(det *sigma.Detection) (condition.Node, error) {
	node, err := det.ParseCondition()
	var ce *sigma.ConditionError
	switch {
	case errors.As(err, &ce):
		return nil, &Error{Pos: ce.Pos, Construct: "condition", Msg: "condition: " + ce.Msg}
	case err != nil:
		return nil, fmt.Errorf("%s: condition: %w", det.Pos, err)
	}
	return node, nil
}

type compiler struct {
	det     *sigma.Detection
	target  mapping.Target
	lacked  map[string]bool
	compact bool // long value lists as one test per kind (literalSets)
}

// compactAbove is the length of CEL text under which no detection is over celenv's cost
// limit (the cheapest over it, a few hundred hashes, is tens of thousands of characters):
// shorter ones are not estimated. A detection over the cost limit or CEL's size limit is
// written in the compact form.
const compactAbove = 4096

// overCost reports whether expr is over celenv's cost limit, as the runtime would refuse it;
// the compiler then writes the compact form of its value lists. An expression that does not
// check is left for the caller's own check to report.
func overCost(expr string) bool {
	env, err := channelEnv()
	if err != nil {
		return false
	}
	ast, _, err := celenv.CompileBool(env, expr)
	if err != nil {
		return false
	}
	return celenv.CheckCost(env, ast, nil) != nil
}

// channelEnv is celenv.ChannelEnv(nil), built once: an environment is immutable and safe
// for concurrent use, and building one costs more than checking most expressions.
var channelEnv = sync.OnceValues(func() (*cel.Env, error) { return celenv.ChannelEnv(nil) })

// NeverMatchesError is a rule left constant false on a target: the fields it needs there are
// ones the target's events lack. It is ErrNeverMatches.
type NeverMatchesError struct {
	Pos       diag.Pos
	Title     string
	LogSource string
	Fields    []string // the lacked Sigma fields the rule tests, sorted
}

func (e *NeverMatchesError) Error() string {
	return fmt.Sprintf("%s: %s: %v: it tests %s, which %s events lack", e.Pos, e.Title, ErrNeverMatches, strings.Join(e.Fields, ", "), e.LogSource)
}

// Is makes errors.Is(err, ErrNeverMatches) hold.
func (e *NeverMatchesError) Is(target error) bool { return target == ErrNeverMatches }

func (c *compiler) lackedList() []string {
	names := make([]string, 0, len(c.lacked))
	for n := range c.lacked {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// node compiles a condition node; positive is false under an odd number of `not`s.
func (c *compiler) node(n condition.Node, positive bool) (part, error) {
	switch n := n.(type) {
	case *condition.Ident:
		return c.search(n.Name, positive)
	case *condition.Not:
		x, err := c.node(n.X, !positive)
		return not(x), err
	case *condition.And:
		return c.terms(n.Terms, positive, and)
	case *condition.Or:
		return c.terms(n.Terms, positive, or)
	case *condition.Of:
		terms := make([]condition.Node, len(n.Names))
		for i, name := range n.Names {
			terms[i] = &condition.Ident{At: n.At, Name: name}
		}
		if n.Quant == condition.All {
			return c.terms(terms, positive, and)
		}
		return c.terms(terms, positive, or)
	}
	return part{}, fmt.Errorf("%s: condition node %T", c.det.Pos, n)
}

func (c *compiler) terms(nodes []condition.Node, positive bool, join func(...part) part) (part, error) {
	parts := make([]part, 0, len(nodes))
	for _, n := range nodes {
		p, err := c.node(n, positive)
		if err != nil {
			return part{}, err
		}
		parts = append(parts, p)
	}
	return join(parts...), nil
}

// search compiles one search identifier: the OR of its groups, each the AND of its matchers.
func (c *compiler) search(name string, positive bool) (part, error) {
	s := c.det.Search(name)
	if s == nil {
		return part{}, fmt.Errorf("%s: search %q not defined", c.det.Pos, name)
	}
	groups := make([]part, 0, len(s.Groups))
	for _, g := range s.Groups {
		ms := make([]part, 0, len(g))
		for _, m := range g {
			p, err := c.matcher(m, positive)
			if err != nil {
				return part{}, err
			}
			ms = append(ms, p)
		}
		groups = append(groups, and(ms...))
	}
	return or(groups...), nil
}
