package runtime

import (
	"errors"
	"fmt"
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
	src        *plan.Plan
	channels   []*compiledChannel
	channelIdx map[string]int
	params     map[string]any // native values
	paramsVal  ref.Val        // params as bound in activations: converted to CEL values once
	paramsJSON map[string]any // plan JSON form, cited in alerts
	techniques []plan.Technique
	groupBy    []string
	window     time.Duration
	condition  cel.Program // nil: alert once per matching event
	corr       *correlator // nil unless condition != nil
}

// compiledChannel is one channel's selector and predicate; a nil program is absent.
type compiledChannel struct {
	index     int
	id        string
	logSource string
	selector  cel.Program
	predicate cel.Program
	seriesBy  []string
}

// canMatch reports whether the channel has anything to match on.
func (c *compiledChannel) canMatch() bool { return c.selector != nil || c.predicate != nil }

// compilePlan type-checks and compiles one plan. Errors name the analytic and the channel.
func compilePlan(index int, p *plan.Plan) (*compiledPlan, error) {
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
	if err := cp.compileChannels(); err != nil {
		return nil, fmt.Errorf("analytic %s %w", p.ID, err)
	}
	if err := cp.compileCorrelation(); err != nil {
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
		canon, err := celenv.Canonical(prm.Type, prm.Value)
		if err != nil {
			return fmt.Errorf("param %s (%s): %w", prm.Name, prm.Type, err)
		}
		native, err := celenv.Native(prm.Type, canon)
		if err != nil {
			return fmt.Errorf("param %s (%s): %w", prm.Name, prm.Type, err)
		}
		cp.paramsJSON[prm.Name] = canon
		cp.params[prm.Name] = native
	}
	return nil
}

func (cp *compiledPlan) compileChannels() error {
	env, err := celenv.ChannelEnv(cp.src.Params)
	if err != nil {
		return fmt.Errorf("channel environment: %w", err)
	}
	cp.paramsVal = celValues(env.CELTypeAdapter(), cp.params)
	for i, ch := range cp.src.Channels {
		if ch == nil {
			return fmt.Errorf("channel %d: null", i+1)
		}
		if _, dup := cp.channelIdx[ch.ID]; dup || ch.ID == "" {
			return fmt.Errorf("channel %q: empty or duplicate id", ch.ID)
		}
		cc := &compiledChannel{index: i, id: ch.ID, logSource: ch.LogSource, seriesBy: ch.SeriesBy}
		if cc.selector, err = compileBool(env, ch.Selector); err != nil {
			return fmt.Errorf("channel %s: selector: %w", ch.ID, err)
		}
		if cc.predicate, err = compileBool(env, ch.Predicate); err != nil {
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

func (cp *compiledPlan) compileCorrelation() error {
	corr := cp.src.Correlation
	if corr.Condition == "" {
		return nil
	}
	window, err := cp.resolveWindow()
	if err != nil {
		return err
	}
	ids := make([]string, len(cp.channels))
	for i, c := range cp.channels {
		ids[i] = c.id
	}
	env, err := celenv.ConditionEnv(cp.src.Params, ids)
	if err != nil {
		return fmt.Errorf("condition environment: %w", err)
	}
	if cp.condition, err = compileBool(env, corr.Condition); err != nil {
		return fmt.Errorf("condition: %w", err)
	}
	cp.window = window
	cp.corr = newCorrelator(cp)
	return nil
}

// resolveWindow reads correlation.window, or the value of correlation.window_param when the
// window is empty. A condition needs a positive window.
func (cp *compiledPlan) resolveWindow() (time.Duration, error) {
	corr := cp.src.Correlation
	text := corr.Window
	if text == "" && corr.WindowParam != "" {
		prm := cp.src.Param(corr.WindowParam)
		if prm == nil {
			return 0, fmt.Errorf("correlation window_param %s: no such param", corr.WindowParam)
		}
		d, ok := cp.params[prm.Name].(time.Duration)
		if !ok {
			return 0, fmt.Errorf("correlation window_param %s: type %s, want duration", prm.Name, prm.Type)
		}
		text = celenv.FormatDuration(d)
	}
	if text == "" {
		return 0, errors.New("correlation: a condition needs a window")
	}
	d, err := celenv.ParseDuration(text)
	if err != nil {
		return 0, fmt.Errorf("correlation window: %w", err)
	}
	if d <= 0 {
		return 0, fmt.Errorf("correlation window %q: must be positive", text)
	}
	return d, nil
}

// celValues converts each parameter to a CEL value once, so that evaluations do not.
func celValues(adapter types.Adapter, params map[string]any) ref.Val {
	vals := make(map[string]any, len(params))
	for name, v := range params {
		vals[name] = adapter.NativeToValue(v)
	}
	return adapter.NativeToValue(vals)
}

// compileBool compiles a boolean CEL expression; empty text gives a nil program.
func compileBool(env *cel.Env, text string) (cel.Program, error) {
	if text == "" {
		return nil, nil
	}
	ast, iss := env.Compile(text)
	if err := iss.Err(); err != nil {
		return nil, err
	}
	if out := ast.OutputType(); !out.IsExactType(cel.BoolType) && !out.IsExactType(cel.DynType) {
		return nil, fmt.Errorf("type %s, want bool", out)
	}
	prg, err := env.Program(ast, cel.EvalOptions(cel.OptOptimize))
	if err != nil {
		return nil, fmt.Errorf("program: %w", err)
	}
	return prg, nil
}
