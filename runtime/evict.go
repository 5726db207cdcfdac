package runtime

// groupCheckEvery is how often, in events, the group cap is enforced: after every
// groupCheckEvery-th event of the stream, whatever the number of workers.
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
