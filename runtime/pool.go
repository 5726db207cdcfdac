package runtime

import (
	"math"
	"sync"
	"sync/atomic"

	"github.com/stixcel/stixcel/event"
)

// workerPool runs the events of several workers in batches on goroutines of its own, while
// the caller fills the next batch, and merges the shards' outputs into the one-worker order.
// Each batch is run in two steps: the evaluators match the channels of its events, each
// event once, sharing the events between them; then, once the batch before it is
// dispatched, every shard goes through all the events (so that its watermark is the
// engine's) and dispatches the matches of the (plan, group key) pairs it owns, a segment at
// a time, the group cap and the state budget enforced between segments.
//
// Two batches are in flight, each with a set of evaluators of its own: a batch is matched
// while the one before it is still matched or dispatched, so that an evaluator held up by
// one long evaluation (a program planned on its first evaluation, a long script block) does
// not leave the other cores idle until it ends. Matching is stateless; dispatching, and the
// shards' state, stay in stream order.
type workerPool struct {
	shards    []*shard
	evals     []*evaluator    // every evaluator, by id: sets[0] then sets[1]
	sets      [2][]*evaluator // the evaluators of the batches in flight, by flight
	maxGroups int
	budget    *stateBudget
	batch     *batch     // being filled
	flights   [2]*flight // the batches in flight (nil: none), by set
	next      int        // the set of the next batch
	pending   []*flight  // batches done whose outputs are not emitted yet, in order
	spare     []*batch   // batches to fill again
	seen      int        // events handed over before the batch being filled
	heads     []int
}

// flight is a batch in flight: matched by its set's evaluators, then dispatched; done is
// closed once it is dispatched, and outs are then the shards' outputs of the batch.
type flight struct {
	b    *batch
	done chan struct{}
	outs [][]taggedOutput // by shard
}

// batch is a run of events with, once its evaluators are done, their matches.
type batch struct {
	events []matchedEvent
	bytes  int64 // the events' memory (event.Event.Footprint): raw JSON and derived fields
}

// matchedEvent is an event of a batch and where its evaluator recorded its matches:
// evals[by].matches[lo:hi].
type matchedEvent struct {
	ev     *event.Event
	by     int32
	lo, hi int32
}

func newBatch() *batch { return &batch{events: make([]matchedEvent, 0, batchSize)} }

// reset empties b for reuse, letting go of its events.
func (b *batch) reset() {
	clear(b.events)
	b.events, b.bytes = b.events[:0], 0
}

// batchSize is how many events a batch holds at most; batchBytes bounds the memory of the
// events a batch holds (their lines and the fields a source profile derived), so that a run
// of large events is handed over sooner.
const (
	batchSize  = 512
	batchBytes = 64 << 20
)

// evalBlock is how many consecutive events an evaluator takes at a time.
const evalBlock = 16

func newWorkerPool(shards []*shard, evals []*evaluator, maxGroups int, budget *stateBudget) *workerPool {
	for _, s := range shards {
		s.collect = true
	}
	half := len(evals) / 2
	return &workerPool{shards: shards, evals: evals, sets: [2][]*evaluator{evals[:half], evals[half:]},
		maxGroups: maxGroups, budget: budget, batch: newBatch(), heads: make([]int, len(shards))}
}

func (p *workerPool) add(ev *event.Event, emit func(Output)) {
	p.batch.events = append(p.batch.events, matchedEvent{ev: ev})
	p.batch.bytes += ev.Footprint()
	if len(p.batch.events) == batchSize || p.batch.bytes >= batchBytes {
		p.run()
		p.emitPending(emit)
	}
}

// run starts the filled batch with the next set of evaluators, once that set's last batch is
// done (its outputs then pending), and takes a batch to fill. The batch is dispatched once
// the one before it is, stopping at every group check to enforce the group cap.
func (p *workerPool) run() {
	set := p.next
	p.next ^= 1
	p.land(set)
	b, base := p.batch, p.seen
	p.seen += len(b.events)
	p.batch = p.spareBatch()
	for _, m := range p.sets[set] {
		m.reset()
	}
	prev := p.flights[set^1]
	f := &flight{b: b, done: make(chan struct{})}
	p.flights[set] = f
	evals := p.sets[set]
	go func() {
		defer close(f.done)
		events := b.events
		p.matchBatch(b, evals, base)
		if prev != nil {
			<-prev.done
		}
		for start := 0; start < len(events); {
			end := min(len(events), start+groupCheckEvery-(base+start)%groupCheckEvery)
			p.runSegment(b, start, end, base)
			if (base+end)%groupCheckEvery == 0 {
				checkState(p.shards, p.maxGroups, p.budget)
			}
			start = end
		}
		f.outs = p.takeOutputs(f.outs)
	}()
}

// spareBatch is an empty batch: one whose outputs were emitted, or a new one.
func (p *workerPool) spareBatch() *batch {
	if n := len(p.spare); n > 0 {
		b := p.spare[n-1]
		p.spare = p.spare[:n-1]
		return b
	}
	return newBatch()
}

// takeOutputs moves the shards' outputs into outs (reusing its lists) and returns it.
func (p *workerPool) takeOutputs(outs [][]taggedOutput) [][]taggedOutput {
	if outs == nil {
		outs = make([][]taggedOutput, len(p.shards))
	}
	for i, s := range p.shards {
		outs[i], s.outs = s.outs, outs[i][:0]
	}
	return outs
}

// matchBatch has evals match the events of b, the first of which is event number base,
// taking blocks of them in turn, and waits for them. Each evaluator sees its events in
// stream order, so the example its counters keep of an error is the one of its first
// event, and Stats keeps the earliest of all (the one one worker keeps).
func (p *workerPool) matchBatch(b *batch, evals []*evaluator, base int) {
	var next atomic.Int64
	end := len(b.events)
	var wg sync.WaitGroup
	wg.Add(len(evals))
	for _, m := range evals {
		go func() {
			defer wg.Done()
			for {
				lo := int(next.Add(evalBlock)) - evalBlock
				if lo >= end {
					return
				}
				for i := lo; i < min(lo+evalBlock, end); i++ {
					m.match(&b.events[i], base+i)
				}
			}
		}()
	}
	wg.Wait()
}

// runSegment runs every shard over the matched events start to end of b, the first of
// which is event number base, and waits for them.
func (p *workerPool) runSegment(b *batch, start, end, base int) {
	var wg sync.WaitGroup
	wg.Add(len(p.shards))
	for _, s := range p.shards {
		go func() {
			defer wg.Done()
			for i := start; i < end; i++ {
				me := &b.events[i]
				m := p.evals[me.by]
				s.seq = base + i
				s.processMatched(me.ev, m.matches[me.lo:me.hi], m.chans)
			}
		}()
	}
	wg.Wait()
}

// wait blocks until the batches in flight are done; their outputs are then pending.
func (p *workerPool) wait() {
	p.land(p.next) // the older flight first: the next batch takes its set
	p.land(p.next ^ 1)
}

// land waits for the batch in flight with set's evaluators, if any, and makes its outputs
// pending.
func (p *workerPool) land(set int) {
	if f := p.flights[set]; f != nil {
		<-f.done
		p.pending = append(p.pending, f)
		p.flights[set] = nil
	}
}

// sync runs the events handed over so far and waits for them: Stats is then exact; the
// outputs wait for the next drain.
func (p *workerPool) sync() {
	if len(p.batch.events) > 0 {
		p.run()
	}
	p.wait()
}

// emitPending emits the outputs of the batches done, in order, and lets go of them.
func (p *workerPool) emitPending(emit func(Output)) {
	for _, f := range p.pending {
		p.merge(f.outs, emit)
		f.b.reset()
		p.spare = append(p.spare, f.b)
	}
	clear(p.pending)
	p.pending = p.pending[:0]
}

// drain waits for the batches in flight and emits the outputs collected so far in the
// one-worker order: the batches' in turn, then what the shards hold (a flush's).
func (p *workerPool) drain(emit func(Output)) {
	p.wait()
	p.emitPending(emit)
	outs := p.takeOutputs(nil)
	p.merge(outs, emit)
}

// merge emits the outputs of outs (by shard) in the one-worker order: each shard's are in
// that order already, and outputs of different shards never tie (a plan's outputs for one
// event, and an alert's (close, plan, group), belong to one shard).
func (p *workerPool) merge(outs [][]taggedOutput, emit func(Output)) {
	for i := range p.heads {
		p.heads[i] = 0
	}
	for {
		best := -1
		for i := range outs {
			if p.heads[i] < len(outs[i]) && (best < 0 || before(&outs[i][p.heads[i]], &outs[best][p.heads[best]])) {
				best = i
			}
		}
		if best < 0 {
			break
		}
		emit(outs[best][p.heads[best]].out)
		outs[best][p.heads[best]].out = nil
		p.heads[best]++
	}
	for i := range outs {
		outs[i] = outs[i][:0]
	}
}

func before(a, b *taggedOutput) bool {
	if a.seq != b.seq {
		return a.seq < b.seq
	}
	if a.phase != b.phase {
		return a.phase < b.phase
	}
	if a.phase == phaseDue && !a.close.Equal(b.close) {
		return a.close.Before(b.close)
	}
	if a.phase == phaseBudget && a.order != b.order {
		return a.order < b.order
	}
	if a.plan != b.plan {
		return a.plan < b.plan
	}
	if a.phase == phaseEvict {
		return a.order < b.order
	}
	return a.key < b.key
}

// flush runs the last batch and then every shard's flush, merged.
func (p *workerPool) flush(emit func(Output)) {
	p.sync()
	p.budget.measure(p.shards)
	for _, s := range p.shards {
		s.seq = math.MaxInt
		s.flush(nil)
	}
	p.drain(emit)
}

// evaluator matches the channels of a pool's events: routes each, evaluates the channels it
// reaches (its matcher) and records, per plan matched, the channels and the worker that
// owns the match. The records of a batch last until its next run.
type evaluator struct {
	matcher
	id      int32
	index   *routeIndex
	router  *router
	matches []planMatch
	chans   []int // the matched channels of matches
}

// planMatch is an event's match of channels of a plan: chans[lo:hi] of its evaluator, and
// the worker that dispatches it.
type planMatch struct {
	plan   *compiledPlan
	owner  int32
	lo, hi int32
}

func newEvaluator(id int, cfg *config, plans int, index *routeIndex, cands *candidateIndex, slots *event.Slots, r *router) *evaluator {
	m := &evaluator{id: int32(id), index: index, router: r}
	m.init(cfg, plans, cands, slots)
	return m
}

// reset forgets the records of the last batch.
func (m *evaluator) reset() {
	m.matches, m.chans = m.matches[:0], m.chans[:0]
}

// match evaluates me, event number seq of the stream, and records its matches in me.
func (m *evaluator) match(me *matchedEvent, seq int) {
	m.clock = int64(seq) + 1 // as a shard counts it, for the errors' examples
	me.by, me.lo = m.id, int32(len(m.matches))
	if si := m.index.sources[me.ev.LogSource]; si != nil {
		m.show(me.ev)
		routes, missing := si.routes(m.view)
		m.matchRoutes(me.ev, si, routes, missing, m)
	}
	me.hi = int32(len(m.matches))
}

// found records a plan's matches of the current event with their owner.
func (m *evaluator) found(cp *compiledPlan, _ *event.Event, matched []int) {
	lo := int32(len(m.chans))
	m.chans = append(m.chans, matched...)
	owner := m.router.owner(cp, m.view, m.clock)
	m.matches = append(m.matches, planMatch{plan: cp, owner: int32(owner), lo: lo, hi: int32(len(m.chans))})
}
