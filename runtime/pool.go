package runtime

import (
	"math"
	"sync"

	"github.com/stixcel/stixcel/event"
)

// workerPool routes each event once (router), runs the shards over batches of routed events
// on their own goroutines and merges their outputs into the one-worker order. One batch runs
// while the caller routes and fills the next.
type workerPool struct {
	shards    []*shard
	maxGroups int
	budget    *stateBudget
	router    *router
	batch     *batch // being filled
	running   *batch // being processed
	seen      int    // events handed over before the batch being filled
	wg        sync.WaitGroup
	heads     []int
}

// batch is a run of routed events; owners holds, for each event in turn, the owner of each
// plan its routes reach.
type batch struct {
	events []routedEvent
	owners []int32
	bytes  int64 // the events' memory (event.Event.Footprint): raw JSON and derived fields
}

func newBatch() *batch { return &batch{events: make([]routedEvent, 0, batchSize)} }

// reset empties b for reuse, letting go of its events.
func (b *batch) reset() {
	clear(b.events)
	b.events, b.owners, b.bytes = b.events[:0], b.owners[:0], 0
}

// batchSize is how many events a batch holds at most; batchBytes bounds the memory of the
// events a batch holds (their lines and the fields a source profile derived), so that a run
// of large events is handed over sooner.
const (
	batchSize  = 512
	batchBytes = 64 << 20
)

func newWorkerPool(shards []*shard, maxGroups int, budget *stateBudget, r *router) *workerPool {
	for _, s := range shards {
		s.collect = true
	}
	return &workerPool{shards: shards, maxGroups: maxGroups, budget: budget, router: r,
		batch: newBatch(), running: newBatch(), heads: make([]int, len(shards))}
}

func (p *workerPool) add(ev *event.Event, emit func(Output)) {
	p.router.route(ev, p.batch)
	if len(p.batch.events) == batchSize || p.batch.bytes >= batchBytes {
		p.drain(emit)
		p.run()
	}
}

// run starts the shards on the filled batch, once the previous one is done, stopping them
// at every group check to enforce the group cap. Their outputs accumulate, tagged with the
// events' sequence numbers, until drain.
func (p *workerPool) run() {
	p.wait()
	p.running.reset()
	p.batch, p.running = p.running, p.batch
	b, base := p.running, p.seen
	events := b.events
	p.seen += len(events)
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		for start := 0; start < len(events); {
			end := min(len(events), start+groupCheckEvery-(base+start)%groupCheckEvery)
			p.runSegment(b, start, end, base)
			if (base+end)%groupCheckEvery == 0 {
				checkState(p.shards, p.maxGroups, p.budget)
			}
			start = end
		}
	}()
}

// runSegment runs every shard over the events start to end of b, the first of which is
// event number base, and waits for them.
func (p *workerPool) runSegment(b *batch, start, end, base int) {
	var wg sync.WaitGroup
	wg.Add(len(p.shards))
	for _, s := range p.shards {
		go func() {
			defer wg.Done()
			for i := start; i < end; i++ {
				re := &b.events[i]
				s.seq = base + i
				s.processRouted(re, b.owners[re.owners:])
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
