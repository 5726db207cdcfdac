package runtime

// DefaultMaxGroups is how many correlation groups (live group keys) a plan holds at most by
// default. An idle group takes about 400 bytes, plus its matches in the window.
const DefaultMaxGroups = 100_000

// groupCheckEvery is how often, in events, the group cap is enforced: after every
// groupCheckEvery-th event of the stream, whatever the number of workers.
const groupCheckEvery = batchSize

// WithMaxGroups caps the correlation groups each plan holds (default DefaultMaxGroups; n < 1
// means 1), so that a stream of distinct group keys cannot exhaust memory. The cap is
// enforced after every 512th event: the plan's least recently matched groups beyond it are
// evicted, an open alert of an evicted group is emitted first (with the evidence it has),
// and Stats counts the evictions. Between two checks a plan may exceed the cap by at most 512
// groups. Evictions, and so alerts, are the same with any number of workers.
func WithMaxGroups(n int) Option {
	return func(c *config) { c.maxGroups = max(n, 1) }
}

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

// evict drops the least recently matched group of c, emitting its open alert first.
func (s *shard) evict(c *correlator) {
	g := c.byActivity.head
	if g.alert != nil {
		s.phase = phaseEvict
		s.pending.remove(g.alert)
		s.emitAlert(g.alert)
	}
	c.drop(g)
	s.stats.evicted[c.plan.position]++
}
