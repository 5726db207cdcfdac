package gcload

import (
	"math"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"sync"
)

// Headroom is how far a run's memory may grow past what its last collection found live
// before the collector runs again (Bound). At GOGC=100 alone the heap doubles whatever it
// holds: the enterprise plans with SigmaHQ's Windows rules (about 150 MB of engine) and a
// batch's events held (64 MiB) let a run of 94k Windows events reach 530 MB resident, most
// of it garbage. Each collection marks the whole engine, so a smaller Headroom costs CPU:
// 192 MiB holds that run near 425 MB at its peak (380 MB while it evaluates) for 4% less
// CPU than 128 MiB (400 MB, 320 MB), and 96 MiB costs 10% more.
const Headroom = 192 << 20

// Bound keeps a run's memory within headroom bytes (or a quarter of the live heap, if more)
// of what the last collection found live: after every collection, the soft memory limit
// becomes the live heap, plus the memory the runtime holds beside live objects (its own
// structures, stacks, the heap's fragmentation), plus headroom, at least minLimit. The limit
// follows what the run holds (the engine, the events held, correlation state), so a run is
// never held below what it needs, and garbage (15 MiB events read ahead, say) does not pile
// up past headroom; a small heap still doubles at GOGC=100 under minLimit. It is a soft
// limit: past it the collector works harder, it never fails an allocation. A limit already
// set (GOMEMLIMIT) is left as it is. The returned function stops following and puts the
// previous limit back.
func Bound(headroom int64) (restore func()) {
	prior := debug.SetMemoryLimit(-1)
	if prior != math.MaxInt64 {
		return func() {}
	}
	b := &bounder{headroom: max(headroom, 0)}
	b.follow()
	b.arm()
	return func() {
		b.mu.Lock()
		defer b.mu.Unlock()
		b.stopped = true
		debug.SetMemoryLimit(prior)
	}
}

// bounder sets the memory limit after each collection until it is stopped.
type bounder struct {
	headroom int64

	mu      sync.Mutex
	stopped bool
}

// sentinel is an object whose only use is to be collected: its finalizer runs once a
// collection has found it unreachable. It holds a pointer so that the allocator does not
// batch it with other small objects (a finalizer on those may never run).
type sentinel struct {
	_ *int
}

// arm lets the next collection call collected.
func (b *bounder) arm() {
	runtime.SetFinalizer(&sentinel{}, b.collected)
}

// collected runs on the finalizer goroutine after a collection: it sets the limit for what
// that collection found live, and waits for the next one.
func (b *bounder) collected(*sentinel) {
	if b.follow() {
		b.arm()
	}
}

// follow sets the limit for the live heap of the last collection; false once stopped.
func (b *bounder) follow() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.stopped {
		return false
	}
	debug.SetMemoryLimit(limit(readMemory(), b.headroom))
	return true
}

// memory is what the runtime holds, as the memory limit counts it.
type memory struct {
	live   uint64 // the heap the last collection marked live
	beside uint64 // mapped, not free, but not holding heap objects: structures, stacks, fragmentation
}

// limit is Bound's limit for m and headroom: at least minLimit.
func limit(m memory, headroom int64) int64 {
	const most = math.MaxInt64 / 4
	live := int64(min(m.live, most))
	grow := max(min(headroom, most), live/4)
	return max(live+int64(min(m.beside, most))+grow, minLimit)
}

// minLimit keeps a small run clear of the limit whatever it loaded.
const minLimit = 256 << 20

// readMemory reads the runtime's metrics for limit.
func readMemory() memory {
	s := []metrics.Sample{
		{Name: "/gc/heap/live:bytes"},
		{Name: "/memory/classes/total:bytes"},
		{Name: "/memory/classes/heap/objects:bytes"},
		{Name: "/memory/classes/heap/free:bytes"},
		{Name: "/memory/classes/heap/released:bytes"},
	}
	metrics.Read(s)
	v := func(i int) uint64 {
		if s[i].Value.Kind() != metrics.KindUint64 {
			return 0
		}
		return s[i].Value.Uint64()
	}
	m := memory{live: v(0)}
	if total, heap := v(1), v(2)+v(3)+v(4); total > heap {
		m.beside = total - heap
	}
	return m
}

// StreamPercent is the collector's target (GOGC) under Stream: high enough that Bound's limit,
// not the doubling of a small live heap, decides when a streaming process collects.
const StreamPercent = 1000

// Stream is Bound for a process that streams lines past a live heap small beside them
// (publish, serve): the collector's target is raised to StreamPercent too, unless GOGC asks
// for more or turns the collector off, so that it collects once its garbage reaches
// headroom, or the heap minLimit, and not each time it allocates what it holds live. At GOGC
// 100, publish and serve spent a quarter of their CPU collecting the 94k lines of the OTRF
// datasets ten times over, marking the engines each time; with Stream they hold at most
// minLimit or headroom more than what is live, as run does. The returned function puts both
// settings back.
func Stream(headroom int64) (restore func()) { return BoundAt(headroom, StreamPercent) }

// BatchPercent is the collector's target (GOGC) while `run` evaluates (BoundAt): with the
// enterprise plans and SigmaHQ's Windows rules live (about 140 MB), GOGC 100 collected each
// time the run allocated as much again, before Bound's limit; at 300 the limit decides, for
// the same peak: 9% less user CPU over the OTRF datasets ten times over, 2% less time.
const BatchPercent = 300

// BoundAt is Bound with the collector's target raised to percent, unless GOGC asks for more
// or turns the collector off. The returned function puts both settings back.
func BoundAt(headroom int64, percent int) (restore func()) {
	prior := debug.SetGCPercent(percent)
	if prior < 0 || prior > percent {
		debug.SetGCPercent(prior)
	}
	unbound := Bound(headroom)
	return func() {
		unbound()
		debug.SetGCPercent(prior)
	}
}
