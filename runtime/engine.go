// Package runtime evaluates compiled stixcel plans over JSON events.
//
// New compiles every CEL expression of a plan.Set once (and type-checks it again: the
// artifact may have been edited by hand), on every core, with the same result as on one.
// Process routes each event only to the channels that can match it — by log_source, then by
// the value of the field the selectors test (such as EventCode), so that a selector the
// index decides is never evaluated (a test of the log source as well) — skips the channels
// whose literals the event lacks (the candidate index: one Aho–Corasick pass per field
// finds which of the literals that channels' string tests need occur; see
// WithCandidateIndex), evaluates the predicates of the others, and either emits at once
// (hunt records of selector plans, alerts of detection plans without a condition) or feeds
// the plan's correlation state.
//
// Events come from package event, and are read through an event.FieldView: a raw-backed
// event's fields are read from its JSON text when an expression first reads them. Channel programs are specialized: event field
// reads, string functions and list membership run as Go code, and parameters are folded in as
// the constants they are for a run; results and errors are those of plain CEL.
//
// Correlation runs in event time only. The engine's watermark is the largest event time seen.
// Per plan and group key (the event's correlation.group_by values, read from the fields of
// those names or, for a channel with its own plan.Channel.GroupBy, from those; a missing
// field counts as null, so such events still group together) each channel keeps its matches of the last
// window, measured back from the group's newest match. When a group's matches at a time t
// are all in (an event after t has come, or Flush), the condition is evaluated once over
// them, so that the order of events of equal time never changes it (a condition need not
// be monotone: an upper bound, an average); when it first holds at t an alert opens, collects that
// group's further matches up to t+window, and is emitted once the watermark passes t+window
// (or at Flush). The group's evidence up to t+window is then spent: the next alert needs new
// matches. Groups without a match in the window are dropped as the watermark moves, so
// memory stays bounded on endless streams. Only the channels a condition references are
// evaluated for its plan; the others could not change an alert.
//
// An alert is readable on its own: its stable id (AlertID), the analytic's strategy,
// techniques and platforms from the plan, and per channel the first WithMaxContributors
// matching events as Evidence — time, source and line, and the values of the fields the
// channel's expressions read (plan.Channel.Fields, at most MaxEvidenceFields, each cut to
// MaxEvidenceValue bytes). Each match in a window keeps its evidence until it leaves, and it
// counts in the state budget.
//
// Hostile input has bounds. New refuses an expression whose cost cel-go estimates above
// celenv.MaxCost (a hand-edited plan the compiler never saw), naming the analytic and the
// channel. At run time an evaluation that runs more comprehension iterations than
// WithMaxIterations allows (DefaultMaxIterations) is cut off and counted as a failed
// evaluation, so no event stalls the stream; and each plan holds at most WithMaxGroups
// correlation groups (DefaultMaxGroups), evicting the least recently matched ones (their open
// alerts are emitted first) and counting them in Stats; all plans' correlation state together
// stays within WithMaxState bytes (DefaultMaxState) the same way, long group and series values
// being kept as a digest and a short prefix. All are the same with any number of workers.
//
// With WithWorkers(n > 1) the work is shared. What depends on the event alone — routing,
// the candidate index's scans, channel evaluation — is done once per event, the events of a
// batch spread over n goroutines; correlation is sharded: each worker owns the (plan, group
// key) pairs that hash to it (and whole plans without a condition, or whose channels read the
// group from fields of their own), sees every event and dispatches only its pairs' matches,
// so per-pair order and correlation are those of one worker; outputs are merged in the order
// one worker emits them. An Engine is not safe for concurrent use; call it from one
// goroutine.
package runtime

import (
	"context"
	"errors"
	"fmt"
	goruntime "runtime"

	"github.com/stixcel/stixcel/event"
	"github.com/stixcel/stixcel/plan"
)

// Engine evaluates a plan set over a stream of events.
type Engine struct {
	cfg    config
	plans  []*compiledPlan
	index  *routeIndex
	cands  *candidateIndex // nil without the candidate index
	slots  *event.Slots
	shards []*shard
	events int64
	budget stateBudget
	pool   *workerPool              // nil with one worker
	ids    map[string]*compiledPlan // by analytic id, for ProcessPlan; built when first needed
	// watched is the context of the last Process call, whose end stops the run
	// (cfg.stop); unwatch stops watching it.
	watched context.Context
	unwatch func() bool
}

// New compiles every plan of set that it will evaluate (plan.Runs): inert plans are skipped,
// and selector plans too unless WithHunt(true) and they are hunt sources (plan.Plan.Hunt).
// Errors name the analytic and channel: "analytic AN1828 channel c3: ...". Parsing,
// checking, cost estimation and program planning of the distinct expressions run on every
// core (GOMAXPROCS); the engine, and the error (the first failing plan in set order), are
// those of a build on one goroutine (see build.go).
func New(set *plan.Set, opts ...Option) (*Engine, error) {
	if set == nil {
		return nil, errors.New("runtime: no plan set")
	}
	if !plan.Readable(set.Schema) {
		return nil, fmt.Errorf("runtime: plan schema %q, want %q (compile the plans again)", set.Schema, plan.Schema)
	}
	cfg := config{maxContributors: DefaultMaxContributors, workers: 1,
		maxIterations: DefaultMaxIterations, maxGroups: DefaultMaxGroups, maxState: DefaultMaxState,
		stop: &stopper{}, stopGrace: StopGrace}
	for _, o := range opts {
		o(&cfg)
	}
	e := &Engine{cfg: cfg, budget: stateBudget{max: cfg.maxState}}
	plans, slots, err := compileSet(set, &e.cfg)
	if err != nil {
		return nil, err
	}
	e.plans = plans
	if cfg.noRouting {
		for _, cp := range e.plans {
			for _, c := range cp.channels {
				c.route = nil
			}
		}
	}
	var cands *candidateIndex
	if !cfg.noCandidates {
		if cands, err = indexCandidates(e.plans, slots, cfg.buildWorkers); err != nil {
			return nil, err
		}
	}
	e.index, e.cands, e.slots = newRouteIndex(e.plans, slots), cands, slots
	for i := range cfg.workers {
		e.shards = append(e.shards, newShard(i, &e.cfg, e.plans, e.index, cands, slots))
	}
	if cfg.workers > 1 {
		sigs := groupSignatures(e.plans)
		evals := make([]*evaluator, 2*cfg.workers) // a set for each batch in flight (workerPool)
		for i := range evals {
			evals[i] = newEvaluator(i, &e.cfg, len(e.plans), e.index, cands, slots, newRouter(cfg.workers, sigs))
		}
		e.pool = newWorkerPool(e.shards, evals, cfg.maxGroups, &e.budget)
	}
	return e, nil
}

// Process evaluates one event and emits what it causes: hunt records, immediate alerts, and
// correlated alerts whose window the event's time has passed. When ctx is done it returns
// ctx's error and leaves ev unprocessed. Events handed over before are still evaluated for
// StopGrace; then each worker leaves its event at the next plan (one expression's
// evaluation, bounded by its cost, finishes), so that a signal is acted on within a second
// even on 16 MiB events. Flush still emits the alerts found.
func (e *Engine) Process(ctx context.Context, ev *event.Event, emit func(Output)) error {
	if err := e.take(ctx); err != nil {
		return err
	}
	if e.pool == nil {
		e.shards[0].process(ev, emit)
		if e.events%groupCheckEvery == 0 {
			checkState(e.shards, e.cfg.maxGroups, &e.budget)
		}
		return nil
	}
	e.pool.add(ev, emit)
	return nil
}

// take counts an event handed over under ctx, watching ctx; ctx's error, when it is done,
// leaves the event untaken.
func (e *Engine) take(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if ctx != e.watched {
		e.watch(ctx)
	}
	e.events++
	return nil
}

// watch makes the end of ctx stop the run instead of the end of the context watched before.
func (e *Engine) watch(ctx context.Context) {
	if e.unwatch != nil {
		e.unwatch()
	}
	e.watched = ctx
	e.unwatch = e.cfg.stop.watch(ctx, e.cfg.stopGrace)
}

// Flush ends the stream: it emits every open alert, earliest window end first.
func (e *Engine) Flush(emit func(Output)) {
	if e.pool == nil {
		e.budget.measure(e.shards)
		e.shards[0].flush(emit)
		return
	}
	e.pool.flush(emit)
}

// Evaluations counts the channels events reached (after routing by log source and route
// field) and those of them whose selector or predicate was evaluated: the others the
// candidate index showed false (see WithCandidateIndex). It is a measure of work, not of
// results, which are the same either way.
type Evaluations struct {
	Reached, Evaluated int64
}

// Evaluations returns the counts so far, over all workers (call Sync first to count every
// event handed over).
func (e *Engine) Evaluations() Evaluations {
	var sum Evaluations
	for _, m := range e.matchers() {
		sum.Reached += m.evals.Reached
		sum.Evaluated += m.evals.Evaluated
	}
	return sum
}

// matchers are the engine's matchers: the shards' (with one worker, the one that evaluates
// channels; with several, the ones that evaluate conditions) and the pool's evaluators.
func (e *Engine) matchers() []*matcher {
	ms := make([]*matcher, 0, len(e.shards)*2)
	for _, s := range e.shards {
		ms = append(ms, &s.matcher)
	}
	if e.pool != nil {
		for _, m := range e.pool.evals {
			ms = append(ms, &m.matcher)
		}
	}
	return ms
}

// indexCandidates builds the candidate index of the channels' needs, and gives each channel
// its clauses; nil when no channel has a need.
func indexCandidates(plans []*compiledPlan, slots *event.Slots, workers int) (*candidateIndex, error) {
	if workers <= 0 {
		workers = goruntime.GOMAXPROCS(0)
	}
	b := newCandidateBuilder(slots)
	for _, cp := range plans {
		for _, c := range cp.channels {
			if !c.canMatch() {
				continue
			}
			if c.selector != nil {
				c.selClauses = b.add(c.selNeed)
			}
			if c.predicate != nil {
				c.predClauses = b.add(c.predNeed)
			}
		}
	}
	idx, err := b.build(workers)
	if err != nil {
		return nil, fmt.Errorf("runtime: candidate index: %w", err)
	}
	return idx, nil
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
