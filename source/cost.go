package source

import (
	"fmt"

	"github.com/google/cel-go/cel"
	"github.com/google/cel-go/checker"
	"github.com/google/cel-go/common/types"

	"github.com/stixcel/stixcel/celenv"
)

// checkCost refuses a field's expression whose cost, by cel-go's static estimate, exceeds
// celenv.MaxCost, the limit of channel CEL, assuming raw values as long as channel CEL
// assumes event values (celenv.EventStringSize, celenv.EventListSize) and the lookup tables
// as large as they are: a profile runs on every line, before any plan, so one expression
// with nested comprehensions or a growing replace must not be able to stall a run.
func checkCost(env *cel.Env, ast *cel.Ast, maps map[string]map[string]string) error {
	est, err := env.EstimateCost(ast, profileSizes{maps: maps})
	if err != nil {
		return fmt.Errorf("estimate cost: %w", err)
	}
	if est.Max > celenv.MaxCost {
		return fmt.Errorf("expression too expensive: estimated cost %d exceeds the limit %d (nested comprehensions over raw lists? a replace or repeat that grows a raw string?)", est.Max, celenv.MaxCost)
	}
	return nil
}

// profileSizes sizes `raw` and `maps` for the estimate.
type profileSizes struct {
	maps map[string]map[string]string
}

func (s profileSizes) EstimateSize(node checker.AstNode) *checker.SizeEstimate {
	path := node.Path()
	if len(path) == 0 {
		return nil
	}
	switch path[0] {
	case "raw":
		if t := node.Type(); len(path) == 1 || t != nil && (t.Kind() == types.ListKind || t.Kind() == types.MapKind) {
			return &checker.SizeEstimate{Min: 0, Max: celenv.EventListSize}
		}
		return &checker.SizeEstimate{Min: 0, Max: celenv.EventStringSize}
	case "maps":
		return &checker.SizeEstimate{Min: 0, Max: s.mapsSize(path[1:])}
	}
	return nil
}

// mapsSize is the largest size of what path reaches in the lookup tables.
func (s profileSizes) mapsSize(path []string) uint64 {
	if len(path) == 0 {
		return uint64(len(s.maps))
	}
	var most uint64
	for name, table := range s.maps {
		if path[0] != name && path[0] != "@values" {
			continue
		}
		if len(path) == 1 {
			most = max(most, uint64(len(table)))
			continue
		}
		for k, v := range table {
			if path[1] == "@keys" {
				most = max(most, uint64(len(k)))
			} else {
				most = max(most, uint64(len(v)))
			}
		}
	}
	return most
}

func (profileSizes) EstimateCallCost(function, overloadID string, target *checker.AstNode, args []checker.AstNode) *checker.CallEstimate {
	return nil
}
