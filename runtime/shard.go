package runtime

import (
	"math"
	"sync"
	"time"

	"github.com/google/cel-go/cel"
	"github.com/google/cel-go/common/types"
	"github.com/google/cel-go/interpreter"

	"github.com/stixcel/stixcel/event"
	"github.com/stixcel/stixcel/plan"
)

// shard is one worker's engine: it sees every event (so its watermark is the engine's), and
// evaluates the channels of the (plan, group key) pairs it owns. With one worker it owns
// everything and emits directly.
type shard struct {
	id, n     int
	cfg       *config
	index     *routeIndex
	corrs     []*correlator // by plan position; nil for plans without a condition
	live      []*correlator // the non-nil corrs
	watermark time.Time
	pending   alertHeap
	view      *event.FieldView
	chanAct   channelActivation
	frame     *interpreter.ExecutionFrame
	matched   []int
	stats     counters
	clock     int64 // events seen

	// group key hashes of the current event, per distinct group_by list (workers > 1)
	groupSigs [][]int
	sigClock  []int64
	sigHash   []uint64
	keyBuf    []byte

	// emission: direct with one worker, else collected with the tags that order the merge
	emit    func(Output)
	collect bool
	outs    []taggedOutput
	seq     int // sequence number of the current event
	phase   int
}

// Phases of one event's outputs, in the order one worker emits them.
const (
	phaseDue   = iota // alerts whose window the event's time passed, by close, plan, group
	phaseMatch        // what the event's matches cause, in plan order
	phaseEvict        // alerts of groups evicted at the group cap, by plan, then activity
)

// taggedOutput is an output with its place in the one-worker order.
type taggedOutput struct {
	seq   int
	phase int
	plan  int       // plan index in the set
	close time.Time // phaseDue: the alert's window end
	key   string    // phaseDue: the alert's group key
	order int64     // phaseEvict: the group's last activity
	out   Output
}

func newShard(id int, cfg *config, plans []*compiledPlan, index *routeIndex, slots *event.Slots, groupSigs [][]int) *shard {
	s := &shard{
		id: id, n: cfg.workers, cfg: cfg, index: index,
		corrs:     make([]*correlator, len(plans)),
		view:      event.NewFieldView(slots),
		groupSigs: groupSigs,
		sigClock:  make([]int64, len(groupSigs)),
		sigHash:   make([]uint64, len(groupSigs)),
	}
	s.stats = newCounters(&s.clock, len(plans))
	s.chanAct.event, s.chanAct.view = s.view, s.view
	frame, err := interpreter.NewExecutionFrame(&s.chanAct)
	if err != nil {
		panic("runtime: activation is not an interpreter.Activation: " + err.Error()) // cannot happen
	}
	s.frame = frame
	for i, cp := range plans {
		if cp.condition != nil {
			s.corrs[i] = newCorrelator(cp)
			s.live = append(s.live, s.corrs[i])
		}
	}
	for i := range s.sigClock {
		s.sigClock[i] = -1
	}
	return s
}

// process is Engine.Process for this shard.
func (s *shard) process(ev *event.Event, emit func(Output)) {
	s.emit = emit
	s.clock++
	if ev.Time.After(s.watermark) {
		s.watermark = ev.Time
		s.phase = phaseDue
		s.emitDue()
		s.sweep()
	}
	si := s.index.sources[ev.LogSource]
	if si == nil {
		return
	}
	s.view.Reset(ev)
	routes, missing := si.routes(s.view)
	if missing {
		s.countMissing(si)
	}
	s.phase = phaseMatch
	for i := 0; i < len(routes); {
		cp, span := routes[i].plan, routes[i].span
		if s.n > 1 && !s.owns(cp) {
			i += span
			continue
		}
		s.matched = s.matched[:0]
		for j := i; j < i+span; j++ {
			if s.stepMatches(&routes[j]) {
				s.matched = append(s.matched, routes[j].index)
			}
		}
		i += span
		if len(s.matched) > 0 {
			s.dispatch(cp, ev, s.matched)
		}
	}
}

// countMissing counts, for an event without its source's route field, the failure of every
// selector the index decides, as evaluating them would have.
func (s *shard) countMissing(si *sourceIndex) {
	for _, st := range si.routed {
		if s.n > 1 && st.plan.index%s.n != s.id {
			continue
		}
		s.stats.evalErrorMsg(st.plan.src.ID, st.plan.channels[st.index].id, si.missingMsg)
	}
}

// owns reports whether this shard evaluates the plan for the current event: plans without
// a condition go by plan, the others by plan and group key.
func (s *shard) owns(cp *compiledPlan) bool {
	if cp.condition == nil {
		return cp.index%s.n == s.id
	}
	h := s.groupHash(cp.groupSig) ^ (uint64(cp.index) * 0x9e3779b97f4a7c15)
	return int(h%uint64(s.n)) == s.id
}

// groupHash hashes the current event's group key for one group_by list, once per event.
func (s *shard) groupHash(sig int) uint64 {
	if s.sigClock[sig] == s.clock {
		return s.sigHash[sig]
	}
	s.keyBuf = appendGroupKey(s.keyBuf[:0], s.view, s.groupSigs[sig])
	h := fnv1a(s.keyBuf)
	s.sigClock[sig], s.sigHash[sig] = s.clock, h
	return h
}

// stepMatches evaluates a channel's selector (unless the index decided it) and predicate.
func (s *shard) stepMatches(st *step) bool {
	if s.chanAct.params != st.params {
		s.chanAct.params = st.params
	}
	if st.sel != nil && !s.evalChannel(st.sel, st) {
		return false
	}
	return st.pred == nil || s.evalChannel(st.pred, st)
}

func (s *shard) evalChannel(prg cel.Program, st *step) bool {
	out, _, err := prg.Eval(s.frame)
	if b, ok := out.(types.Bool); ok && err == nil {
		return bool(b)
	}
	return s.evalFailed(out, err, st.plan.src.ID, st.plan.channels[st.index].id)
}

func (s *shard) dispatch(cp *compiledPlan, ev *event.Event, matched []int) {
	switch {
	case cp.src.Kind == plan.KindSelector:
		for _, i := range matched {
			s.stats.hunts++
			s.out(&Hunt{Analytic: cp.src.ID, Channel: cp.channels[i].id, Source: ev.Source, Line: ev.Line}, cp, nil)
		}
	case cp.condition == nil:
		s.stats.alerts++
		s.out(immediateAlert(cp, ev, matched), cp, nil)
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

// flush emits every open alert, earliest window end first.
func (s *shard) flush(emit func(Output)) {
	s.emit = emit
	s.phase = phaseDue
	for s.pending.Len() > 0 {
		s.emitAlert(s.pending.pop())
	}
}

// workerPool runs the shards over batches of events on their own goroutines and merges
// their outputs into the one-worker order. One batch runs while the caller fills the next.
type workerPool struct {
	shards     []*shard
	maxGroups  int
	batch      []*event.Event // being filled
	batchBytes int            // raw JSON held by the batch being filled
	running    []*event.Event // being processed
	seen       int            // events handed over before the batch being filled
	wg         sync.WaitGroup
	heads      []int
}

// batchSize is how many events a batch holds at most; batchBytes bounds the raw JSON a
// batch holds, so that a run of large lines is handed over sooner.
const (
	batchSize  = 512
	batchBytes = 64 << 20
)

func newWorkerPool(shards []*shard, maxGroups int) *workerPool {
	for _, s := range shards {
		s.collect = true
	}
	return &workerPool{shards: shards, maxGroups: maxGroups, batch: make([]*event.Event, 0, batchSize), heads: make([]int, len(shards))}
}

func (p *workerPool) add(ev *event.Event, emit func(Output)) {
	p.batch = append(p.batch, ev)
	p.batchBytes += len(ev.Raw())
	if len(p.batch) == batchSize || p.batchBytes >= batchBytes {
		p.drain(emit)
		p.run()
	}
}

// run starts the shards on the filled batch, once the previous one is done, stopping them
// at every group check to enforce the group cap. Their outputs accumulate, tagged with the
// events' sequence numbers, until drain.
func (p *workerPool) run() {
	p.wait()
	p.batch, p.running = p.running[:0], p.batch
	p.batchBytes = 0
	if cap(p.batch) == 0 {
		p.batch = make([]*event.Event, 0, batchSize)
	}
	events, base := p.running, p.seen
	p.seen += len(events)
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		for start := 0; start < len(events); {
			end := min(len(events), start+groupCheckEvery-(base+start)%groupCheckEvery)
			p.runSegment(events[start:end], base+start)
			if (base+end)%groupCheckEvery == 0 {
				capGroups(p.shards, p.maxGroups)
			}
			start = end
		}
	}()
}

// runSegment runs every shard over events, the first of which is event number base, and
// waits for them.
func (p *workerPool) runSegment(events []*event.Event, base int) {
	var wg sync.WaitGroup
	wg.Add(len(p.shards))
	for _, s := range p.shards {
		go func() {
			defer wg.Done()
			for i, ev := range events {
				s.seq = base + i
				s.process(ev, nil)
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
	if len(p.batch) > 0 {
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
	for _, s := range p.shards {
		s.seq = math.MaxInt
		s.flush(nil)
	}
	p.drain(emit)
}

// fnv1a hashes b the same way in every worker and every run.
func fnv1a(b []byte) uint64 {
	h := uint64(14695981039346656037)
	for _, c := range b {
		h ^= uint64(c)
		h *= 1099511628211
	}
	return h
}
