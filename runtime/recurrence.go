package runtime

import (
	"time"

	"github.com/stixcel/stixcel/celenv"
)

// maxRecurrenceQueries is how many distinct recurring(tol, minCount) calls a correlator keeps
// counts for; further ones (a condition computing its tolerance) scan the series instead.
const maxRecurrenceQueries = 8

// recurrenceQuery is one recurring(tol, minCount) call: runs of min matches whose intervals
// each differ from their mean by at most tol.
type recurrenceQuery struct {
	tol time.Duration
	min int
}

// recurrences are the recurring() calls a correlator's condition has made, in the order it
// made them (the index of a query is its place in every seriesIndex's counts), with scratch
// space for looking at runs. One correlator, and so one goroutine, owns it.
type recurrences struct {
	queries []recurrenceQuery
	longest int // the largest min of the queries
	buf     []time.Time
	rest    []time.Time
}

// index is the place of query q, registering it if there is room; -1 when there is none.
func (r *recurrences) index(q recurrenceQuery) int {
	for i, have := range r.queries {
		if have == q {
			return i
		}
	}
	if len(r.queries) == maxRecurrenceQueries {
		return -1
	}
	r.queries = append(r.queries, q)
	r.longest = max(r.longest, q.min)
	return len(r.queries) - 1
}

// stableRuns counts the runs of q.min consecutive times in times that pass q.
func stableRuns(times []time.Time, q recurrenceQuery) int {
	n := 0
	for start := 0; start+q.min <= len(times); start++ {
		if celenv.StableIntervals(times[start:start+q.min], q.tol) {
			n++
		}
	}
	return n
}

// stableRunsThrough counts the runs of q.min consecutive times in times that include index
// c and pass q.
func stableRunsThrough(times []time.Time, c int, q recurrenceQuery) int {
	n := 0
	for start := max(0, c-q.min+1); start <= c && start+q.min <= len(times); start++ {
		if celenv.StableIntervals(times[start:start+q.min], q.tol) {
			n++
		}
	}
	return n
}

// stableRunsAcross counts the runs of q.min consecutive times in times that include both
// index c-1 and c and pass q.
func stableRunsAcross(times []time.Time, c int, q recurrenceQuery) int {
	n := 0
	for start := max(0, c-q.min+1); start <= c-1 && start+q.min <= len(times); start++ {
		if celenv.StableIntervals(times[start:start+q.min], q.tol) {
			n++
		}
	}
	return n
}
