package runtime

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/google/cel-go/cel"
	"github.com/google/cel-go/common/types"
	"github.com/google/cel-go/common/types/ref"

	"github.com/stixcel/stixcel/plan"
)

// compiledPlan is a plan with every CEL expression compiled and its parameters converted.
type compiledPlan struct {
	index      int // position in the set: ties in emission order break on it
	position   int // position among the engine's plans
	groupSig   int // which distinct group_by list the plan has
	src        *plan.Plan
	channels   []*compiledChannel
	channelIdx map[string]int
	params     map[string]any     // native values
	paramVals  map[string]ref.Val // each parameter as a CEL value, folded into channel programs
	paramsVal  ref.Val            // params as bound in activations: converted to CEL values once
	paramsJSON map[string]any     // plan JSON form, cited in alerts
	paramsKey  string             // paramsJSON encoded: programs that fold params are cached by it
	techniques []plan.Technique   // tactics never nil, as alerts write them
	strategy   Strategy
	platforms  []string
	groupBy    []string
	groupSlots []int // FieldView slots of groupBy
	// mixedGroups is set when some channel reads the group_by values from other fields
	// (compiledChannel.groupSlots): a worker owns the whole plan, not a group.
	mixedGroups bool
	// seriesChannels counts the channels with a series_by, which a group's value index
	// covers (celenv.ValueAggregate).
	seriesChannels int
	// entityNames are what a hunt record shows as its group: groupBy, or HuntEntityFields
	// for a plan without; entitySlots their FieldView slots.
	entityNames []string
	entitySlots []int
	window      time.Duration
	condition   cel.Program // nil: alert once per matching event
}

// compiledChannel is one channel's selector and predicate; a nil program is absent.
type compiledChannel struct {
	index     int
	id        string
	logSource string
	selector  cel.Program
	predicate cel.Program
	// selMax and predMax are the longest event strings at which the selector and the
	// predicate are affordable (math.MaxInt: any); longer ones are not evaluated.
	selMax, predMax int
	seriesBy        []string
	series          []int    // FieldView slots of seriesBy
	groupBy         []string // plan.Channel.GroupBy
	groupSlots      []int    // FieldView slots of the event fields holding the group_by values
	fields          []string // evidence fields: the first MaxEvidenceFields of plan.Channel.Fields
	fieldSlots      []int    // their FieldView slots
	route           *route   // what the selector tests, when the index can decide it
	decided         bool     // the route index decides the selector: it is not evaluated
	// selNeed and predNeed are what the selector and the predicate need of an event's
	// strings to hold (need.go); selClauses and predClauses their clauses in the candidate
	// index (nil: always evaluated).
	selNeed, predNeed       need
	selClauses, predClauses []int32
}

// canMatch reports whether the channel has anything to match on.
func (c *compiledChannel) canMatch() bool { return c.selector != nil || c.predicate != nil }

// compilePlan type-checks and compiles one plan. Errors name the analytic and the channel.
func compilePlan(index int, p *plan.Plan, cache *programCache) (*compiledPlan, error) {
	cp, err := compilePlanParts(index, p, cache)
	if err != nil {
		return nil, err
	}
	for _, f := range cp.groupBy {
		cp.groupSlots = append(cp.groupSlots, cache.slots.Slot(f))
	}
	cp.entityNames = cp.groupBy
	if len(cp.groupBy) == 0 {
		cp.entityNames = HuntEntityFields
	}
	for _, f := range cp.entityNames {
		cp.entitySlots = append(cp.entitySlots, cache.slots.Slot(f))
	}
	for _, c := range cp.channels {
		c.groupSlots = cp.groupSlots
		if len(c.groupBy) > 0 {
			c.groupSlots = nil
			for _, f := range c.groupBy {
				c.groupSlots = append(c.groupSlots, cache.slots.Slot(f))
			}
			cp.mixedGroups = cp.mixedGroups || !slices.Equal(c.groupBy, cp.groupBy)
		}
		for _, f := range c.seriesBy {
			c.series = append(c.series, cache.slots.Slot(f))
		}
		if len(c.series) > 0 {
			cp.seriesChannels++
		}
		for _, f := range c.fields {
			c.fieldSlots = append(c.fieldSlots, cache.slots.Slot(f))
		}
	}
	return cp, nil
}

func compilePlanParts(index int, p *plan.Plan, cache *programCache) (*compiledPlan, error) {
	if p == nil {
		return nil, fmt.Errorf("plan %d: null", index)
	}
	cp := &compiledPlan{
		index:      index,
		src:        p,
		channelIdx: make(map[string]int, len(p.Channels)),
		techniques: alertTechniques(p.Techniques),
		strategy:   Strategy{ID: p.DetectionStrategy, Name: p.DetectionStrategyName},
		platforms:  append([]string{}, p.Platforms...),
		groupBy:    append([]string{}, p.Correlation.GroupBy...),
	}
	fail := func(format string, args ...any) error {
		return fmt.Errorf("analytic %s: %s", p.ID, fmt.Sprintf(format, args...))
	}
	switch p.Kind {
	case plan.KindDetection, plan.KindSelector, plan.KindInert:
	default:
		return nil, fail("unknown kind %q (want detection, selector or inert)", p.Kind)
	}
	b, err := cache.steps.bind(index, p)
	if err != nil {
		return nil, fail("%v", err)
	}
	cp.params, cp.paramsJSON, cp.paramsKey = b.params, b.paramsJSON, b.paramsKey
	if err := cp.compileChannels(cache); err != nil {
		return nil, fmt.Errorf("analytic %s %w", p.ID, err)
	}
	if err := cp.compileCorrelation(cache); err != nil {
		return nil, fail("%v", err)
	}
	return cp, nil
}

// boundParams are a plan's parameters converted: native values, the plan's JSON form, and
// that form encoded (the key of what depends on their values).
type boundParams struct {
	params, paramsJSON map[string]any
	paramsKey          string
}

func bindParams(params []*plan.Param) (boundParams, error) {
	b := boundParams{params: make(map[string]any, len(params)), paramsJSON: make(map[string]any, len(params))}
	for _, prm := range params {
		if prm == nil {
			return boundParams{}, errors.New("null param")
		}
		if _, dup := b.params[prm.Name]; dup {
			return boundParams{}, fmt.Errorf("param %s: declared twice", prm.Name)
		}
		canon, native, err := prm.Values()
		if err != nil {
			return boundParams{}, err
		}
		b.paramsJSON[prm.Name] = canon
		b.params[prm.Name] = native
	}
	key, err := json.Marshal(b.paramsJSON)
	if err != nil {
		return boundParams{}, fmt.Errorf("params: %w", err)
	}
	b.paramsKey = string(key)
	return b, nil
}

func (cp *compiledPlan) compileChannels(cache *programCache) error {
	env, err := cache.channelEnv(cp.src.Params)
	if err != nil {
		return fmt.Errorf("channel environment: %w", err)
	}
	cp.paramVals, cp.paramsVal = celValues(env.CELTypeAdapter(), cp.params)
	for i, ch := range cp.src.Channels {
		if ch == nil {
			return fmt.Errorf("channel %d: null", i+1)
		}
		if _, dup := cp.channelIdx[ch.ID]; dup || ch.ID == "" {
			return fmt.Errorf("channel %q: empty or duplicate id", ch.ID)
		}
		cc := &compiledChannel{index: i, id: ch.ID, logSource: ch.LogSource, seriesBy: ch.SeriesBy, groupBy: ch.GroupBy,
			fields: ch.Fields[:min(len(ch.Fields), MaxEvidenceFields)]}
		if len(ch.GroupBy) > 0 && len(ch.GroupBy) != len(cp.groupBy) {
			return fmt.Errorf("channel %s: group_by has %d fields, the correlation's group_by %d", ch.ID, len(ch.GroupBy), len(cp.groupBy))
		}
		sel, err := cache.compileChannel(env, cp.selectorOf(ch), cp)
		if err != nil {
			return fmt.Errorf("channel %s: selector: %w", ch.ID, err)
		}
		pred, err := cache.compileChannel(env, ch.Predicate, cp)
		if err != nil {
			return fmt.Errorf("channel %s: predicate: %w", ch.ID, err)
		}
		cc.selector, cc.route, cc.selMax = sel.prg, sel.route, sel.maxString
		cc.predicate, cc.predMax = pred.prg, pred.maxString
		cc.selNeed, cc.predNeed = sel.need, pred.need
		if cc.canMatch() && ch.LogSource == "" {
			return fmt.Errorf("channel %s: empty log_source", ch.ID)
		}
		cp.channelIdx[ch.ID] = i
		cp.channels = append(cp.channels, cc)
	}
	return nil
}

// selectorOf is the selector the runtime evaluates for a channel: a selector plan emits hunt
// records only for the channels that select content, so its other channels are not evaluated.
func (cp *compiledPlan) selectorOf(ch *plan.Channel) string { return selectorOf(cp.src, ch) }

func selectorOf(p *plan.Plan, ch *plan.Channel) string {
	if p.Kind == plan.KindSelector && ch.Selects != plan.SelectsContent {
		return ""
	}
	return ch.Selector
}

func (cp *compiledPlan) compileCorrelation(cache *programCache) error {
	corr := cp.src.Correlation
	if corr.Condition == "" {
		return nil
	}
	window, err := cp.src.WindowDuration()
	if err != nil {
		return err
	}
	ids := make([]string, len(cp.channels))
	for i, c := range cp.channels {
		ids[i] = c.id
	}
	env, err := cache.conditionEnv(cp.src.Params, ids)
	if err != nil {
		return fmt.Errorf("condition environment: %w", err)
	}
	if cp.condition, err = cache.compile(env, corr.Condition, cp); err != nil {
		return fmt.Errorf("condition: %w", err)
	}
	cp.window = window
	return cp.dropUnused(corr.Condition, ids, cache)
}

// dropUnused leaves the channels the condition does not reference without anything to
// match on: they could not change an alert, so they are not evaluated, keep no state and
// give alerts no evidence.
func (cp *compiledPlan) dropUnused(condition string, ids []string, cache *programCache) error {
	used, err := cache.conditionChannels(condition, ids)
	if err != nil {
		return fmt.Errorf("condition: %w", err)
	}
	for _, c := range cp.channels {
		if !used[c.id] {
			c.selector, c.predicate, c.route = nil, nil, nil
		}
	}
	return nil
}

// alertTechniques copies the plan's techniques with their tactics never nil.
func alertTechniques(ts []plan.Technique) []plan.Technique {
	out := make([]plan.Technique, len(ts))
	for i, t := range ts {
		out[i] = plan.Technique{ID: t.ID, Name: t.Name, Tactics: append([]string{}, t.Tactics...)}
	}
	return out
}

// celValues converts each parameter to a CEL value once, so that evaluations do not.
func celValues(adapter types.Adapter, params map[string]any) (map[string]ref.Val, ref.Val) {
	each := make(map[string]ref.Val, len(params))
	vals := make(map[string]any, len(params))
	for name, v := range params {
		each[name] = adapter.NativeToValue(v)
		vals[name] = each[name]
	}
	return each, adapter.NativeToValue(vals)
}
