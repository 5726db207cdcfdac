package runtime

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/google/cel-go/cel"
	"github.com/google/cel-go/common/types"
	"github.com/google/cel-go/common/types/ref"

	"github.com/stixcel/stixcel/celenv"
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
	techniques []plan.Technique
	groupBy    []string
	groupSlots []int // FieldView slots of groupBy
	window     time.Duration
	condition  cel.Program // nil: alert once per matching event
}

// compiledChannel is one channel's selector and predicate; a nil program is absent.
type compiledChannel struct {
	index     int
	id        string
	logSource string
	selector  cel.Program
	predicate cel.Program
	seriesBy  []string
	series    []int  // FieldView slots of seriesBy
	route     *route // what the selector tests, when the index can decide it
	decided   bool   // the route index decides the selector: it is not evaluated
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
		cp.groupSlots = append(cp.groupSlots, cache.slots.slot(f))
	}
	for _, c := range cp.channels {
		for _, f := range c.seriesBy {
			c.series = append(c.series, cache.slots.slot(f))
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
		techniques: append([]plan.Technique{}, p.Techniques...),
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
	if err := cp.bindParams(); err != nil {
		return nil, fail("%v", err)
	}
	if err := cp.compileChannels(cache); err != nil {
		return nil, fmt.Errorf("analytic %s %w", p.ID, err)
	}
	if err := cp.compileCorrelation(cache); err != nil {
		return nil, fail("%v", err)
	}
	return cp, nil
}

func (cp *compiledPlan) bindParams() error {
	cp.params = make(map[string]any, len(cp.src.Params))
	cp.paramsJSON = make(map[string]any, len(cp.src.Params))
	for _, prm := range cp.src.Params {
		if prm == nil {
			return errors.New("null param")
		}
		if _, dup := cp.params[prm.Name]; dup {
			return fmt.Errorf("param %s: declared twice", prm.Name)
		}
		canon, native, err := prm.Values()
		if err != nil {
			return err
		}
		cp.paramsJSON[prm.Name] = canon
		cp.params[prm.Name] = native
	}
	key, err := json.Marshal(cp.paramsJSON)
	if err != nil {
		return fmt.Errorf("params: %w", err)
	}
	cp.paramsKey = string(key)
	return nil
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
		cc := &compiledChannel{index: i, id: ch.ID, logSource: ch.LogSource, seriesBy: ch.SeriesBy}
		if cc.selector, cc.route, err = cache.compileChannel(env, ch.Selector, cp); err != nil {
			return fmt.Errorf("channel %s: selector: %w", ch.ID, err)
		}
		if cc.predicate, _, err = cache.compileChannel(env, ch.Predicate, cp); err != nil {
			return fmt.Errorf("channel %s: predicate: %w", ch.ID, err)
		}
		if cc.canMatch() && ch.LogSource == "" {
			return fmt.Errorf("channel %s: empty log_source", ch.ID)
		}
		cp.channelIdx[ch.ID] = i
		cp.channels = append(cp.channels, cc)
	}
	return nil
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
	return nil
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

// programCache shares environments, checked expressions and programs between the plans of a
// set that declare the same parameter types: ATT&CK plans repeat selectors such as
// `event.EventCode in [1]`, and a cel.Program is stateless, so one compilation serves them
// all. A channel program that folds parameters is shared by plans with the same values.
type programCache struct {
	envs    map[string]*keyedEnv
	progs   map[string]cel.Program
	checked map[string]*checkedExpr
	costs   map[string]error // cost checks by expression and parameter values
	slots   *fieldSlots      // event fields the channel programs read
	maxIter int              // comprehension iterations an evaluation may run
	done    context.Context  // cancelled: stops an evaluation at its first interrupt check
	plain   bool             // no specializer: plain cel-go programs (tests compare both)
	// noCostCheck skips the estimate check (tests: the runtime limit alone).
	noCostCheck bool
}

// checkedExpr is a type-checked channel expression and what the runtime learned from it.
type checkedExpr struct {
	ast         *cel.Ast
	route       *route // non-nil when the expression is a plain route test
	specializer *specializer
	special     bool // the specializer may rewrite it
}

// keyedEnv is an environment with the cache key of its declarations.
type keyedEnv struct {
	*cel.Env
	key string
}

func newProgramCache() *programCache {
	return &programCache{envs: map[string]*keyedEnv{}, progs: map[string]cel.Program{},
		checked: map[string]*checkedExpr{}, costs: map[string]error{}, slots: newFieldSlots(),
		maxIter: DefaultMaxIterations, done: cancelledContext()}
}

func (pc *programCache) channelEnv(params []*plan.Param) (*keyedEnv, error) {
	key := "channel\x00" + paramsKey(params)
	return pc.env(key, func() (*cel.Env, error) { return celenv.ChannelEnv(params) })
}

func (pc *programCache) conditionEnv(params []*plan.Param, ids []string) (*keyedEnv, error) {
	key := "condition\x00" + paramsKey(params) + "\x00" + strings.Join(ids, ",")
	return pc.env(key, func() (*cel.Env, error) { return celenv.ConditionEnv(params, ids) })
}

func (pc *programCache) env(key string, build func() (*cel.Env, error)) (*keyedEnv, error) {
	if env, ok := pc.envs[key]; ok {
		return env, nil
	}
	env, err := build()
	if err != nil {
		return nil, err
	}
	pc.envs[key] = &keyedEnv{Env: env, key: key}
	return pc.envs[key], nil
}

// paramsKey lists parameter names and types in order: what an environment declares.
func paramsKey(params []*plan.Param) string {
	parts := make([]string, 0, len(params))
	for _, p := range params {
		if p != nil {
			parts = append(parts, p.Name+":"+strings.TrimSpace(p.Type.String()))
		}
	}
	sort.Strings(parts)
	return strings.Join(parts, ";")
}

// compile compiles a boolean CEL expression once per environment, refusing it when its
// estimated cost is too high; empty text gives a nil program.
func (pc *programCache) compile(env *keyedEnv, text string, cp *compiledPlan) (cel.Program, error) {
	if text == "" {
		return nil, nil
	}
	key := env.key + "\x00" + text
	ce, ok := pc.checked[key]
	if !ok {
		ast, err := checkBool(env.Env, text)
		if err != nil {
			return nil, err
		}
		ce = &checkedExpr{ast: ast}
		pc.checked[key] = ce
	}
	if err := pc.checkCost(env.Env, ce.ast, key, cp); err != nil {
		return nil, err
	}
	return pc.program(key, env.Env, ce.ast)
}

// compileChannel compiles a channel selector or predicate with the specializer, folding the
// plan's parameters; it also returns the expression's route. Empty text gives a nil program.
func (pc *programCache) compileChannel(env *keyedEnv, text string, cp *compiledPlan) (cel.Program, *route, error) {
	if text == "" {
		return nil, nil, nil
	}
	ckey := env.key + "\x00" + text
	ce, ok := pc.checked[ckey]
	if !ok {
		ast, err := checkBool(env.Env, text)
		if err != nil {
			return nil, nil, err
		}
		expr := ast.NativeRep().Expr()
		ce = &checkedExpr{ast: ast, route: deriveRoute(expr)}
		ce.specializer, ce.special = newSpecializer(expr, pc.slots, nil)
		pc.checked[ckey] = ce
	}
	if err := pc.checkCost(env.Env, ce.ast, ckey, cp); err != nil {
		return nil, nil, err
	}
	if !ce.special || pc.plain {
		prg, err := pc.program(ckey, env.Env, ce.ast)
		return prg, ce.route, err
	}
	spec := *ce.specializer
	key := "special\x00" + ckey
	if spec.readsParams() {
		spec.params = cp.paramVals
		key += "\x00" + cp.paramsKey
	}
	prg, err := pc.program(key, env.Env, ce.ast, cel.CustomDecoratorV2(spec.decorate))
	return prg, ce.route, err
}

func (pc *programCache) program(key string, env *cel.Env, ast *cel.Ast, opts ...cel.ProgramOption) (cel.Program, error) {
	if prg, ok := pc.progs[key]; ok {
		return prg, nil
	}
	prg, err := pc.newProgram(env, ast, opts...)
	if err != nil {
		return nil, err
	}
	pc.progs[key] = prg
	return prg, nil
}

// checkBool type-checks a CEL expression that must give a bool.
func checkBool(env *cel.Env, text string) (*cel.Ast, error) {
	ast, iss := env.Compile(text)
	if err := iss.Err(); err != nil {
		return nil, err
	}
	if out := ast.OutputType(); !out.IsExactType(cel.BoolType) && !out.IsExactType(cel.DynType) {
		return nil, fmt.Errorf("type %s, want bool", out)
	}
	return ast, nil
}
