package runtime

import (
	"math"
	"sort"

	"github.com/google/cel-go/cel"
	celast "github.com/google/cel-go/common/ast"
	"github.com/google/cel-go/common/operators"
	"github.com/google/cel-go/common/types"
	"github.com/google/cel-go/common/types/ref"

	"github.com/stixcel/stixcel/event"
	"github.com/stixcel/stixcel/internal/jsonl"
)

// route is what a selector tests, when it only tests one event field against constants:
// `event.F == c`, `event.F in [c1, c2]`, or a disjunction of those on one field, possibly
// guarded by the field's presence (`has(event.F) && ...`, as the compiler derives them). The
// index then decides the selector, which is never evaluated.
//
// Numbers follow CEL's equality, which compares numbers across types by value: a route value
// 4688 (or 4688.0, or 4688u) matches an event whose field is the JSON number 4688 or 4688.0
// (int64 or float64 in Go), and never the string "4688" (CEL's "4688" == 4688 is false). A
// route value that is not an int, a whole double, a uint that fits int64 or a string leaves
// the selector to CEL.
type route struct {
	field string
	ints  []int64
	strs  []string
	// guarded is true when the selector tests the field's presence first: an event without
	// the field is then no match, not an evaluation error.
	guarded bool
	// logSource, when set, is the log source the selector also tests (`event.log_source ==
	// 'S' && ...`): the index decides the selector only for the channels of that source, on
	// events whose log_source field is that string (it checks, once per event).
	logSource string
}

// logSourceTest splits `event.log_source == 'S' && rest` (in either order of the
// conjunction's balanced tree) into S and rest.
func logSourceTest(e celast.Expr) (src string, rest celast.Expr, ok bool) {
	if e.Kind() != celast.CallKind || e.AsCall().FunctionName() != operators.LogicalAnd || len(e.AsCall().Args()) != 2 {
		return "", nil, false
	}
	args := e.AsCall().Args()
	if src, ok := logSourceEquals(args[0]); ok {
		return src, args[1], true
	}
	// `a && b && c` parses as `a && (b && c)` or `(a && b) && c`
	if inner := args[0]; inner.Kind() == celast.CallKind && inner.AsCall().FunctionName() == operators.LogicalAnd &&
		len(inner.AsCall().Args()) == 2 {
		if src, ok := logSourceEquals(inner.AsCall().Args()[0]); ok {
			fac := celast.NewExprFactory()
			return src, fac.NewCall(e.ID(), operators.LogicalAnd, inner.AsCall().Args()[1], args[1]), true
		}
	}
	return "", nil, false
}

// logSourceEquals reads `event.log_source == 'S'`.
func logSourceEquals(e celast.Expr) (string, bool) {
	if e.Kind() != celast.CallKind || e.AsCall().FunctionName() != operators.Equals || len(e.AsCall().Args()) != 2 {
		return "", false
	}
	args := e.AsCall().Args()
	field, lit := args[0], args[1]
	if field.Kind() != celast.SelectKind || lit.Kind() != celast.LiteralKind {
		return "", false
	}
	sel := field.AsSelect()
	if sel.IsTestOnly() || sel.Operand().Kind() != celast.IdentKind || sel.Operand().AsIdent() != "event" || sel.FieldName() != "log_source" {
		return "", false
	}
	s, ok := lit.AsLiteral().(types.String)
	return string(s), ok
}

// deriveRoute reads the route of a checked selector; nil when it is not a plain test of one
// event field against constants, possibly after a test of the log source (`event.log_source
// == 'S' && ...`, as Sigma channels are written), which the index decides too.
func deriveRoute(e celast.Expr) *route {
	r := &route{}
	if src, ok := logSourceEquals(e); ok {
		return &route{logSource: src} // the log source alone: true on every event routed here
	}
	if src, rest, ok := logSourceTest(e); ok {
		r.logSource, e = src, rest
	}
	if field, test, ok := presenceGuard(e); ok {
		r.field = field
		if !r.add(test) {
			return nil
		}
		r.guarded = true
		return r
	}
	if !r.add(e) {
		return nil
	}
	return r
}

// presenceGuard splits `has(event.F) && test` into F and test.
func presenceGuard(e celast.Expr) (field string, test celast.Expr, ok bool) {
	if e.Kind() != celast.CallKind || e.AsCall().FunctionName() != operators.LogicalAnd {
		return "", nil, false
	}
	args := e.AsCall().Args()
	if len(args) != 2 || args[0].Kind() != celast.SelectKind {
		return "", nil, false
	}
	sel := args[0].AsSelect()
	if !sel.IsTestOnly() || sel.Operand().Kind() != celast.IdentKind || sel.Operand().AsIdent() != "event" {
		return "", nil, false
	}
	return sel.FieldName(), args[1], true
}

func (r *route) add(e celast.Expr) bool {
	if e.Kind() != celast.CallKind {
		return false
	}
	call := e.AsCall()
	args := call.Args()
	if call.IsMemberFunction() || len(args) != 2 {
		return false
	}
	switch call.FunctionName() {
	case operators.LogicalOr:
		return r.add(args[0]) && r.add(args[1])
	case operators.Equals:
		if r.selects(args[0]) && r.value(args[1]) {
			return true
		}
		return r.selects(args[1]) && r.value(args[0])
	case operators.In:
		if !r.selects(args[0]) || args[1].Kind() != celast.ListKind {
			return false
		}
		list := args[1].AsList()
		if len(list.OptionalIndices()) > 0 {
			return false
		}
		for _, el := range list.Elements() {
			if !r.value(el) {
				return false
			}
		}
		return true
	}
	return false
}

// selects accepts `event.F`, and the same F throughout the route.
func (r *route) selects(e celast.Expr) bool {
	if e.Kind() != celast.SelectKind {
		return false
	}
	sel := e.AsSelect()
	if sel.IsTestOnly() || sel.Operand().Kind() != celast.IdentKind || sel.Operand().AsIdent() != "event" {
		return false
	}
	if r.field == "" {
		r.field = sel.FieldName()
	}
	return r.field == sel.FieldName()
}

func (r *route) value(e celast.Expr) bool {
	if e.Kind() != celast.LiteralKind {
		return false
	}
	switch v := e.AsLiteral().(type) {
	case types.Int:
		r.ints = append(r.ints, int64(v))
	case types.Uint:
		if uint64(v) > math.MaxInt64 {
			return false
		}
		r.ints = append(r.ints, int64(v))
	case types.Double:
		i, ok := wholeInt(float64(v))
		if !ok {
			return false
		}
		r.ints = append(r.ints, i)
	case types.String:
		r.strs = append(r.strs, string(v))
	default:
		return false
	}
	return true
}

// wholeInt converts a whole float64 within int64's range exactly.
func wholeInt(f float64) (int64, bool) {
	if f != math.Trunc(f) || f < -(1<<63) || f >= 1<<63 {
		return 0, false
	}
	return int64(f), true
}

// routeKey is the key of a field value in the index: a number (int64, or a whole float64)
// or a string. ok is false for other values, which only reach unrouted channels.
func routeKey(fv *event.Field) (i int64, s string, isInt, ok bool) {
	switch fv.Kind() {
	case event.KindString:
		s, _ := fv.Str()
		return 0, s, false, true
	case event.KindNumber:
		switch n := jsonl.Number(fv.Raw()).(type) {
		case int64:
			return n, "", true, true
		case float64:
			i, ok := wholeInt(n)
			return i, "", true, ok
		}
	case event.KindNative:
		return nativeKey(fv.Native())
	}
	return 0, "", false, false
}

// fieldString is a field's string, read or set by a source profile; ok is false for any
// other value.
func fieldString(fv *event.Field) (string, bool) {
	switch fv.Kind() {
	case event.KindString:
		return fv.Str()
	case event.KindNative:
		s, ok := fv.Native().(string)
		return s, ok
	}
	return "", false
}

func nativeKey(x any) (int64, string, bool, bool) {
	switch n := x.(type) {
	case int64:
		return n, "", true, true
	case int:
		return int64(n), "", true, true
	case int32:
		return int64(n), "", true, true
	case uint64:
		return int64(n), "", true, n <= math.MaxInt64
	case uint32:
		return int64(n), "", true, true
	case float64:
		i, ok := wholeInt(n)
		return i, "", true, ok
	case string:
		return 0, n, false, true
	}
	return 0, "", false, false
}

// step is one channel an event reaches, with what evaluating it needs at hand: route lists
// are walked for every event, so they hold the programs rather than point to them.
type step struct {
	plan   *compiledPlan
	sel    cel.Program // nil when absent or decided by the index
	pred   cel.Program // nil when absent
	params ref.Val
	index  int // the channel's index in its plan
	// maxString is the longest event string at which the step's programs are affordable
	// (math.MaxInt: any); on an event with a longer one they are not evaluated.
	maxString int
	span      int // on a plan's first step in a list: how many steps of the plan follow, itself included
	// selNeed and predNeed are the clauses of the candidate index that must hold for the
	// selector (when evaluated) and the predicate to be anything but false (nil: none).
	selNeed, predNeed []int32
	// gate is the clause stepMatches checks first, without which the step is false (-1:
	// none, the first expression is evaluated): most steps reached end there.
	gate int32
}

// gateOf is st's gate.
func gateOf(st *step) int32 {
	need := st.selNeed
	if st.sel == nil {
		if st.pred == nil {
			return -1
		}
		need = st.predNeed
	}
	if len(need) == 0 {
		return -1
	}
	return need[0]
}

// routeIndex routes events by log_source, then by the value of the source's route field
// (the one most of its channels route on), to the channels that can match them, in plan and
// channel order. Channels without a route (or routed on another field) are in every list of
// their source: the catch-all.
type routeIndex struct {
	sources map[string]*sourceIndex
}

type sourceIndex struct {
	catchAll []step
	field    string // "" when no channel of the source has a route
	slot     int
	byInt    map[int64][]step
	byStr    map[string][]step
	// unguarded are the channels whose selector the index decides without a presence test:
	// an event without the field makes each of them fail as its selector would ("no such
	// key"), which Stats counts. A guarded selector is then no match, without an error.
	unguarded  []step
	missingMsg string // the error of a decided selector on an event without the field
	// sourceSlot is the slot of log_source when a decided selector also tests it (-1:
	// none): an event whose log_source field is not the source's name (a hand-built
	// event) gets undecided, every selector evaluated.
	sourceSlot int
	name       string
	undecided  []step
}

// routes returns the channels the event reaches; missing says it lacks the route field.
func (si *sourceIndex) routes(v *event.FieldView) (routes []step, missing bool) {
	if si.sourceSlot >= 0 {
		if s, ok := fieldString(v.Slot(si.sourceSlot)); !ok || s != si.name {
			return si.undecided, false
		}
	}
	if si.field == "" {
		return si.catchAll, false
	}
	fv := v.Slot(si.slot)
	if fv.Kind() == event.KindMissing {
		return si.catchAll, true
	}
	i, s, isInt, ok := routeKey(fv)
	if !ok {
		return si.catchAll, false
	}
	var rs []step
	var hit bool
	if isInt {
		rs, hit = si.byInt[i]
	} else {
		rs, hit = si.byStr[s]
	}
	if !hit {
		return si.catchAll, false
	}
	return rs, false
}

// newRouteIndex indexes the channels of plans (in set order) that can match.
func newRouteIndex(plans []*compiledPlan, slots *event.Slots) *routeIndex {
	type entry struct {
		plan *compiledPlan
		ch   *compiledChannel
	}
	bySource := map[string][]entry{}
	var order []string
	for _, cp := range plans {
		for _, c := range cp.channels {
			if !c.canMatch() {
				continue
			}
			if _, seen := bySource[c.logSource]; !seen {
				order = append(order, c.logSource)
			}
			bySource[c.logSource] = append(bySource[c.logSource], entry{cp, c})
		}
	}
	idx := &routeIndex{sources: map[string]*sourceIndex{}}
	for _, src := range order {
		entries := bySource[src]
		si := &sourceIndex{name: src, sourceSlot: -1}
		routed := func(e entry) bool {
			return e.ch.route != nil && (e.ch.route.logSource == "" || e.ch.route.logSource == src)
		}
		counts := map[string]int{}
		for _, e := range entries {
			if routed(e) && e.ch.route.field != "" {
				counts[e.ch.route.field]++
			}
		}
		si.field = mostCommon(counts)
		// always: the selector tests the log source alone, so it holds on every event here
		always := func(e entry) bool { return routed(e) && e.ch.route.field == "" }
		decided := func(e entry) bool {
			return always(e) || (si.field != "" && routed(e) && e.ch.route.field == si.field)
		}
		var ints []int64
		var strs []string
		for _, e := range entries {
			if decided(e) {
				ints = append(ints, e.ch.route.ints...)
				strs = append(strs, e.ch.route.strs...)
			}
		}
		evalAll := false
		collect := func(keep func(entry) bool) []step {
			var out []step
			first := 0
			for _, e := range entries {
				if !keep(e) {
					continue
				}
				if len(out) == 0 || out[first].plan != e.plan {
					first = len(out)
				}
				st := step{plan: e.plan, pred: e.ch.predicate, params: e.plan.paramsVal, index: e.ch.index, maxString: e.ch.predMax,
					predNeed: e.ch.predClauses}
				if !e.ch.decided || evalAll {
					st.sel, st.maxString = e.ch.selector, min(st.maxString, e.ch.selMax)
					st.selNeed = e.ch.selClauses
				}
				st.gate = gateOf(&st)
				out = append(out, st)
				out[first].span++
			}
			return out
		}
		for _, e := range entries {
			e.ch.decided = decided(e)
		}
		si.catchAll = collect(func(e entry) bool { return !decided(e) || always(e) })
		si.unguarded = collect(func(e entry) bool { return decided(e) && !always(e) && !e.ch.route.guarded })
		for _, e := range entries {
			if decided(e) && e.ch.route.logSource != "" {
				si.sourceSlot = slots.Slot("log_source")
				evalAll = true
				si.undecided = collect(func(entry) bool { return true })
				evalAll = false
				break
			}
		}
		if si.field != "" {
			si.slot = slots.Slot(si.field)
			si.missingMsg = "no such key: " + si.field
			si.byInt = map[int64][]step{}
			si.byStr = map[string][]step{}
			for _, k := range ints {
				if _, done := si.byInt[k]; !done {
					si.byInt[k] = collect(func(e entry) bool { return !decided(e) || always(e) || containsInt(e.ch.route.ints, k) })
				}
			}
			for _, k := range strs {
				if _, done := si.byStr[k]; !done {
					si.byStr[k] = collect(func(e entry) bool { return !decided(e) || always(e) || containsStr(e.ch.route.strs, k) })
				}
			}
		}
		idx.sources[src] = si
	}
	return idx
}

// mostCommon returns the key with the highest count, the smallest on ties; "" for none.
func mostCommon(counts map[string]int) string {
	keys := make([]string, 0, len(counts))
	for k := range counts {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	best := ""
	for _, k := range keys {
		if best == "" || counts[k] > counts[best] {
			best = k
		}
	}
	return best
}

func containsInt(xs []int64, x int64) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}

func containsStr(xs []string, x string) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}
