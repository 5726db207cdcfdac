// Package runtime evaluates compiled stixcel plans over JSON events.
//
// New compiles every CEL expression of a plan.Set once (and type-checks it again: the
// artifact may have been edited by hand). Process routes each event only to the channels
// that can match it — by log_source, then by the value of the field the selectors test (such
// as EventCode), so that a selector the index decides is never evaluated — evaluates the
// predicates, and either emits at once (hunt records of selector plans, alerts of detection
// plans without a condition) or feeds the plan's correlation state.
//
// Events come from package event, and are read through an event.FieldView: a raw-backed
// event's fields are read from its JSON text when an expression first reads them. Channel programs are specialized: event field
// reads, string functions and list membership run as Go code, and parameters are folded in as
// the constants they are for a run; results and errors are those of plain CEL.
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
// Hostile input has bounds. New refuses an expression whose cost cel-go estimates above
// celenv.MaxCost (a hand-edited plan the compiler never saw), naming the analytic and the
// channel. At run time an evaluation that runs more comprehension iterations than
// WithMaxIterations allows (DefaultMaxIterations) is cut off and counted as a failed
// evaluation, so no event stalls the stream; and each plan holds at most WithMaxGroups
// correlation groups (DefaultMaxGroups), evicting the least recently matched ones (their open
// alerts are emitted first) and counting them in Stats. Both are the same with any number of
// workers.
//
// With WithWorkers(n > 1) the work is sharded: each worker owns the (plan, group key) pairs
// that hash to it (and whole plans without a condition) and evaluates only their channels,
// so per-pair order and correlation are those of one worker; outputs are merged in the order
// one worker emits them. An Engine is not safe for concurrent use; call it from one
// goroutine.
package runtime

import (
	"context"
	"errors"
	"fmt"
	"sort"

	"github.com/google/cel-go/cel"
	"github.com/google/cel-go/common/types"
	"github.com/google/cel-go/common/types/ref"
	"github.com/google/cel-go/interpreter"

	"github.com/stixcel/stixcel/event"
	"github.com/stixcel/stixcel/plan"
)

// DefaultMaxContributors is how many contributing events an alert cites per channel.
const DefaultMaxContributors = 10

// Option configures an Engine.
type Option func(*config)

type config struct {
	hunt            bool
	maxContributors int
	workers         int
	maxIterations   int
	maxGroups       int
	plainCEL        bool // tests: no specializer
	noRouting       bool // tests: every channel in the catch-all, every selector evaluated
	noCostCheck     bool // tests: no estimate check, the runtime limit alone
}

// WithHunt makes selector plans emit a Hunt record per event and matching channel; without
// it selector plans are not evaluated.
func WithHunt(on bool) Option { return func(c *config) { c.hunt = on } }

// WithMaxContributors sets how many events an alert cites per channel (default 10; n < 0
// means 0).
func WithMaxContributors(n int) Option {
	return func(c *config) { c.maxContributors = max(n, 0) }
}

// WithWorkers evaluates on n goroutines (default 1; n < 1 means 1). Outputs are the same,
// in the same order, as with one worker. With n > 1, Process hands events over in batches
// of 512: emit is called for a batch's outputs during a later Process or Flush, and events
// must not be changed after Process.
func WithWorkers(n int) Option {
	return func(c *config) { c.workers = max(n, 1) }
}

// Engine evaluates a plan set over a stream of events.
type Engine struct {
	cfg    config
	plans  []*compiledPlan
	index  *routeIndex
	shards []*shard
	events int64
	pool   *workerPool // nil with one worker
}

// New compiles every plan of set that it will evaluate: inert plans are skipped, and selector
// plans too unless WithHunt(true). Errors name the analytic and channel: "analytic AN1828 channel c3: ...".
func New(set *plan.Set, opts ...Option) (*Engine, error) {
	if set == nil {
		return nil, errors.New("runtime: no plan set")
	}
	if set.Schema != plan.Schema {
		return nil, fmt.Errorf("runtime: plan schema %q, want %q", set.Schema, plan.Schema)
	}
	cfg := config{maxContributors: DefaultMaxContributors, workers: 1,
		maxIterations: DefaultMaxIterations, maxGroups: DefaultMaxGroups}
	for _, o := range opts {
		o(&cfg)
	}
	e := &Engine{cfg: cfg}
	cache := newProgramCache()
	cache.plain, cache.maxIter, cache.noCostCheck = cfg.plainCEL, cfg.maxIterations, cfg.noCostCheck
	for i, p := range set.Plans {
		if p != nil && !e.evaluates(p.Kind) {
			continue
		}
		cp, err := compilePlan(i, p, cache)
		if err != nil {
			return nil, err
		}
		cp.position = len(e.plans)
		e.plans = append(e.plans, cp)
	}
	if cfg.noRouting {
		for _, cp := range e.plans {
			for _, c := range cp.channels {
				c.route = nil
			}
		}
	}
	e.index = newRouteIndex(e.plans, cache.slots)
	groupSigs := groupSignatures(e.plans)
	for i := range cfg.workers {
		e.shards = append(e.shards, newShard(i, &e.cfg, e.plans, e.index, cache.slots, groupSigs))
	}
	if cfg.workers > 1 {
		e.pool = newWorkerPool(e.shards, cfg.maxGroups)
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

// Process evaluates one event and emits what it causes: hunt records, immediate alerts, and
// correlated alerts whose window the event's time has passed. When ctx is done it returns
// ctx's error and leaves ev unprocessed (an evaluation already running finishes); Flush still
// emits the alerts open so far.
func (e *Engine) Process(ctx context.Context, ev *event.Event, emit func(Output)) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	e.events++
	if e.pool == nil {
		e.shards[0].process(ev, emit)
		if e.events%groupCheckEvery == 0 {
			capGroups(e.shards, e.cfg.maxGroups)
		}
		return nil
	}
	e.pool.add(ev, emit)
	return nil
}

// Flush ends the stream: it emits every open alert, earliest window end first.
func (e *Engine) Flush(emit func(Output)) {
	if e.pool == nil {
		e.shards[0].flush(emit)
		return
	}
	e.pool.flush(emit)
}

// channelActivation binds `event` and `params` without allocating per evaluation.
type channelActivation struct {
	event  ref.Val          // the shard's FieldView, showing the current event
	view   *event.FieldView // the same, typed, for specialized nodes
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

// evalBool evaluates a boolean program; an error counts and means false.
func (s *shard) evalBool(prg cel.Program, act any, analytic, channel string) bool {
	out, _, err := prg.Eval(act)
	if b, ok := out.(types.Bool); ok && err == nil {
		return bool(b)
	}
	return s.evalFailed(out, err, analytic, channel)
}

// evalFailed counts an evaluation that gave an error or no bool; it means false.
func (s *shard) evalFailed(out ref.Val, err error, analytic, channel string) bool {
	if err != nil {
		s.stats.evalError(analytic, channel, err)
		return false
	}
	s.stats.evalError(analytic, channel, fmt.Errorf("result is %s, want bool", out.Type().TypeName()))
	return false
}

// Stats reports what the engine has done so far.
type Stats struct {
	Events     int64 // events processed
	Alerts     int64 // alerts emitted
	Hunts      int64 // hunt records emitted
	LiveGroups int   // correlation groups held in memory
	OpenAlerts int   // alerts waiting for their window to close
	EvalErrors int64 // evaluations that failed (missing field, type mismatch, cut off): counted as false
	// ErrorsBy breaks EvalErrors down by analytic and channel ("condition" for conditions),
	// sorted.
	ErrorsBy []EvalErrors
	// CutOffs counts the evaluations cut off at the iteration limit (WithMaxIterations),
	// which EvalErrors also counts.
	CutOffs int64
	// Evicted counts the correlation groups evicted at the group cap (WithMaxGroups);
	// EvictedBy breaks it down by analytic, sorted.
	Evicted   int64
	EvictedBy []Evictions
}

// EvalErrors counts the failed evaluations of one channel or condition.
type EvalErrors struct {
	Analytic string
	Channel  string
	Count    int64
	CutOff   int64  // of Count, evaluations cut off at the iteration limit
	Example  string // the first error message
}

// Evictions counts the correlation groups of one analytic evicted at the group cap.
type Evictions struct {
	Analytic string
	Count    int64
}

// Sync runs every event handed to Process so far, so that Stats counts all of them. With one
// worker it does nothing (Process runs each event at once); with several it runs the batch
// being filled and waits for it. The outputs it causes are emitted by the next Process or
// Flush, in the same order as without Sync.
func (e *Engine) Sync() {
	if e.pool != nil {
		e.pool.sync()
	}
}

// Stats returns counters; it allocates, so call it at the end or now and then. It changes
// nothing. Events counts the events handed to Process; the other counters cover the events
// run so far, which after Flush or Sync are all of them (with several workers, events wait in
// a batch until it is full). With several workers Alerts and Hunts may count outputs that
// the next Process or Flush emits.
func (e *Engine) Stats() Stats {
	if e.pool != nil {
		e.pool.wait()
	}
	s := Stats{Events: e.events}
	byKey := map[[2]string]*errorCount{}
	evicted := map[string]int64{}
	for _, sh := range e.shards {
		for pos, n := range sh.stats.evicted {
			if n > 0 {
				evicted[e.plans[pos].src.ID] += n
			}
		}
		s.Alerts += sh.stats.alerts
		s.Hunts += sh.stats.hunts
		s.OpenAlerts += sh.pending.Len()
		for _, c := range sh.live {
			s.LiveGroups += len(c.groups)
		}
		for k, ec := range sh.stats.errors {
			if sum, ok := byKey[k]; ok {
				sum.Count += ec.Count
				sum.CutOff += ec.CutOff
				if ec.first < sum.first { // the example one worker would have seen first
					sum.Example, sum.first = ec.Example, ec.first
				}
				continue
			}
			cp := *ec
			byKey[k] = &cp
		}
	}
	for _, ec := range byKey {
		s.EvalErrors += ec.Count
		s.CutOffs += ec.CutOff
		s.ErrorsBy = append(s.ErrorsBy, ec.EvalErrors)
	}
	for id, n := range evicted {
		s.Evicted += n
		s.EvictedBy = append(s.EvictedBy, Evictions{Analytic: id, Count: n})
	}
	sort.Slice(s.EvictedBy, func(i, j int) bool { return s.EvictedBy[i].Analytic < s.EvictedBy[j].Analytic })
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
	alerts, hunts int64
	errors        map[[2]string]*errorCount
	evicted       []int64 // groups evicted, by plan position
	clock         *int64  // the shard's event sequence, to order examples across workers
}

type errorCount struct {
	EvalErrors
	first int64 // sequence number of the event of the first error
}

func newCounters(clock *int64, plans int) counters {
	return counters{errors: map[[2]string]*errorCount{}, evicted: make([]int64, plans), clock: clock}
}

func (c *counters) evalError(analytic, channel string, err error) {
	ec := c.count(analytic, channel)
	if ec.Count == 1 {
		ec.Example = err.Error()
	}
	var cut *costLimitError
	if errors.As(err, &cut) {
		ec.CutOff++
	}
}

// evalErrorMsg is evalError with a message at hand.
func (c *counters) evalErrorMsg(analytic, channel, msg string) {
	if ec := c.count(analytic, channel); ec.Count == 1 {
		ec.Example = msg
	}
}

// count counts one more failed evaluation of a channel or condition.
func (c *counters) count(analytic, channel string) *errorCount {
	k := [2]string{analytic, channel}
	ec := c.errors[k]
	if ec == nil {
		ec = &errorCount{EvalErrors: EvalErrors{Analytic: analytic, Channel: channel}, first: *c.clock}
		c.errors[k] = ec
	}
	ec.Count++
	return ec
}

// groupSignatures numbers the distinct group_by lists of the plans, so that a worker hashes
// an event's group key once per list.
func groupSignatures(plans []*compiledPlan) [][]int {
	var sigs [][]int
	index := map[string]int{}
	for _, cp := range plans {
		key := fmt.Sprint(cp.groupSlots)
		i, ok := index[key]
		if !ok {
			i = len(sigs)
			index[key] = i
			sigs = append(sigs, cp.groupSlots)
		}
		cp.groupSig = i
	}
	return sigs
}
