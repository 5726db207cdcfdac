// Package runtime evaluates compiled stixcel plans over JSON events.
//
// New compiles every CEL expression of a plan.Set once (and type-checks it again: the
// artifact may have been edited by hand). Process routes each event only to the channels
// whose log_source equals the event's, evaluates selector and predicate, and either emits
// at once (hunt records of selector plans, alerts of detection plans without a condition) or
// feeds the plan's correlation state.
//
// Correlation runs in event time only. The engine's watermark is the largest event time seen.
// Per plan and group key (the event's correlation.group_by values; a missing field counts as
// null, so such events still group together) each channel keeps its matches of the last
// window, measured back from the group's newest match. When a channel of a group matches,
// the condition is evaluated; when it first holds at time t an alert opens, collects that
// group's further matches up to t+window, and is emitted once the watermark passes t+window
// (or at Flush). The group's evidence up to t+window is then spent: the next alert needs new
// matches. Groups without a match in the window are dropped as the watermark moves, so
// memory stays bounded on endless streams.
//
// An Engine is not safe for concurrent use; run one per goroutine.
package runtime

import (
	"fmt"
	"sort"
	"time"

	"github.com/google/cel-go/cel"
	"github.com/google/cel-go/common/types"
	"github.com/google/cel-go/common/types/ref"
	"github.com/google/cel-go/interpreter"

	"github.com/stixcel/stixcel/plan"
)

// DefaultMaxContributors is how many contributing events an alert cites per channel.
const DefaultMaxContributors = 10

// Option configures an Engine.
type Option func(*config)

type config struct {
	hunt            bool
	maxContributors int
}

// WithHunt makes selector plans emit a Hunt record per event and matching channel; without
// it selector plans are not evaluated.
func WithHunt(on bool) Option { return func(c *config) { c.hunt = on } }

// WithMaxContributors sets how many events an alert cites per channel (default 10; n < 0
// means 0).
func WithMaxContributors(n int) Option {
	return func(c *config) { c.maxContributors = max(n, 0) }
}

// Engine evaluates a plan set over a stream of events.
type Engine struct {
	cfg       config
	routes    map[string][]planRoute // log_source → plans with channels on it, in set order
	corrs     []*correlator          // correlation state of the detection plans with a condition
	watermark time.Time
	pending   alertHeap
	chanAct   channelActivation
	matched   []int // scratch: indexes of the channels an event matched
	stats     counters
}

// planRoute lists the channels of one plan that read a log source.
type planRoute struct {
	plan     *compiledPlan
	channels []*compiledChannel
}

// New compiles every plan of set that it will evaluate: inert plans are skipped, and selector
// plans too unless WithHunt(true). Errors name the analytic and channel: "analytic AN1828 channel c3: ...".
func New(set *plan.Set, opts ...Option) (*Engine, error) {
	if set == nil {
		return nil, fmt.Errorf("runtime: no plan set")
	}
	if set.Schema != plan.Schema {
		return nil, fmt.Errorf("runtime: plan schema %q, want %q", set.Schema, plan.Schema)
	}
	cfg := config{maxContributors: DefaultMaxContributors}
	for _, o := range opts {
		o(&cfg)
	}
	e := &Engine{cfg: cfg, routes: map[string][]planRoute{}, stats: newCounters()}
	cache := newProgramCache()
	for i, p := range set.Plans {
		if p != nil && !e.evaluates(p.Kind) {
			continue
		}
		cp, err := compilePlan(i, p, cache)
		if err != nil {
			return nil, err
		}
		e.addRoutes(cp)
		if cp.corr != nil {
			e.corrs = append(e.corrs, cp.corr)
		}
	}
	return e, nil
}

// evaluates says whether plans of kind k run; unknown kinds are compiled to report them.
func (e *Engine) evaluates(k plan.Kind) bool {
	switch k {
	case plan.KindInert:
		return false
	case plan.KindSelector:
		return e.cfg.hunt
	}
	return true
}

func (e *Engine) addRoutes(cp *compiledPlan) {
	for _, c := range cp.channels {
		if !c.canMatch() {
			continue
		}
		routes := e.routes[c.logSource]
		if n := len(routes); n > 0 && routes[n-1].plan == cp {
			routes[n-1].channels = append(routes[n-1].channels, c)
		} else {
			routes = append(routes, planRoute{plan: cp, channels: []*compiledChannel{c}})
		}
		e.routes[c.logSource] = routes
	}
}

// Process evaluates one event and emits what it causes: hunt records, immediate alerts, and
// correlated alerts whose window the event's time has passed.
func (e *Engine) Process(ev *Event, emit func(Output)) {
	e.stats.events++
	if ev.Time.After(e.watermark) {
		e.watermark = ev.Time
		e.emitDue(emit)
		e.sweep()
	}
	routes := e.routes[ev.LogSource]
	if len(routes) == 0 {
		return
	}
	e.chanAct.event = types.NewStringInterfaceMap(types.DefaultTypeAdapter, ev.Fields)
	for _, r := range routes {
		e.matched = e.matched[:0]
		for _, c := range r.channels {
			if e.channelMatches(r.plan, c, ev) {
				e.matched = append(e.matched, c.index)
			}
		}
		if len(e.matched) > 0 {
			e.dispatch(r.plan, ev, e.matched, emit)
		}
	}
}

// Flush ends the stream: it emits every open alert, earliest window end first.
func (e *Engine) Flush(emit func(Output)) {
	for e.pending.Len() > 0 {
		e.emitAlert(e.pending.pop(), emit)
	}
}

func (e *Engine) dispatch(cp *compiledPlan, ev *Event, matched []int, emit func(Output)) {
	switch {
	case cp.src.Kind == plan.KindSelector:
		for _, i := range matched {
			e.stats.hunts++
			emit(&Hunt{Analytic: cp.src.ID, Channel: cp.channels[i].id, Source: ev.Source, Line: ev.Line})
		}
	case cp.corr == nil:
		e.stats.alerts++
		emit(immediateAlert(cp, ev, matched))
	default:
		cp.corr.observe(e, ev, matched, emit)
	}
}

// channelMatches evaluates selector and then predicate; an error counts and means false.
func (e *Engine) channelMatches(cp *compiledPlan, c *compiledChannel, ev *Event) bool {
	e.chanAct.params = cp.paramsVal
	if c.selector != nil && !e.evalBool(c.selector, &e.chanAct, cp.src.ID, c.id) {
		return false
	}
	if c.predicate != nil && !e.evalBool(c.predicate, &e.chanAct, cp.src.ID, c.id) {
		return false
	}
	return true
}

func (e *Engine) evalBool(prg cel.Program, act interpreter.Activation, analytic, channel string) bool {
	out, _, err := prg.Eval(act)
	if err != nil {
		e.stats.evalError(analytic, channel, err.Error())
		return false
	}
	b, ok := out.(types.Bool)
	if !ok {
		e.stats.evalError(analytic, channel, fmt.Sprintf("result is %s, want bool", out.Type().TypeName()))
		return false
	}
	return bool(b)
}

// channelActivation binds `event` and `params` without allocating per evaluation.
type channelActivation struct {
	event  ref.Val // the event's fields, wrapped once per event
	params ref.Val
}

func (a *channelActivation) ResolveName(name string) (any, bool) {
	switch name {
	case "event":
		return a.event, true
	case "params":
		return a.params, true
	}
	return nil, false
}

func (a *channelActivation) Parent() interpreter.Activation { return nil }

// Stats reports what the engine has done so far.
type Stats struct {
	Events     int64 // events processed
	Alerts     int64 // alerts emitted
	Hunts      int64 // hunt records emitted
	LiveGroups int   // correlation groups held in memory
	OpenAlerts int   // alerts waiting for their window to close
	EvalErrors int64 // evaluations that failed (missing field, type mismatch): counted as false
	// ErrorsBy breaks EvalErrors down by analytic and channel ("condition" for conditions),
	// sorted.
	ErrorsBy []EvalErrors
}

// EvalErrors counts the failed evaluations of one channel or condition.
type EvalErrors struct {
	Analytic string
	Channel  string
	Count    int64
	Example  string // the first error message
}

// Stats returns counters; it allocates, so call it at the end or now and then.
func (e *Engine) Stats() Stats {
	s := Stats{
		Events:     e.stats.events,
		Alerts:     e.stats.alerts,
		Hunts:      e.stats.hunts,
		OpenAlerts: e.pending.Len(),
	}
	for _, c := range e.corrs {
		s.LiveGroups += len(c.groups)
	}
	for _, ec := range e.stats.errors {
		s.EvalErrors += ec.Count
		s.ErrorsBy = append(s.ErrorsBy, *ec)
	}
	sort.Slice(s.ErrorsBy, func(i, j int) bool {
		a, b := s.ErrorsBy[i], s.ErrorsBy[j]
		if a.Analytic != b.Analytic {
			return a.Analytic < b.Analytic
		}
		return a.Channel < b.Channel
	})
	return s
}

type counters struct {
	events, alerts, hunts int64
	errors                map[[2]string]*EvalErrors
}

func newCounters() counters { return counters{errors: map[[2]string]*EvalErrors{}} }

func (c *counters) evalError(analytic, channel, msg string) {
	k := [2]string{analytic, channel}
	ec := c.errors[k]
	if ec == nil {
		ec = &EvalErrors{Analytic: analytic, Channel: channel, Example: msg}
		c.errors[k] = ec
	}
	ec.Count++
}
