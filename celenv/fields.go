package celenv

import (
	"fmt"
	"slices"
	"sync"

	"github.com/google/cel-go/cel"
	celast "github.com/google/cel-go/common/ast"
	"github.com/google/cel-go/common/types"
)

// EventFields lists the top-level event fields an expression reads — `event.X`,
// `event["X"]` with a constant key, and `has(event.X)` — each once, in the order they first
// appear in the text. Inside a comprehension that rebinds `event` nothing is listed, and an
// `event` used whole (`event.exists(...)`, `size(event)`) adds nothing: the list says which
// fields an alert shows of a matching event, not every field the expression could touch.
// An expression that does not parse is an error; "" reads nothing.
func EventFields(expr string) ([]string, error) {
	if expr == "" {
		return nil, nil
	}
	ast, err := parse(expr)
	if err != nil {
		return nil, err
	}
	fields, _ := FieldsOf(ast)
	return fields, nil
}

// FieldsOf is EventFields of an expression already parsed, by any environment with the
// parser options of this package's (optional types), before it is checked (checking may
// rewrite the tree). shadowed says a comprehension rebinds `event`, and fields is then nil.
func FieldsOf(ast *cel.Ast) (fields []string, shadowed bool) {
	type hit struct {
		name   string
		offset int
	}
	var hits []hit
	info := ast.NativeRep().SourceInfo()
	celast.PreOrderVisit(ast.NativeRep().Expr(), celast.NewExprVisitor(func(e celast.Expr) {
		if e.Kind() == celast.ComprehensionKind && ShadowsBindings(e) {
			shadowed = true
		}
		if name, ok := EventField(e); ok {
			at := info.GetStartLocation(e.ID())
			hits = append(hits, hit{name, at.Line()<<20 | at.Column()})
		}
	}))
	if shadowed {
		return nil, true
	}
	// Order by place in the text (pre-order visits a call's target after its operator).
	offsets := map[string]int{}
	var order []string
	for _, h := range hits {
		if at, seen := offsets[h.name]; !seen || h.offset < at {
			if !seen {
				order = append(order, h.name)
			}
			offsets[h.name] = h.offset
		}
	}
	slices.SortStableFunc(order, func(a, b string) int { return offsets[a] - offsets[b] })
	return order, false
}

// EventField is the field name of `event.X`, `has(event.X)`, `event["X"]` or `event[?"X"]`.
func EventField(e celast.Expr) (string, bool) {
	switch e.Kind() {
	case celast.SelectKind:
		sel := e.AsSelect()
		if IsEvent(sel.Operand()) {
			return sel.FieldName(), true
		}
	case celast.CallKind:
		call := e.AsCall()
		if call.FunctionName() != "_[_]" && call.FunctionName() != "_[?_]" || len(call.Args()) != 2 {
			return "", false
		}
		key := call.Args()[1]
		if IsEvent(call.Args()[0]) && key.Kind() == celast.LiteralKind {
			if s, ok := key.AsLiteral().(types.String); ok {
				return string(s), true
			}
		}
	}
	return "", false
}

// IsEvent reports whether e is the identifier `event`.
func IsEvent(e celast.Expr) bool {
	return e.Kind() == celast.IdentKind && e.AsIdent() == "event"
}

// ConditionChannels lists which of ids a condition references: `cN` itself, or
// `channels.cN` (and `channels["cN"]`). A condition that uses `channels` whole references
// every channel. An expression that does not parse is an error.
func ConditionChannels(expr string, ids []string) (map[string]bool, error) {
	ast, err := parse(expr)
	if err != nil {
		return nil, err
	}
	known := make(map[string]bool, len(ids))
	for _, id := range ids {
		known[id] = true
	}
	used, whole := map[string]bool{}, false
	selected := map[int64]bool{} // ids of `channels` idents that a select or index consumes
	celast.PreOrderVisit(ast.NativeRep().Expr(), celast.NewExprVisitor(func(e celast.Expr) {
		switch e.Kind() {
		case celast.IdentKind:
			if known[e.AsIdent()] {
				used[e.AsIdent()] = true
			}
			if e.AsIdent() == "channels" && !selected[e.ID()] {
				whole = true
			}
		case celast.SelectKind, celast.CallKind:
			if op, name, ok := channelsMember(e); ok {
				selected[op] = true
				if known[name] {
					used[name] = true
				}
			}
		}
	}))
	if whole {
		for _, id := range ids {
			used[id] = true
		}
	}
	return used, nil
}

// channelsMember is `channels.cN` or `channels["cN"]`: the id of the `channels` ident and cN.
func channelsMember(e celast.Expr) (int64, string, bool) {
	if e.Kind() == celast.SelectKind {
		sel := e.AsSelect()
		if op := sel.Operand(); op.Kind() == celast.IdentKind && op.AsIdent() == "channels" {
			return op.ID(), sel.FieldName(), true
		}
		return 0, "", false
	}
	call := e.AsCall()
	if call.FunctionName() != "_[_]" || len(call.Args()) != 2 {
		return 0, "", false
	}
	op, key := call.Args()[0], call.Args()[1]
	if op.Kind() != celast.IdentKind || op.AsIdent() != "channels" || key.Kind() != celast.LiteralKind {
		return 0, "", false
	}
	s, ok := key.AsLiteral().(types.String)
	return op.ID(), string(s), ok
}

var (
	parseEnvOnce sync.Once
	parseEnv     *cel.Env
	parseEnvErr  error
)

// parse parses expr without checking it: what names an expression reads is syntax.
func parse(expr string) (*cel.Ast, error) {
	parseEnvOnce.Do(func() { parseEnv, parseEnvErr = cel.NewEnv(cel.OptionalTypes()) })
	if parseEnvErr != nil {
		return nil, fmt.Errorf("parse environment: %w", parseEnvErr)
	}
	ast, iss := parseEnv.Parse(expr)
	if iss != nil && iss.Err() != nil {
		return nil, fmt.Errorf("parse: %w", iss.Err())
	}
	return ast, nil
}
