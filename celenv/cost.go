package celenv

import (
	"fmt"

	"github.com/google/cel-go/cel"
	"github.com/google/cel-go/checker"
	"github.com/google/cel-go/common/types"

	"github.com/stixcel/stixcel/internal/jsonl"
)

// MaxCost is the most an expression may cost by cel-go's static estimate (cost units are
// roughly one per elementary operation, strings counted by length). The built-in pack's
// predicates estimate at most about 260,000 (several regular expressions over 16 KiB command
// lines); a six-deep nested comprehension over 10-element lists estimates 26,666,653 and is
// refused. The runtime also enforces it on the actual cost of each evaluation, so no single
// event can stall the stream.
const MaxCost = 5_000_000

// Assumed sizes of event values, for the estimate: the longest string field and the largest
// list or map an event carries. An expression must be affordable at these sizes to compile;
// the runtime then evaluates it on an event with longer strings only if it is affordable at
// that event's size too (see MaxStringSize).
const (
	EventStringSize = 16 << 10
	EventListSize   = 1 << 10
)

// EstimateCost returns cel-go's upper cost estimate of a checked expression, knowing the
// sizes of the parameter values and assuming EventStringSize/EventListSize for event fields.
func EstimateCost(env *cel.Env, ast *cel.Ast, params map[string]any) (uint64, error) {
	return estimateCostAt(env, ast, params, EventStringSize)
}

func estimateCostAt(env *cel.Env, ast *cel.Ast, params map[string]any, stringSize uint64) (uint64, error) {
	est, err := env.EstimateCost(ast, sizeEstimator{params: params, stringSize: stringSize})
	if err != nil {
		return 0, fmt.Errorf("estimate cost: %w", err)
	}
	return est.Max, nil
}

// MaxStringSize is the longest event string at which the expression is still affordable
// (estimated cost within MaxCost): EventStringSize times a power of four, up to
// jsonl.MaxLineBytes, at which every event is affordable; 0 when not even EventStringSize is
// (CheckCost refuses such an expression). The runtime does not evaluate the expression on an
// event holding a longer string: it counts the evaluation as skipped, the same for every
// worker count, instead of spending minutes on it (`replace` on a 16 MiB string can build a
// 4 GB result; a substring search costs the product of both lengths). Costs grow with the
// sizes, so the tiers are searched by bisection: two estimates for the many expressions
// that are affordable on any line.
func MaxStringSize(env *cel.Env, ast *cel.Ast, params map[string]any) (int, error) {
	return maxStringSize(env, ast, params, nil)
}

// maxStringSize is MaxStringSize; atEventSize, when not nil, is the estimate at
// EventStringSize already made (the first probe).
func maxStringSize(env *cel.Env, ast *cel.Ast, params map[string]any, atEventSize *uint64) (int, error) {
	var tiers []uint64
	for size := uint64(EventStringSize); size <= jsonl.MaxLineBytes; size *= 4 {
		tiers = append(tiers, size)
	}
	affordable := func(i int) (bool, error) {
		if i == 0 && atEventSize != nil {
			return *atEventSize <= MaxCost, nil
		}
		cost, err := estimateCostAt(env, ast, params, tiers[i])
		return cost <= MaxCost, err
	}
	lo, hi := -1, len(tiers) // tiers[lo] affordable (-1: none), tiers[hi] not (len: all are)
	for _, probe := range []int{0, len(tiers) - 1} {
		ok, err := affordable(probe)
		if err != nil {
			return 0, err
		}
		if !ok {
			hi = probe
			break
		}
		lo = probe
	}
	for hi-lo > 1 {
		mid := (lo + hi) / 2
		ok, err := affordable(mid)
		if err != nil {
			return 0, err
		}
		if ok {
			lo = mid
		} else {
			hi = mid
		}
	}
	if lo < 0 {
		return 0, nil
	}
	return int(tiers[lo]), nil
}

// CheckCost refuses an expression whose estimated cost exceeds MaxCost.
func CheckCost(env *cel.Env, ast *cel.Ast, params map[string]any) error {
	cost, err := EstimateCost(env, ast, params)
	if err != nil {
		return err
	}
	return costError(cost)
}

// CheckCostMaxString is CheckCost, then MaxStringSize of an expression it accepts, with the
// same results and errors as those two calls; the estimate at EventStringSize, which both
// make, is made once.
func CheckCostMaxString(env *cel.Env, ast *cel.Ast, params map[string]any) (int, error) {
	cost, err := EstimateCost(env, ast, params)
	if err != nil {
		return 0, err
	}
	if err := costError(cost); err != nil {
		return 0, err
	}
	return maxStringSize(env, ast, params, &cost)
}

func costError(cost uint64) error {
	if cost > MaxCost {
		return fmt.Errorf("expression too expensive: estimated cost %d exceeds the limit %d (nested comprehensions over large lists?)", cost, MaxCost)
	}
	return nil
}

type sizeEstimator struct {
	params     map[string]any
	stringSize uint64 // of event strings
}

func (e sizeEstimator) EstimateSize(node checker.AstNode) *checker.SizeEstimate {
	path := node.Path()
	if len(path) == 0 {
		return nil
	}
	switch path[0] {
	case "event":
		if t := node.Type(); t != nil && (t.Kind() == types.ListKind || t.Kind() == types.MapKind) {
			return &checker.SizeEstimate{Min: 0, Max: EventListSize}
		}
		return &checker.SizeEstimate{Min: 0, Max: e.stringSize}
	case "params":
		if len(path) < 2 {
			return &checker.SizeEstimate{Min: 0, Max: uint64(len(e.params))}
		}
		n := sizeAt(e.params[path[1]], path[2:])
		return &checker.SizeEstimate{Min: 0, Max: n}
	}
	return nil
}

func (e sizeEstimator) EstimateCallCost(function, overloadID string, target *checker.AstNode, args []checker.AstNode) *checker.CallEstimate {
	switch overloadID {
	case AnyStringMatchesOverload:
		return anyStringMatchesCost(e.stringSize, args)
	case ContainsAnyOverload:
		return containsAnyCost(e.stringSize, target, args)
	}
	return nil
}

// sizeAt is the largest size of the values reached by path ('@items', '@keys', '@values'
// or field names) from v.
func sizeAt(v any, path []string) uint64 {
	if len(path) == 0 {
		return sizeOf(v)
	}
	var most uint64
	switch t := v.(type) {
	case []any:
		for _, it := range t {
			most = max(most, sizeAt(it, path[1:]))
		}
	case map[string]any:
		if path[0] == "@keys" {
			for k := range t {
				most = max(most, uint64(len(k)))
			}
			return most
		}
		for k, it := range t {
			if path[0] == "@values" || path[0] == k {
				most = max(most, sizeAt(it, path[1:]))
			}
		}
	}
	return most
}

func sizeOf(v any) uint64 {
	switch t := v.(type) {
	case string:
		return uint64(len(t))
	case []any:
		return uint64(len(t))
	case map[string]any:
		return uint64(len(t))
	}
	return 1
}
