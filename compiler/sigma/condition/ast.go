package condition

import (
	"fmt"
	"strings"
)

// Position is where a node or an error starts inside a condition.
//
// Line and Col are 1-based, Col counting Unicode code points (pass them to
// yamlpos.String.PosAt); Offset is the byte offset. Item is the index of the condition in a
// condition list (0 for a single condition).
type Position struct {
	Item   int
	Offset int
	Line   int
	Col    int
}

// String renders line:col, with the list item when it is not the first.
func (p Position) String() string {
	if p.Item > 0 {
		return fmt.Sprintf("condition[%d] %d:%d", p.Item, p.Line, p.Col)
	}
	return fmt.Sprintf("%d:%d", p.Line, p.Col)
}

// Node is a node of a parsed condition: *Ident, *Not, *And, *Or or *Of.
type Node interface {
	// Pos is where the node's text begins.
	Pos() Position
	// String prints the node canonically: binary chains in parentheses, `x of` with the
	// names it resolved to.
	String() string
	node()
}

// Ident is a reference to one search identifier.
type Ident struct {
	At   Position
	Name string
}

// Not negates X.
type Not struct {
	At Position
	X  Node
}

// And holds when every term holds; a chain `a and b and c` is one And of three terms.
type And struct {
	At    Position
	Terms []Node
}

// Or holds when any term holds; a chain `a or b or c` is one Or of three terms.
type Or struct {
	At    Position
	Terms []Node
}

// Quantifier is the left side of `x of`.
type Quantifier int

const (
	// One is `1 of`: any of the names holds.
	One Quantifier = iota + 1
	// All is `all of`: every name holds.
	All
)

// String renders the quantifier as written in Sigma.
func (q Quantifier) String() string {
	if q == All {
		return "all"
	}
	return "1"
}

// Of is `1 of X` or `all of X`: Target is `them` or the pattern as written, Names the search
// identifiers it matched, in the detection's declared order (never empty).
type Of struct {
	At     Position
	Quant  Quantifier
	Target string
	Names  []string
}

func (n *Ident) Pos() Position { return n.At }
func (n *Not) Pos() Position   { return n.At }
func (n *And) Pos() Position   { return n.At }
func (n *Or) Pos() Position    { return n.At }
func (n *Of) Pos() Position    { return n.At }

func (*Ident) node() {}
func (*Not) node()   {}
func (*And) node()   {}
func (*Or) node()    {}
func (*Of) node()    {}

func (n *Ident) String() string { return n.Name }
func (n *Not) String() string   { return "not " + n.X.String() }
func (n *And) String() string   { return chain(n.Terms, " and ") }
func (n *Or) String() string    { return chain(n.Terms, " or ") }

func (n *Of) String() string {
	return fmt.Sprintf("%s of %s[%s]", n.Quant, n.Target, strings.Join(n.Names, " "))
}

func chain(terms []Node, op string) string {
	parts := make([]string, len(terms))
	for i, t := range terms {
		parts[i] = t.String()
	}
	return "(" + strings.Join(parts, op) + ")"
}

// Eval evaluates n, asking holds whether each search identifier matched. It is the
// condition's meaning, for tests and for checking a compiled form against it.
func Eval(n Node, holds func(name string) bool) bool {
	switch n := n.(type) {
	case *Ident:
		return holds(n.Name)
	case *Not:
		return !Eval(n.X, holds)
	case *And:
		for _, t := range n.Terms {
			if !Eval(t, holds) {
				return false
			}
		}
		return true
	case *Or:
		for _, t := range n.Terms {
			if Eval(t, holds) {
				return true
			}
		}
		return false
	case *Of:
		return evalOf(n, holds)
	}
	panic(fmt.Sprintf("condition: Eval of unknown node %T", n))
}

func evalOf(n *Of, holds func(string) bool) bool {
	if n.Quant == All {
		for _, name := range n.Names {
			if !holds(name) {
				return false
			}
		}
		return true
	}
	for _, name := range n.Names {
		if holds(name) {
			return true
		}
	}
	return false
}

// Refs returns the search identifiers n reads, each once, in the order they first appear.
func Refs(n Node) []string {
	var out []string
	seen := map[string]bool{}
	add := func(name string) {
		if !seen[name] {
			seen[name] = true
			out = append(out, name)
		}
	}
	var walk func(Node)
	walk = func(n Node) {
		switch n := n.(type) {
		case *Ident:
			add(n.Name)
		case *Not:
			walk(n.X)
		case *And:
			for _, t := range n.Terms {
				walk(t)
			}
		case *Or:
			for _, t := range n.Terms {
				walk(t)
			}
		case *Of:
			for _, name := range n.Names {
				add(name)
			}
		}
	}
	walk(n)
	return out
}
