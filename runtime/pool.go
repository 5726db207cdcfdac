package runtime

import (
	"math"
	"sync"
	"sync/atomic"

	"github.com/stixcel/stixcel/event"
)

// workerPool runs the events of several workers in batches on goroutines of its own, while
// the caller fills the next batch, and merges the shards' outputs into the one-worker order.
// Each segment of a batch is run in two steps: the evaluators match the channels of its
// events, each event once, sharing the events between them; then every shard goes through
// all the events (so that its watermark is the engine's) and dispatches the matches of the
// (plan, group key) pairs it owns.
type workerPool struct {
	shards    []*shard
	evals     []*evaluator
	maxGroups int
	budget    *stateBudget
	batch     *batch // being filled
	running   *batch // being processed
	seen      int    // events handed over before the batch being filled
	wg        sync.WaitGroup
	heads     []int
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
	return &workerPool{shards: shards, evals: evals, maxGroups: maxGroups, budget: budget,
		batch: newBatch(), running: newBatch(), heads: make([]int, len(shards))}
}

func (p *workerPool) add(ev *event.Event, emit func(Output)) {
	p.batch.events = append(p.batch.events, matchedEvent{ev: ev})
	p.batch.bytes += ev.Footprint()
	if len(p.batch.events) == batchSize || p.batch.bytes >= batchBytes {
		p.drain(emit)
		p.run()
	}
}

// run starts the workers on the filled batch, once the previous one is done, stopping them
// at every group check to enforce the group cap. Their outputs accumulate, tagged with the
// events' sequence numbers, until drain.
func (p *workerPool) run() {
	p.wait()
	p.running.reset()
	p.batch, p.running = p.running, p.batch
	b, base := p.running, p.seen
	events := b.events
	p.seen += len(events)
	for _, m := range p.evals {
		m.reset()
	}
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		for start := 0; start < len(events); {
			end := min(len(events), start+groupCheckEvery-(base+start)%groupCheckEvery)
			p.matchSegment(b, start, end, base)
			p.runSegment(b, start, end, base)
			if (base+end)%groupCheckEvery == 0 {
				checkState(p.shards, p.maxGroups, p.budget)
			}
			start = end
		}
	}()
}

// matchSegment has the evaluators match the events start to end of b, the first of which
// is event number base, taking blocks of them in turn, and waits for them. Each evaluator
// sees its events in stream order, so the example its counters keep of an error is the one
// of its first event, and Stats keeps the earliest of all (the one one worker keeps).
func (p *workerPool) matchSegment(b *batch, start, end, base int) {
	var next atomic.Int64
	next.Store(int64(start))
	var wg sync.WaitGroup
	wg.Add(len(p.evals))
	for _, m := range p.evals {
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

// wait blocks until the running batch is done.
func (p *workerPool) wait() { p.wg.Wait() }

// sync runs the events handed over so far and waits for them: Stats is then exact; the
// outputs wait for the next drain.
func (p *workerPool) sync() {
	if len(p.batch.events) > 0 {
		p.run()
	}
	p.wait()
}

// drain waits for the running batch and emits the outputs collected so far in the
// one-worker order: each shard's are in that order already, and outputs of different
// shards never tie (a plan's outputs for one event, and an alert's (close, plan, group),
// belong to one shard).
func (p *workerPool) drain(emit func(Output)) {
	p.wait()
	for i := range p.heads {
		p.heads[i] = 0
	}
	for {
		best := -1
		for i, s := range p.shards {
			if p.heads[i] < len(s.outs) && (best < 0 || before(&s.outs[p.heads[i]], &p.shards[best].outs[p.heads[best]])) {
				best = i
			}
		}
		if best < 0 {
			break
		}
		emit(p.shards[best].outs[p.heads[best]].out)
		p.shards[best].outs[p.heads[best]].out = nil
		p.heads[best]++
	}
	for _, s := range p.shards {
		s.outs = s.outs[:0]
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
