package runtime

import (
	"context"
	"fmt"

	"github.com/stixcel/stixcel/event"
)

// This file is the runtime's side of a two-stage deployment (stixcel serve, docs/scale-out.md):
// stage 1 evaluates every event, alerts for plans without a condition and hands each match
// of a plan with a condition on as a Match; stage 2 feeds such matches, partitioned by
// (plan, group key), to engines that each hold the correlation state of their pairs.

// Match is an event's match of a channel of a plan with a condition: the plan's analytic id
// and the hash of the event's group key (the same in every run and on every machine).
type Match struct {
	Plan string
	Key  uint64
}

// WithCorrelation(false) makes Process skip the plans with a condition: their matches are
// read with Matches and correlated elsewhere (stage 1 of serve). Default true.
func WithCorrelation(on bool) Option { return func(c *config) { c.noCorrelation = !on } }

// Matches appends to dst one Match per plan with a condition of which ev matches a channel
// (selector and predicate), in plan order. It keeps no correlation state and does not move
// the watermark; evaluation errors are counted in Stats as Process counts them. It needs an
// engine with one worker.
func (e *Engine) Matches(ev *event.Event, dst []Match) ([]Match, error) {
	if e.pool != nil {
		return dst, fmt.Errorf("runtime: Matches needs an engine with one worker, not %d", e.cfg.workers)
	}
	s := e.shards[0]
	si := s.index.sources[ev.LogSource]
	if si == nil {
		return dst, nil
	}
	s.show(ev)
	s.ev, s.longest = ev, -1
	routes, _ := si.routes(s.view)
	for i := 0; i < len(routes); {
		cp, span := routes[i].plan, routes[i].span
		if cp.condition != nil {
			dst = s.appendMatch(dst, routes[i:i+span])
		}
		i += span
	}
	return dst, nil
}

// Split is Process and Matches in one pass over the event's routes, for stage 1 of serve: it
// emits the outputs of the plans without a condition, as Process does, and appends to dst a
// Match per plan with a condition of which ev matches a channel, as Matches does, in plan
// order. It never feeds the plans' correlation, WithCorrelation or not. It needs an engine
// with one worker.
func (e *Engine) Split(ctx context.Context, ev *event.Event, emit func(Output), dst []Match) ([]Match, error) {
	if e.pool != nil {
		return dst, fmt.Errorf("runtime: Split needs an engine with one worker, not %d", e.cfg.workers)
	}
	if err := e.take(ctx); err != nil {
		return dst, err
	}
	s := e.shards[0]
	si, routes, missing := s.route(ev, emit)
	if si == nil {
		return dst, nil
	}
	s.begin(ev, si, missing)
	for i := 0; i < len(routes); {
		if s.abandons() {
			return dst, nil
		}
		cp, span := routes[i].plan, routes[i].span
		if s.dropsAtGate(routes[i : i+span]) { // false, as matchRoutes finds it
			i += span
			continue
		}
		if cp.condition != nil {
			dst = s.appendMatch(dst, routes[i:i+span])
		} else {
			s.matchPlan(ev, routes[i:i+span], s)
		}
		i += span
	}
	return dst, nil
}

// appendMatch appends to dst the Match of the current event for the plan of steps (its
// routes' steps), when a channel matches: the channels after the first that matches are not
// evaluated.
func (s *shard) appendMatch(dst []Match, steps []step) []Match {
	cp := steps[0].plan
	for j := range steps {
		if s.stepMatches(&steps[j]) {
			s.keyBuf = s.keyBuf[:0]
			if !cp.mixedGroups { // else one partition holds the plan: see router.owner
				s.keyBuf = appendGroupKey(s.keyBuf, s.view, cp.groupSlots)
			}
			return append(dst, Match{Plan: cp.src.ID, Key: fnv1a(s.keyBuf)})
		}
	}
	return dst
}

// Fork returns an engine over the same plans with e's options that shares what New built —
// the programs, the route index and the candidate index, which evaluation only reads — and
// has its own scratch, counters and state: another goroutine evaluates other events with it,
// and it costs a few allocations instead of a build (stage 1 of serve evaluates the lines of
// a message on every core). It needs an engine with one worker.
func (e *Engine) Fork() (*Engine, error) {
	if e.pool != nil {
		return nil, fmt.Errorf("runtime: Fork needs an engine with one worker, not %d", e.cfg.workers)
	}
	f := &Engine{cfg: e.cfg, plans: e.plans, index: e.index, cands: e.cands, slots: e.slots}
	f.cfg.stop = &stopper{}
	f.budget = stateBudget{max: f.cfg.maxState}
	f.shards = []*shard{newShard(0, &f.cfg, f.plans, f.index, f.cands, f.slots)}
	return f, nil
}

// ProcessPlan is Process for the plan with analytic id plan alone: the event moves the
// watermark (emitting what it passes) and is evaluated for that plan only (stage 2 of serve,
// where each match names its plan). An unknown plan is an error.
func (e *Engine) ProcessPlan(ctx context.Context, ev *event.Event, plan string, emit func(Output)) error {
	if e.pool != nil {
		return fmt.Errorf("runtime: ProcessPlan needs an engine with one worker, not %d", e.cfg.workers)
	}
	cp := e.byID(plan)
	if cp == nil {
		return fmt.Errorf("runtime: no plan %q in this engine", plan)
	}
	s := e.shards[0]
	s.only = cp
	defer func() { s.only = nil }()
	return e.Process(ctx, ev, emit)
}

// byID returns the compiled plan of an analytic, or nil.
func (e *Engine) byID(id string) *compiledPlan {
	if e.ids == nil {
		e.ids = make(map[string]*compiledPlan, len(e.plans))
		for _, cp := range e.plans {
			e.ids[cp.src.ID] = cp
		}
	}
	return e.ids[id]
}

// skips reports whether the matcher leaves cp out for the current event: a plan other than
// the one ProcessPlan names, or a plan with a condition under WithCorrelation(false).
func (m *matcher) skips(cp *compiledPlan) bool {
	if m.only != nil {
		return cp != m.only
	}
	return m.cfg.noCorrelation && cp.condition != nil
}
