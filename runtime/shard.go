package runtime

import (
	"fmt"
	"math"
	"time"

	"github.com/google/cel-go/cel"
	"github.com/google/cel-go/common/types"
	"github.com/google/cel-go/common/types/ref"
	"github.com/google/cel-go/interpreter"

	"github.com/stixcel/stixcel/event"
	"github.com/stixcel/stixcel/plan"
	"github.com/stixcel/stixcel/runtime/internal/special"
)

// shard is one worker's engine: it sees every event (so its watermark is the engine's), and
// keeps the correlation state of the (plan, group key) pairs it owns. With one worker it owns
// everything, evaluates each event's channels itself (its matcher) and emits directly; with
// several, the pool's evaluators have matched the channels and the shard dispatches the
// matches of its pairs.
type shard struct {
	matcher
	id    int
	index *routeIndex
	corrs []*correlator // by plan position; nil for plans without a condition
	live  []*correlator // the non-nil corrs
	// holding are the correlators that held groups at the last sweep or gained one since,
	// in no particular order: the ones a sweep reads, so that it costs what state there is,
	// not the number of plans (thousands of Sigma rules, each suppressed per host).
	holding   []*correlator
	watermark time.Time
	pending   alertHeap
	dirty     []dirtyGroup // groups whose newest instant awaits its evaluation, in order
	keyBuf    []byte       // Matches' group key scratch
	// stateBytes is the approximate memory of the shard's correlation state: the sum of
	// its groups' bytes, kept up to date as they change.
	stateBytes int64

	// emission: direct with one worker, else collected with the tags that order the merge
	emit    func(Output)
	collect bool
	outs    []taggedOutput
	seq     int // sequence number of the current event
	phase   int
}

// matcher evaluates channels on one event at a time: the stateless part of Process, a pure
// function of the event and the plans' params. Each goroutine that evaluates has its own:
// the view, the candidate scan, the activation and the counters of its errors.
type matcher struct {
	cfg     *config
	view    *event.FieldView
	chanAct special.Activation
	frame   *interpreter.ExecutionFrame
	matched []int
	only    *compiledPlan  // the one plan ProcessPlan evaluates; nil: all
	cands   *candidateScan // nil without a candidate index
	evals   Evaluations
	ev      *event.Event // the event being evaluated
	longest int          // its longest string (event.Event.LongestString); -1 until asked
	stats   counters
	clock   int64 // events seen: the engine's event count with the current event
}

// init readies m in place (its counters point at its clock).
func (m *matcher) init(cfg *config, plans int, cands *candidateIndex, slots *event.Slots) {
	m.cfg, m.cands, m.view = cfg, newCandidateScan(cands), event.NewFieldView(slots)
	m.stats = newCounters(&m.clock, plans)
	m.chanAct.Event, m.chanAct.View = m.view, m.view
	frame, err := interpreter.NewExecutionFrame(&m.chanAct)
	if err != nil {
		panic("runtime: activation is not an interpreter.Activation: " + err.Error()) // cannot happen
	}
	m.frame = frame
}

// matchSink takes the plans of which an event matched channels, in plan order; matched
// holds the channels' indexes and is valid until the call returns.
type matchSink interface {
	found(cp *compiledPlan, ev *event.Event, matched []int)
}

// Phases of one event's outputs, in the order one worker emits them.
const (
	phaseDue    = iota // alerts whose window the event's time passed, by close, plan, group
	phaseMatch         // what the event's matches cause, in plan order
	phaseEvict         // alerts of groups evicted at the group cap, by plan, then activity
	phaseBudget        // alerts of groups evicted for the state budget, by activity, then plan
)

// taggedOutput is an output with its place in the one-worker order.
type taggedOutput struct {
	seq   int
	phase int
	plan  int       // plan index in the set
	close time.Time // phaseDue: the alert's window end
	key   string    // phaseDue: the alert's group key
	order int64     // phaseEvict, phaseBudget: the group's last activity
	out   Output
}

func newShard(id int, cfg *config, plans []*compiledPlan, index *routeIndex, cands *candidateIndex, slots *event.Slots) *shard {
	s := &shard{id: id, index: index, corrs: make([]*correlator, len(plans))}
	s.init(cfg, len(plans), cands, slots)
	for i, cp := range plans {
		if cp.condition != nil {
			s.corrs[i] = newCorrelator(cp)
			s.live = append(s.live, s.corrs[i])
		}
	}
	return s
}

// process is Engine.Process for the one shard of a one-worker engine: it routes the event
// itself and owns every plan.
func (s *shard) process(ev *event.Event, emit func(Output)) {
	if si, routes, missing := s.route(ev, emit); si != nil {
		s.matchRoutes(ev, si, routes, missing, s)
	}
}

// route moves the shard to ev, emitting to emit, and returns the routes ev reaches, with
// its source's index and whether it lacks the route field; si is nil when no plan reads
// ev's log source.
func (s *shard) route(ev *event.Event, emit func(Output)) (si *sourceIndex, routes []step, missing bool) {
	s.emit = emit
	s.advance(ev)
	if si = s.index.sources[ev.LogSource]; si == nil {
		return nil, nil, false
	}
	s.show(ev)
	routes, missing = si.routes(s.view)
	s.phase = phaseMatch
	return si, routes, missing
}

// found dispatches a plan's matches of the current event.
func (s *shard) found(cp *compiledPlan, ev *event.Event, matched []int) { s.dispatch(cp, ev, matched) }

// processMatched is process for one of several workers: the pool's evaluators have matched
// the event's channels (matches, in plan order, each with its owner); the shard moves its
// watermark and dispatches the matches it owns.
func (s *shard) processMatched(ev *event.Event, matches []planMatch, chans []int) {
	s.advance(ev)
	s.phase = phaseMatch
	shown := false
	for i := range matches {
		pm := &matches[i]
		if int(pm.owner) != s.id {
			continue
		}
		if !shown {
			s.view.Reset(ev) // group keys and evidence read the event
			shown = true
		}
		s.dispatch(pm.plan, ev, chans[pm.lo:pm.hi])
	}
}

// show makes ev the event the matcher's view shows and the candidate index scans.
func (m *matcher) show(ev *event.Event) {
	m.view.Reset(ev)
	if m.cands != nil {
		m.cands.next()
	}
}

// advance moves the shard's clock and watermark to ev, emitting the alerts whose window
// the event's time passed and dropping stale groups.
func (s *shard) advance(ev *event.Event) {
	s.clock++
	if ev.Time.After(s.watermark) {
		s.watermark = ev.Time
		s.settleAll()
		s.phase = phaseDue
		s.emitDue()
		s.sweep()
	}
}

// matchRoutes evaluates the channels the event reaches (the matcher shows it), of the plans
// the matcher does not skip, and hands each plan of which channels matched to sink. When
// the run is stopping it leaves the event at the next plan, counting it abandoned.
func (m *matcher) matchRoutes(ev *event.Event, si *sourceIndex, routes []step, missing bool, sink matchSink) {
	m.begin(ev, si, missing)
	for i := 0; i < len(routes); {
		if m.abandons() {
			return
		}
		cp, span := routes[i].plan, routes[i].span
		if (m.only != nil || m.cfg.noCorrelation) && m.skips(cp) {
			i += span
			continue
		}
		if m.dropsAtGate(routes[i : i+span]) {
			i += span
			continue
		}
		m.matchPlan(ev, routes[i:i+span], sink)
		i += span
	}
}

// dropsAtGate reports whether a plan's steps are one step whose gate does not hold of the
// current event, counting it reached: the step is false, as stepMatches would find it,
// with none of its work: no error to count (an event too long for the step's programs is
// left to stepMatches), nothing evaluated.
func (m *matcher) dropsAtGate(steps []step) bool {
	if len(steps) != 1 || m.cands == nil {
		return false
	}
	st := &steps[0]
	if st.gate < 0 || (st.maxString != math.MaxInt && m.longestString() > st.maxString) || m.cands.holds1(st.gate, m.view) {
		return false
	}
	m.evals.Reached++
	return true
}

// matchPlan evaluates the channels of one plan that the event reaches (steps, its routes'
// steps) and hands their matches to sink, if any.
func (m *matcher) matchPlan(ev *event.Event, steps []step, sink matchSink) {
	m.matched = m.matched[:0]
	for j := range steps {
		if m.stepMatches(&steps[j]) {
			m.matched = append(m.matched, steps[j].index)
		}
	}
	if len(m.matched) > 0 {
		sink.found(steps[0].plan, ev, m.matched)
	}
}

// begin starts the evaluation of ev's routes: for an event without its source's route field,
// the failures of the selectors the index decides are counted.
func (m *matcher) begin(ev *event.Event, si *sourceIndex, missing bool) {
	if missing {
		m.countMissing(si)
	}
	m.ev, m.longest = ev, -1
}

// abandons reports whether the run is stopping, counting the event abandoned: the matcher
// then leaves it at the next plan (Flush writes what was found).
func (m *matcher) abandons() bool {
	if !m.cfg.stop.stopping() {
		return false
	}
	m.stats.abandoned++
	return true
}

// countMissing counts, for an event without its source's route field, the failure of every
// unguarded selector the index decides, as evaluating them would have.
func (m *matcher) countMissing(si *sourceIndex) {
	for _, st := range si.unguarded {
		m.stats.evalErrorMsg(st.plan.src.ID, st.plan.channels[st.index].id, si.missingMsg)
	}
}

// stepMatches evaluates a channel's selector (unless the index decided it) and predicate,
// each unless the candidate index shows it false.
func (m *matcher) stepMatches(st *step) bool {
	if st.maxString != math.MaxInt && m.longestString() > st.maxString {
		m.stats.evalError(st.plan.src.ID, st.plan.channels[st.index].id, &tooLongError{longest: m.longest, affordable: st.maxString})
		return false
	}
	m.evals.Reached++
	if st.sel != nil {
		if !m.candidate(st.selNeed) {
			return false
		}
		m.evals.Evaluated++
		return m.evalChannel(st.sel, st) && (st.pred == nil || (m.candidate(st.predNeed) && m.evalChannel(st.pred, st)))
	}
	if st.pred == nil {
		return true
	}
	if !m.candidate(st.predNeed) {
		return false
	}
	m.evals.Evaluated++
	return m.evalChannel(st.pred, st)
}

// candidate reports whether every clause of need holds of the current event, so that the
// expression needing them is evaluated.
func (m *matcher) candidate(need []int32) bool {
	return m.cands == nil || len(need) == 0 || m.cands.holds(need, m.view)
}

// longestString is the current event's longest string, computed once and only for the
// channels whose cost depends on it (most are affordable on any line).
func (m *matcher) longestString() int {
	if m.longest < 0 {
		m.longest = m.ev.LongestString()
	}
	return m.longest
}

// evalChannel evaluates a channel expression of st with st's parameters, bound only here:
// most steps reached end at the candidate index, and comparing the parameters (an
// interface) cost each of them.
func (m *matcher) evalChannel(prg cel.Program, st *step) bool {
	if m.chanAct.Params != st.params {
		m.chanAct.Params = st.params
	}
	return m.evalBool(prg, m.frame, st.plan, st.index)
}

func (s *shard) dispatch(cp *compiledPlan, ev *event.Event, matched []int) {
	switch {
	case cp.src.Kind == plan.KindSelector:
		s.stats.huntsBy[cp.position] += int64(len(matched))
		for _, i := range matched {
			s.stats.hunts++
			s.out(s.hunt(cp, i, ev), cp, nil)
		}
	case cp.condition == nil:
		s.stats.alerts++
		s.out(s.immediateAlert(cp, ev, matched), cp, nil)
	default:
		s.corrs[cp.position].observe(s, ev, matched)
	}
}

// out emits o, or collects it with its place in the one-worker order; a is the alert being
// closed, if any.
func (s *shard) out(o Output, cp *compiledPlan, a *openAlert) {
	if !s.collect {
		s.emit(o)
		return
	}
	t := taggedOutput{seq: s.seq, phase: s.phase, plan: cp.index, out: o}
	if a != nil {
		t.close, t.key, t.order = a.close, a.group.key, a.group.active
	}
	s.outs = append(s.outs, t)
}

// dirtyGroup is a group awaiting the evaluation of its newest instant, with its correlator.
type dirtyGroup struct {
	c *correlator
	g *group
}

// markDirty queues g, which just matched, for evaluation once its instant is complete.
func (s *shard) markDirty(c *correlator, g *group) {
	if !g.dirty {
		g.dirty = true
		s.dirty = append(s.dirty, dirtyGroup{c, g})
	}
}

// settleAll evaluates the groups whose instant is complete: the watermark has passed the
// time of every event before, so all the queued ones, in the order they matched.
func (s *shard) settleAll() {
	for i, d := range s.dirty {
		if d.g.dirty {
			d.c.settle(s, d.g)
			s.stateBytes += d.g.refresh()
		}
		s.dirty[i] = dirtyGroup{}
	}
	s.dirty = s.dirty[:0]
}

// flush emits every open alert, earliest window end first.
func (s *shard) flush(emit func(Output)) {
	s.settleAll()
	s.emit = emit
	s.phase = phaseDue
	for s.pending.Len() > 0 {
		s.emitAlert(s.pending.pop())
	}
}

// evalBool evaluates a boolean program of plan cp: of its channel ch, or of its condition
// when ch < 0. An error counts and means false.
func (m *matcher) evalBool(prg cel.Program, act any, cp *compiledPlan, ch int) bool {
	out, _, err := prg.Eval(act)
	if b, ok := out.(types.Bool); ok && err == nil {
		return bool(b)
	}
	name := "condition"
	if ch >= 0 {
		name = cp.channels[ch].id
	}
	return m.evalFailed(out, err, cp.src.ID, name)
}

// evalFailed counts an evaluation that gave an error or no bool; it means false.
func (m *matcher) evalFailed(out ref.Val, err error, analytic, channel string) bool {
	if err != nil {
		m.stats.evalError(analytic, channel, err)
		return false
	}
	m.stats.evalError(analytic, channel, fmt.Errorf("result is %s, want bool", out.Type().TypeName()))
	return false
}

// emitDue emits the alerts whose window the watermark has passed.
func (s *shard) emitDue() {
	for s.pending.Len() > 0 && s.watermark.After(s.pending.peek().close) {
		s.emitAlert(s.pending.pop())
	}
}

// emitAlert emits a and spends its group's evidence up to the alert's close.
func (s *shard) emitAlert(a *openAlert) {
	g := a.group
	g.alert = nil
	g.spent = a.close
	g.spend(a.close)
	s.stateBytes += g.refresh()
	s.stats.alerts++
	s.out(a.alert(), a.plan, a)
}

// sweep drops groups whose newest match is older than the watermark minus the window and
// that have no open alert. It reads groups from the least recently matched, passes over the
// stale ones whose alert is still open (they go once it is emitted), and stops at the first
// live one: in event-time order that is every stale group, whatever group sits in front, so
// that which groups survive (and count against the group cap) is the same on every shard
// layout. Each group is dropped in amortized constant time; a stale group with an open alert
// is passed over at most until its window closes.
func (s *shard) sweep() {
	kept := s.holding[:0]
	for _, c := range s.holding {
		cutoff := s.watermark.Add(-c.plan.window)
		for g := c.byActivity.head; g != nil && g.newest.Before(cutoff); {
			next := g.next
			if g.alert == nil {
				s.stateBytes -= g.bytes
				c.drop(g)
			}
			g = next
		}
		c.shrink()
		if c.holding = len(c.groups) > 0; c.holding {
			kept = append(kept, c)
		}
	}
	clear(s.holding[len(kept):])
	s.holding = kept
}

// evict drops the least recently matched group of c at the group cap, emitting its open
// alert first.
func (s *shard) evict(c *correlator) {
	s.phase = phaseEvict
	s.evictHead(c)
	s.stats.evicted[c.plan.position]++
}

// evictHead drops the least recently matched group of c, emitting its open alert first
// in the current phase.
func (s *shard) evictHead(c *correlator) {
	g := c.byActivity.head
	if g.dirty {
		c.settle(s, g)
	}
	if g.alert != nil {
		s.pending.remove(g.alert)
		s.emitAlert(g.alert)
	}
	s.stateBytes -= g.bytes
	c.drop(g)
}
