package celenv

import (
	"math"
	"regexp"
	"sync"
	"sync/atomic"

	"github.com/google/cel-go/cel"
	"github.com/google/cel-go/checker"
	"github.com/google/cel-go/common/types"
	"github.com/google/cel-go/common/types/ref"
	"github.com/google/cel-go/common/types/traits"
)

// AnyStringMatchesOverload is the overload id of `event.anyStringMatches(re)`: some string
// value of the event matches the RE2 pattern re (unanchored). It is Sigma's keyword search,
// a test of every field of the event, which a comprehension over the event's values cannot
// express within the cost estimate (an element's size is unknown to it).
const AnyStringMatchesOverload = "map_any_string_matches"

// EventTextFactor is how many of the event's longest strings an event-wide search is
// estimated to read: anyStringMatches costs as a `matches` over a string this many times the
// assumed longest string (the runtime's MaxStringSize tiers scale it alike).
const EventTextFactor = 4

// textFunctions declares the functions over the whole event. Patterns compile once per
// environment: a program's patterns are constants.
func textFunctions() cel.EnvOption {
	cache := &patterns{}
	return cel.Function("anyStringMatches",
		cel.MemberOverload(AnyStringMatchesOverload,
			[]*cel.Type{cel.MapType(cel.StringType, cel.DynType), cel.StringType}, cel.BoolType,
			cel.BinaryBinding(func(event, pattern ref.Val) ref.Val {
				return anyStringMatches(cache, event, pattern)
			})))
}

// patterns caches compiled patterns for the environment's programs, which any worker
// evaluates: reads take no lock. It holds at most maxPatterns (a program's patterns are
// constants, so that is every pattern of every plan but the most unusual sets); past it,
// patterns compile on each call.
type patterns struct {
	compiled sync.Map // pattern text: *regexp.Regexp
	n        atomic.Int64
}

const maxPatterns = 4096

func (p *patterns) get(src string) (*regexp.Regexp, error) {
	if re, ok := p.compiled.Load(src); ok {
		return re.(*regexp.Regexp), nil
	}
	re, err := regexp.Compile(src)
	if err != nil {
		return nil, err
	}
	if p.n.Add(1) <= maxPatterns {
		p.compiled.Store(src, re)
	}
	return re, nil
}

func anyStringMatches(cache *patterns, event, pattern ref.Val) ref.Val {
	m, ok := event.(traits.Mapper)
	if !ok {
		return types.NewErr("anyStringMatches: not a map")
	}
	src, ok := pattern.(types.String)
	if !ok {
		return types.NewErr("anyStringMatches: pattern is not a string")
	}
	re, err := cache.get(string(src))
	if err != nil {
		return types.NewErr("anyStringMatches: %v", err)
	}
	for it := m.Iterator(); it.HasNext() == types.True; {
		if s, ok := m.Get(it.Next()).(types.String); ok && re.MatchString(string(s)) {
			return types.True
		}
	}
	return types.False
}

// anyStringMatchesCost estimates anyStringMatches as cel-go estimates `matches` (traversal
// factor 0.1 times regex factor 0.25, times both lengths) over EventTextFactor strings of
// stringSize.
func anyStringMatchesCost(stringSize uint64, args []checker.AstNode) *checker.CallEstimate {
	reSize := uint64(math.MaxUint64)
	if len(args) == 1 {
		if sz := args[0].ComputedSize(); sz != nil {
			reSize = sz.Max
		}
	}
	text := float64(stringSize) * EventTextFactor
	cost := math.Ceil(text * float64(reSize) * 0.025)
	if cost >= math.MaxUint64 {
		return &checker.CallEstimate{CostEstimate: checker.CostEstimate{Min: 1, Max: math.MaxUint64}}
	}
	return &checker.CallEstimate{CostEstimate: checker.CostEstimate{Min: 1, Max: uint64(cost)}}
}
