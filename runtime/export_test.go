package runtime

import (
	"fmt"
	"reflect"

	"github.com/stixcel/stixcel/celenv"
	"github.com/stixcel/stixcel/plan"
)

// BuildDecisions builds set's plans as New does, with every parsed form checked while
// building (eagerForms) or those that may be checked when first evaluated, and describes
// what the build derived before any evaluation: each channel's programs, route, needs,
// cost limits and slots (channels, in set order), and of each channel expression its
// route, loops, parameter reads and specializer with the slots it numbered (exprs, by
// expression key). lazy counts the expressions learned from a form not yet checked.
func BuildDecisions(set *plan.Set, eagerForms bool) (channels []string, exprs map[string]string, lazy int, err error) {
	exprs = map[string]string{}
	cfg := config{maxIterations: DefaultMaxIterations, eagerForms: eagerForms,
		learned: func(key string, ce *checkedExpr) {
			if ce.form != nil {
				lazy++
			}
			expr := ce.parse
			if ce.form == nil {
				expr = ce.ast.NativeRep().Expr()
			}
			spec := reflect.ValueOf(ce.specializer).Elem()
			exprs[key] = fmt.Sprintf("route=%s loops=%t readsParams=%t special=%t specReadsParams=%t event=%v presence=%v params=%v",
				describeRoute(ce.route), ce.loops, celenv.ReadsParams(expr), ce.special,
				ce.specializer.ReadsParams(), spec.FieldByName("eventSlots"), spec.FieldByName("presenceSlots"),
				spec.FieldByName("paramFields"))
		}}
	plans, _, err := compileSet(set, &cfg)
	if err != nil {
		return nil, nil, 0, err
	}
	for _, cp := range plans {
		channels = append(channels, fmt.Sprintf("%s groupSlots=%v entitySlots=%v condition=%t",
			cp.src.ID, cp.groupSlots, cp.entitySlots, cp.condition != nil))
		for _, c := range cp.channels {
			channels = append(channels, fmt.Sprintf("%s %s selector=%t predicate=%t route=%s selNeed=%v predNeed=%v selMax=%d predMax=%d groupSlots=%v series=%v fieldSlots=%v",
				cp.src.ID, c.id, c.selector != nil, c.predicate != nil, describeRoute(c.route), c.selNeed, c.predNeed,
				c.selMax, c.predMax, c.groupSlots, c.series, c.fieldSlots))
		}
	}
	return channels, exprs, lazy, nil
}

func describeRoute(r *route) string {
	if r == nil {
		return "none"
	}
	return fmt.Sprintf("%+v", *r)
}
