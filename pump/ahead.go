package pump

import (
	"sync"

	"github.com/stixcel/stixcel/event"
)

// handover is how many items the reader queues before it wakes a waiting consumer (unless
// the queue holds half the budget, the inputs ended, or the reader must wait itself): one
// item at a time, the two goroutines woke each other up for every event, which cost as much
// as reading it.
const handover = 64

// itemOverhead is the memory an item costs besides its event or rejected line.
const itemOverhead = 128

// ahead reads the merged inputs on a goroutine of its own, ahead of the consumer: reading,
// decoding and mapping lines costs about as much as evaluating them, and the two then run
// side by side instead of one after the other. Items come in the Merger's order, so results
// are those of reading inline. What is queued is bounded in bytes (event.Event.Footprint),
// not in items: one item is always let through, however large. Only inputs that are regular
// files are read ahead: a read from a pipe or a terminal can block forever, and the run
// must be able to stop and account for every line without waiting on it.
type ahead struct {
	merged ordering
	budget int64
	ended  chan struct{} // closed when the reading goroutine has returned

	mu       sync.Mutex
	reader   sync.Cond // signalled when the reader may go on
	consumer sync.Cond // signalled when the consumer may go on
	queue    []item    // read, not yet handed over, in order
	bytes    int64     // the size of queue's items
	peak     int64     // the most bytes queued (for tests)
	need     int64     // the size of the item the waiting reader holds
	waiting  struct{ reader, consumer bool }
	done     bool   // the reader queued its last item
	stopping bool   // the consumer stopped: read no more
	pending  []item // read after the consumer stopped
	unused   []item // read, but not handed over before the consumer stopped, in order
}

func startAhead(merged ordering, budget int64) *ahead {
	a := &ahead{merged: merged, budget: budget, ended: make(chan struct{})}
	a.reader.L, a.consumer.L = &a.mu, &a.mu
	go a.read()
	return a
}

func (a *ahead) read() {
	defer close(a.ended)
	for !a.isStopping() {
		read, processed := a.merged.Counts()
		it := nextItem(a.merged)
		it.read, it.processed = read, processed
		last := it.err != nil // the end of the inputs, or an input's error
		if !a.put(it, last) || last {
			return
		}
	}
}

func (a *ahead) isStopping() bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.stopping
}

// put queues it once the budget has room for it (or the queue is empty); false when the
// consumer stopped.
func (a *ahead) put(it item, last bool) bool {
	size := sizeOf(it)
	it.size = size
	a.mu.Lock()
	defer a.mu.Unlock()
	for !a.stopping && a.bytes > 0 && a.bytes+size > a.budget {
		a.need, a.waiting.reader = size, true
		a.consumer.Signal() // whatever the queue holds, it is all the consumer will get
		a.reader.Wait()
	}
	a.waiting.reader = false
	if a.stopping {
		a.pending = append(a.pending, it)
		return false
	}
	a.queue = append(a.queue, it)
	a.bytes += size
	a.peak = max(a.peak, a.bytes)
	a.done = last
	if a.waiting.consumer && (last || it.idle || len(a.queue) >= handover || 2*a.bytes >= a.budget) {
		a.consumer.Signal()
	}
	return true
}

// next is the next item; ok is false once the Merger has given its last one.
func (a *ahead) next() (item, bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	for len(a.queue) == 0 {
		if a.done {
			return item{}, false
		}
		a.waiting.consumer = true
		a.consumer.Wait()
	}
	a.waiting.consumer = false
	it := a.queue[0]
	a.queue[0] = item{}
	a.queue = a.queue[1:]
	a.bytes -= it.size
	if a.waiting.reader && (a.bytes == 0 || a.bytes+a.need <= a.budget) {
		a.reader.Signal()
	}
	return it, true
}

// stop ends the reading and waits for it, so that the Merger may be read again (its Stats),
// and keeps what was read ahead but not handed over.
func (a *ahead) stop() {
	a.mu.Lock()
	a.stopping = true
	a.reader.Signal()
	a.mu.Unlock()
	<-a.ended
	a.mu.Lock()
	defer a.mu.Unlock()
	a.unused = append(append(a.unused, a.queue...), a.pending...)
	a.queue, a.pending = nil, nil
}

// unread gives stats as of the first item read ahead but never used: the summary counts
// the lines the run used, as when reading inline (the Merger's lines read ahead, rejected or
// held, are taken out).
func (a *ahead) unread(stats *event.ReadStats) {
	if len(a.unused) == 0 {
		return
	}
	stats.Read, stats.Processed = a.unused[0].read, a.unused[0].processed
	for _, it := range a.unused {
		if it.rej == nil {
			continue
		}
		if stats.Rejected[it.rej.Reason]--; stats.Rejected[it.rej.Reason] <= 0 {
			delete(stats.Rejected, it.rej.Reason)
		}
	}
}

// sizeOf is the approximate memory of an item: its event, rejected line or released events.
func sizeOf(it item) int64 {
	n := int64(itemOverhead)
	if it.ev != nil {
		n += it.ev.Footprint()
	}
	if it.rej != nil {
		n += int64(len(it.rej.Raw))
	}
	for _, ev := range it.released {
		n += ev.Footprint()
	}
	return n
}
