package runtime

import (
	"slices"
	"sort"
	"time"
)

// chunkCap is the most items one chunk of a timeline holds: small enough that shifting
// inside a chunk is cheap, large enough that the list of chunks stays short.
const chunkCap = 64

// timed is an item of a timeline.
type timed interface{ when() time.Time }

// timeline is a sequence of items ordered by time (stable: an item goes after those of the
// same time), held in chunks of at most chunkCap items. Appending in time order and
// dropping from the front are O(1) amortized; inserting out of order is a binary search
// over the chunks and within one, and a shift of at most chunkCap items; a full chunk
// splits, which shifts the list of chunks once per chunkCap/2 such inserts.
type timeline[T timed] struct {
	chunks [][]T // none empty
	n      int
	// held is how many items the chunks' arrays hold room for, including the slots
	// popped from the front of the first chunk (popped of them), which its array keeps
	// until the chunk goes: the memory the timeline holds, for the state budget.
	held, popped int32
}

// stamp is a bare time as a timeline item.
type stamp time.Time

func (s stamp) when() time.Time { return time.Time(s) }

// pos is the place of an item: its chunk and its index in the chunk.
type pos struct{ chunk, i int }

func (l *timeline[T]) len() int { return l.n }

// front is the earliest item; the timeline must not be empty.
func (l *timeline[T]) front() T { return l.chunks[0][0] }

// back is the latest item; the timeline must not be empty.
func (l *timeline[T]) back() T {
	c := l.chunks[len(l.chunks)-1]
	return c[len(c)-1]
}

// at is the item at p.
func (l *timeline[T]) at(p pos) T { return l.chunks[p.chunk][p.i] }

// insert adds x after every item not later than it and returns its place.
func (l *timeline[T]) insert(x T) pos {
	l.n++
	k := len(l.chunks)
	if k == 0 || !x.when().Before(l.back().when()) {
		return l.push(x)
	}
	t := x.when()
	ci := sort.Search(k, func(i int) bool {
		c := l.chunks[i]
		return c[len(c)-1].when().After(t)
	})
	c := l.chunks[ci]
	i := sort.Search(len(c), func(i int) bool { return c[i].when().After(t) })
	if i == 0 && ci > 0 && len(l.chunks[ci-1]) < chunkCap {
		ci--
		old := cap(l.chunks[ci])
		l.chunks[ci] = append(l.chunks[ci], x)
		l.regrown(ci, old)
		return pos{ci, len(l.chunks[ci]) - 1}
	}
	if len(c) < chunkCap {
		l.chunks[ci] = slices.Insert(c, i, x)
		l.regrown(ci, cap(c))
		return pos{ci, i}
	}
	return l.split(ci, i, x)
}

// push appends x, which is not earlier than the last item, in the last chunk or a new one.
func (l *timeline[T]) push(x T) pos {
	k := len(l.chunks)
	if k > 0 && len(l.chunks[k-1]) < chunkCap {
		old := cap(l.chunks[k-1])
		l.chunks[k-1] = append(l.chunks[k-1], x)
		l.regrown(k-1, old)
		return pos{k - 1, len(l.chunks[k-1]) - 1}
	}
	n := l.newCap()
	l.held += int32(n)
	l.chunks = append(l.chunks, append(make([]T, 0, n), x))
	return pos{k, 0}
}

// regrown accounts for chunk ci after an append or insert that had room for old items: a
// new array replaced the old one (and the front slots the old one kept) when the room
// changed.
func (l *timeline[T]) regrown(ci, old int) {
	c := cap(l.chunks[ci])
	if c == old {
		return
	}
	l.held += int32(c - old)
	if ci == 0 {
		l.held -= l.popped
		l.popped = 0
	}
}

// newCap is the capacity of a new last chunk: small while the timeline is small, so that
// a group of few matches stays small.
func (l *timeline[T]) newCap() int {
	if len(l.chunks) == 0 {
		return 1
	}
	return chunkCap
}

// split inserts x at index i of the full chunk ci: before it in a new chunk when i is 0
// (the way of a stream in reverse), else into whichever half of the chunk split in two.
func (l *timeline[T]) split(ci, i int, x T) pos {
	l.held += chunkCap
	if i == 0 {
		l.chunks = slices.Insert(l.chunks, ci, append(make([]T, 0, chunkCap), x))
		if ci == 0 { // the front slots stay with the old first chunk, now the second
			l.held -= l.popped
			l.popped = 0
		}
		return pos{ci, 0}
	}
	c := l.chunks[ci]
	half := len(c) / 2
	right := append(make([]T, 0, chunkCap), c[half:]...)
	clear(c[half:])
	l.chunks[ci] = c[:half]
	l.chunks = slices.Insert(l.chunks, ci+1, right)
	if i <= half {
		old := cap(l.chunks[ci])
		l.chunks[ci] = slices.Insert(l.chunks[ci], i, x)
		l.regrown(ci, old)
		return pos{ci, i}
	}
	l.chunks[ci+1] = slices.Insert(right, i-half, x)
	return pos{ci + 1, i - half}
}

// popFront removes and returns the earliest item; the timeline must not be empty.
func (l *timeline[T]) popFront() T {
	c := l.chunks[0]
	x := c[0]
	var zero T
	c[0] = zero // let go of what the item holds
	if len(c) > 1 {
		l.chunks[0] = c[1:]
		l.popped++
	} else {
		l.held -= int32(cap(c)) + l.popped
		l.popped = 0
		l.chunks[0] = nil
		l.chunks = l.chunks[1:]
	}
	l.n--
	return x
}

// reset empties the timeline and lets go of its chunks.
func (l *timeline[T]) reset() { *l = timeline[T]{} }

// each calls fn for every item in order.
func (l *timeline[T]) each(fn func(T)) {
	for _, c := range l.chunks {
		for _, x := range c {
			fn(x)
		}
	}
}

// prev is the place before p, and false at the front.
func (l *timeline[T]) prev(p pos) (pos, bool) {
	if p.i > 0 {
		return pos{p.chunk, p.i - 1}, true
	}
	if p.chunk == 0 {
		return p, false
	}
	return pos{p.chunk - 1, len(l.chunks[p.chunk-1]) - 1}, true
}

// next is the place after p, and false at the back.
func (l *timeline[T]) next(p pos) (pos, bool) {
	if p.i+1 < len(l.chunks[p.chunk]) {
		return pos{p.chunk, p.i + 1}, true
	}
	if p.chunk+1 == len(l.chunks) {
		return p, false
	}
	return pos{p.chunk + 1, 0}, true
}

// firstFrom is the earliest item not before t, found by binary search; false when every
// item is before t.
func (l *timeline[T]) firstFrom(t time.Time) (T, bool) {
	var zero T
	k := len(l.chunks)
	ci := sort.Search(k, func(i int) bool {
		c := l.chunks[i]
		return !c[len(c)-1].when().Before(t)
	})
	if ci == k {
		return zero, false
	}
	c := l.chunks[ci]
	return c[sort.Search(len(c), func(i int) bool { return !c[i].when().Before(t) })], true
}
