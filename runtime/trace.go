package runtime

import (
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/google/cel-go/cel"
	"github.com/google/cel-go/common/types"
	"github.com/google/cel-go/common/types/ref"

	"github.com/stixcel/stixcel/event"
	"github.com/stixcel/stixcel/plan"
)

// This file is the runtime's side of `stixcel explain --events`: why an event did or did
// not alert. A Tracer runs one plan as an Engine does (the same programs, windows and
// alerts) and reports, per event, what each channel and the condition made of it.

// Outcome is what one check of a trace gave.
type Outcome string

// The outcomes of a check.
const (
	OutcomeTrue    Outcome = "true"
	OutcomeFalse   Outcome = "false"
	OutcomeError   Outcome = "error"   // evaluation failed (counted as false); Check.Error says why
	OutcomeAbsent  Outcome = "absent"  // the channel has no such expression
	OutcomeSkipped Outcome = "skipped" // not evaluated: an earlier check of the channel failed
)

// Check is the outcome of one expression on one event.
type Check struct {
	Outcome Outcome `json:"outcome"`
	Error   string  `json:"error,omitempty"` // the CEL error, when Outcome is OutcomeError
}

// ChannelTrace is what one channel made of an event: whether the event's log source is the
// channel's, then whether its selector and its bound predicate held. The channel matched
// when all three did (an absent expression holds).
type ChannelTrace struct {
	ID               string `json:"id"`
	LogSource        string `json:"log_source"`
	LogSourceMatched bool   `json:"log_source_matched"`
	// Used is false for a channel the plan does not evaluate: the condition does not
	// reference it, or it has neither selector nor predicate.
	Used      bool  `json:"used"`
	Selector  Check `json:"selector"`
	Predicate Check `json:"predicate"`
	Matched   bool  `json:"matched"`
}

// What an event's matches did, in CorrelationTrace.Outcome.
const (
	// CorrelationOpened: the condition held over the group's window: an alert opened, to be
	// emitted when the event-time watermark passes its window (or at Flush).
	CorrelationOpened = "opened"
	// CorrelationAdded: the group's alert was open: the event is more evidence for it.
	CorrelationAdded = "added"
	// CorrelationNotHeld: the condition did not hold over the group's window.
	CorrelationNotHeld = "not held"
	// CorrelationError: the condition failed to evaluate (counted as false).
	CorrelationError = "error"
	// CorrelationSpent: the event is not after the close of the group's last alert, whose
	// evidence it was: it is ignored.
	CorrelationSpent = "spent"
	// CorrelationTooOld: the event is older than the group's window: it is ignored.
	CorrelationTooOld = "too old"
	// CorrelationImmediate: the plan has no condition: every matching event alerts.
	CorrelationImmediate = "immediate"
	// CorrelationHunt: a selector plan: every matching channel gives a hunt record.
	CorrelationHunt = "hunt"
)

// CorrelationTrace is what an event's matches did to its group.
type CorrelationTrace struct {
	// Group is the event's group_by values (a missing field is null).
	Group   map[string]any `json:"group"`
	Outcome string         `json:"outcome"`
	// InWindow are the channels (cN) true when the condition was evaluated: those with a
	// match in the group's window, this event's included. Empty when it was not evaluated.
	InWindow []string `json:"in_window"`
	// Condition is the condition's outcome when it was evaluated.
	Condition *Check `json:"condition,omitempty"`
	// Close is the end of the open alert's window (Opened, Added): it is emitted when an
	// event after it comes, or at the end.
	Close time.Time `json:"close,omitzero"`
}

// EventTrace is what a plan made of one event.
type EventTrace struct {
	Channels []ChannelTrace `json:"channels"`
	// Correlation is nil when no channel matched.
	Correlation *CorrelationTrace `json:"correlation,omitempty"`
}

// Matched reports whether a channel matched the event.
func (t *EventTrace) Matched() bool { return t.Correlation != nil }

// Tracer runs one plan over events, one at a time and in event-time order as Process takes
// them, and reports per event what its channels and condition made of it. Its alerts are
// those an Engine with the plan alone emits. A Tracer is not safe for concurrent use.
type Tracer struct {
	eng *Engine
	cp  *compiledPlan
	s   *shard
}

// NewTracer compiles p for tracing (with one worker, and hunt records for a selector plan).
// A plan the runtime does not run (inert) is an error.
func NewTracer(p *plan.Plan, opts ...Option) (*Tracer, error) {
	if p == nil {
		return nil, errors.New("runtime: no plan to trace")
	}
	opts = append(append([]Option{}, opts...), WithWorkers(1), WithHunt(true))
	eng, err := New(&plan.Set{Schema: plan.Schema, Plans: []*plan.Plan{p}}, opts...)
	if err != nil {
		return nil, err
	}
	if len(eng.plans) == 0 {
		return nil, fmt.Errorf("runtime: analytic %s is not run (its plan is %s): nothing to trace", p.ID, p.Kind)
	}
	return &Tracer{eng: eng, cp: eng.plans[0], s: eng.shards[0]}, nil
}

// Trace processes ev as Engine.Process does, emitting what it causes, and returns what the
// plan made of it.
func (t *Tracer) Trace(ev *event.Event, emit func(Output)) *EventTrace {
	s, cp := t.s, t.cp
	s.emit = emit
	t.eng.events++
	s.advance(ev)
	s.show(ev)
	s.ev, s.longest = ev, -1
	s.chanAct.Params = cp.paramsVal
	tr := &EventTrace{Channels: make([]ChannelTrace, len(cp.channels))}
	var matched []int
	for i, c := range cp.channels {
		tr.Channels[i] = t.channel(c, ev)
		if tr.Channels[i].Matched {
			matched = append(matched, i)
		}
	}
	if len(matched) > 0 {
		s.phase = phaseMatch
		tr.Correlation = t.correlate(ev, matched)
	}
	if t.eng.events%groupCheckEvery == 0 { // the group cap and state budget, as Process keeps them
		checkState(t.eng.shards, t.eng.cfg.maxGroups, &t.eng.budget)
	}
	return tr
}

// Flush ends the events: it emits every open alert.
func (t *Tracer) Flush(emit func(Output)) { t.eng.Flush(emit) }

// channel evaluates one channel on the current event: its log source, selector, predicate.
func (t *Tracer) channel(c *compiledChannel, ev *event.Event) ChannelTrace {
	ct := ChannelTrace{ID: c.id, LogSource: c.logSource, LogSourceMatched: c.logSource == ev.LogSource, Used: c.canMatch(),
		Selector: Check{Outcome: OutcomeAbsent}, Predicate: Check{Outcome: OutcomeAbsent}}
	if !ct.Used {
		ct.Selector, ct.Predicate = t.unused(c)
		return ct
	}
	if !ct.LogSourceMatched {
		ct.Selector, ct.Predicate = skipped(c.selector), skipped(c.predicate)
		return ct
	}
	ct.Selector = t.check(c.selector, c.selMax)
	if ct.Selector.Outcome != OutcomeTrue && ct.Selector.Outcome != OutcomeAbsent {
		ct.Predicate = skipped(c.predicate)
		return ct
	}
	ct.Predicate = t.check(c.predicate, c.predMax)
	ct.Matched = ct.Predicate.Outcome == OutcomeTrue || ct.Predicate.Outcome == OutcomeAbsent
	return ct
}

// unused shows the expressions of a channel the plan does not evaluate as skipped.
func (t *Tracer) unused(c *compiledChannel) (Check, Check) {
	src := t.cp.src.Channels[c.index]
	sel, pred := Check{Outcome: OutcomeAbsent}, Check{Outcome: OutcomeAbsent}
	if selectorOf(t.cp.src, src) != "" {
		sel.Outcome = OutcomeSkipped
	}
	if src.Predicate != "" {
		pred.Outcome = OutcomeSkipped
	}
	return sel, pred
}

func skipped(prg cel.Program) Check {
	if prg == nil {
		return Check{Outcome: OutcomeAbsent}
	}
	return Check{Outcome: OutcomeSkipped}
}

// check evaluates one channel expression on the current event, as the shard does: an
// event holding a string longer than the expression affords is not evaluated.
func (t *Tracer) check(prg cel.Program, affordable int) Check {
	if prg == nil {
		return Check{Outcome: OutcomeAbsent}
	}
	if affordable != math.MaxInt && t.s.longestString() > affordable {
		return Check{Outcome: OutcomeError, Error: (&tooLongError{longest: t.s.longest, affordable: affordable}).Error()}
	}
	out, _, err := prg.Eval(t.s.frame)
	return outcome(out, err)
}

// outcome is the Check of a boolean evaluation.
func outcome(out ref.Val, err error) Check {
	switch b, ok := out.(types.Bool); {
	case err != nil:
		return Check{Outcome: OutcomeError, Error: err.Error()}
	case ok && bool(b):
		return Check{Outcome: OutcomeTrue}
	case ok:
		return Check{Outcome: OutcomeFalse}
	case out == nil:
		return Check{Outcome: OutcomeError, Error: "no result"}
	}
	return Check{Outcome: OutcomeError, Error: fmt.Sprintf("result is %s, want bool", out.Type().TypeName())}
}

// correlate dispatches the event's matches as the shard does and says what they did.
func (t *Tracer) correlate(ev *event.Event, matched []int) *CorrelationTrace {
	s, cp := t.s, t.cp
	slots := cp.groupSlots // the group the first matched channel names (a plan may read it per channel)
	if len(matched) > 0 {
		slots = cp.channels[matched[0]].groupSlots
	}
	ct := &CorrelationTrace{Group: t.groupValues(slots), InWindow: []string{}}
	switch {
	case cp.src.Kind == plan.KindSelector:
		ct.Outcome = CorrelationHunt
	case cp.condition == nil:
		ct.Outcome = CorrelationImmediate
	}
	if ct.Outcome != "" {
		s.dispatch(cp, ev, matched)
		return ct
	}
	c := s.corrs[cp.position]
	key := appendGroupKey(nil, s.view, slots)
	var before *openAlert
	var spent time.Time
	if g := c.groups[string(key)]; g != nil {
		before, spent = g.alert, g.spent
	}
	s.dispatch(cp, ev, matched)
	g := c.groups[string(key)]
	if g != nil && g.dirty {
		c.settle(s, g) // the trace shows each event's effect at once, not at its instant's end
		s.stateBytes += g.refresh()
	}
	switch {
	case !spent.IsZero() && !ev.Time.After(spent):
		ct.Outcome = CorrelationSpent
	case !t.inWindow(g, ev):
		ct.Outcome = CorrelationTooOld
	case g.alert != nil && g.alert == before:
		ct.Outcome, ct.Close = CorrelationAdded, g.alert.close
	case g.alert != nil:
		ct.Outcome, ct.Close = CorrelationOpened, g.alert.close
		ct.InWindow = t.channelsWhere(func(i int) bool { return g.alert.counts[i] > 0 })
		ct.Condition = &Check{Outcome: OutcomeTrue}
	default:
		ct.InWindow = t.channelsWhere(func(i int) bool { return g.windows[i].matches.len() > 0 })
		cond := t.condition(c, g)
		ct.Condition = &cond
		ct.Outcome = CorrelationNotHeld
		if cond.Outcome == OutcomeError {
			ct.Outcome = CorrelationError
		}
	}
	return ct
}

// inWindow reports whether the group's windows hold the event's time: an event older than
// the group's window was not recorded.
func (t *Tracer) inWindow(g *group, ev *event.Event) bool {
	return !ev.Time.Before(g.newest.Add(-t.cp.window))
}

// condition evaluates the plan's condition over g's window again, as conditionHolds did,
// to tell false from an error.
func (t *Tracer) condition(c *correlator, g *group) Check {
	for i := range g.windows {
		c.act.matched[i] = g.windows[i].matches.len() > 0
	}
	c.act.window, c.act.built = g, false
	out, _, err := t.cp.condition.Eval(&c.act)
	return outcome(out, err)
}

// groupValues are the current event's group_by values.
func (t *Tracer) groupValues(slots []int) map[string]any {
	out := make(map[string]any, len(t.cp.groupBy))
	for i, name := range t.cp.groupBy {
		out[name] = displayValue(t.s.view.Slot(slots[i]))
	}
	return out
}

// channelsWhere lists the ids of the channels at whose index holds is true.
func (t *Tracer) channelsWhere(holds func(int) bool) []string {
	ids := []string{}
	for i, c := range t.cp.channels {
		if holds(i) {
			ids = append(ids, c.id)
		}
	}
	return ids
}
