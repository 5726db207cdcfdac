// Package explain answers `stixcel explain`: it finds the plan of an analytic or a Sigma
// rule, or the plans of a technique, in a compiled set, and traces events through one plan to say, event by
// event, which channels and conditions held and so why the plan did or did not alert
// (runtime.Tracer does the evaluating; this package reads the events and words the result).
package explain

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/stixcel/stixcel/catalog"
	"github.com/stixcel/stixcel/plan"
)

// techniqueID matches an ATT&CK technique or sub-technique id: T1003, T1003.001.
var techniqueID = regexp.MustCompile(`^[Tt]\d{4}(\.\d{3})?$`)

// IsTechniqueID reports whether id names an ATT&CK technique or sub-technique (T1003,
// t1003.001) rather than an analytic.
func IsTechniqueID(id string) bool { return techniqueID.MatchString(id) }

// Find returns the plan of the analytic id (its ATT&CK id in any letter case, or its STIX
// id), or of the Sigma rule id (its id, or its title in any letter case), or nil.
func Find(set *plan.Set, id string) *plan.Plan {
	for _, p := range set.Plans {
		if strings.EqualFold(p.ID, id) || p.StixID == id {
			return p
		}
	}
	for _, p := range set.Plans {
		if p.Rule != nil && strings.EqualFold(strings.TrimSpace(p.Rule.Title), strings.TrimSpace(id)) {
			return p
		}
	}
	return nil
}

// OfTechnique returns the plans one of whose techniques is id or, for an id without a
// sub-technique, one of its sub-techniques (as search's --technique matches them); in the
// set's order. Letter case does not matter.
func OfTechnique(set *plan.Set, id string) []*plan.Plan {
	q := catalog.Query{Technique: id}
	var out []*plan.Plan
	for _, p := range set.Plans {
		if q.Matches(p, nil) {
			out = append(out, p)
		}
	}
	return out
}

// Lookup finds what `stixcel explain ID` names: the plan of an analytic (p), or the plans of
// a technique (plans, OfTechnique) when id is a technique id. None is an error saying so, and,
// when seedOnly (no bundle was named), which bundle to pass.
func Lookup(set *plan.Set, id string, seedOnly bool) (p *plan.Plan, plans []*plan.Plan, err error) {
	if IsTechniqueID(id) {
		if plans = OfTechnique(set, id); len(plans) == 0 {
			return nil, nil, NoTechnique(strings.ToUpper(id), seedOnly)
		}
		return nil, plans, nil
	}
	if p = Find(set, id); p == nil && hasRules(set) {
		return nil, nil, fmt.Errorf("no analytic or Sigma rule (id or title) %q is loaded%s", id, seedOnlyHint(seedOnly))
	}
	if p == nil {
		return nil, nil, NotLoaded(id, seedOnly)
	}
	return p, nil, nil
}

// hasRules reports whether the set holds plans of Sigma rules.
func hasRules(set *plan.Set) bool {
	for _, p := range set.Plans {
		if p.Origin == plan.OriginSigma {
			return true
		}
	}
	return false
}
