package runtime

import "container/heap"

// groupCheckEvery is how often, in events, the group cap and the state budget are
// enforced: after every groupCheckEvery-th event of the stream, whatever the number of
// workers.
const groupCheckEvery = batchSize

// capGroups evicts, plan by plan in plan order, the least recently matched groups beyond
// maxGroups. Each shard holds its share of a plan's groups; the shards' activity lists are
// merged by the event count of each group's last match, which orders them as one worker
// would. The shards must be idle.
func capGroups(shards []*shard, maxGroups int) {
	for i := range shards[0].live {
		total := 0
		for _, s := range shards {
			total += len(s.live[i].groups)
		}
		if total <= maxGroups {
			continue
		}
		for ; total > maxGroups; total-- {
			oldest := shards[0]
			for _, s := range shards[1:] {
				if lessActive(s.live[i].byActivity.head, oldest.live[i].byActivity.head) {
					oldest = s
				}
			}
			oldest.evict(oldest.live[i])
		}
		for _, s := range shards {
			s.live[i].shrink()
		}
	}
}

// lessActive reports whether group a was matched before group b; nil counts as latest.
func lessActive(a, b *group) bool {
	if a == nil {
		return false
	}
	return b == nil || a.active < b.active
}

// checkState enforces the group cap, then the state budget; the shards must be idle.
func checkState(shards []*shard, maxGroups int, b *stateBudget) {
	capGroups(shards, maxGroups)
	b.enforce(shards)
}

// stateBudget is the byte budget of the correlation state of all plans and shards.
type stateBudget struct {
	max     int64
	peak    int64 // largest total measured (at a check, before evicting, or at Flush)
	evicted int64 // groups evicted to keep under max
	heads   budgetHeap
}

// measure records the shards' total state and returns it.
func (b *stateBudget) measure(shards []*shard) int64 {
	var total int64
	for _, s := range shards {
		total += s.stateBytes
	}
	b.peak = max(b.peak, total)
	return total
}

// enforce evicts, while the state exceeds the budget, the least recently matched group of
// any plan on any shard (the smallest last activity, then the first plan), emitting its
// open alert first. A heap holds the front of each (shard, plan) activity list, so that an
// eviction costs a log of their number, not a scan of every plan. Which groups go depends
// only on the events: activity is the engine's event count, the same on every shard.
func (b *stateBudget) enforce(shards []*shard) {
	total := b.measure(shards)
	if total <= b.max {
		return
	}
	b.heads.items = b.heads.items[:0]
	for _, s := range shards {
		for _, c := range s.live {
			if c.byActivity.head != nil {
				b.heads.items = append(b.heads.items, budgetHead{s, c})
			}
		}
	}
	heap.Init(&b.heads)
	for total > b.max && b.heads.Len() > 0 {
		h := b.heads.items[0]
		before := h.s.stateBytes
		h.s.phase = phaseBudget
		h.s.evictHead(h.c)
		total += h.s.stateBytes - before
		b.evicted++
		if h.c.byActivity.head == nil {
			heap.Pop(&b.heads)
		} else {
			heap.Fix(&b.heads, 0)
		}
	}
	for _, s := range shards {
		for _, c := range s.live {
			c.shrink()
		}
	}
	clear(b.heads.items)
}

// budgetHead is a (shard, plan) activity list in the budget's heap, ordered by its front.
type budgetHead struct {
	s *shard
	c *correlator
}

type budgetHeap struct{ items []budgetHead }

func (h *budgetHeap) Len() int { return len(h.items) }

func (h *budgetHeap) Less(i, j int) bool {
	a, b := h.items[i].c, h.items[j].c
	if a.byActivity.head.active != b.byActivity.head.active {
		return a.byActivity.head.active < b.byActivity.head.active
	}
	return a.plan.position < b.plan.position
}

func (h *budgetHeap) Swap(i, j int) { h.items[i], h.items[j] = h.items[j], h.items[i] }

func (h *budgetHeap) Push(x any) { h.items = append(h.items, x.(budgetHead)) }

func (h *budgetHeap) Pop() any {
	n := len(h.items) - 1
	x := h.items[n]
	h.items = h.items[:n]
	return x
}
