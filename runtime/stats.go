package runtime

import (
	"errors"
	"sort"
)

// Stats reports what the engine has done so far.
type Stats struct {
	Events     int64 // events processed
	Alerts     int64 // alerts emitted
	Hunts      int64 // hunt records emitted
	LiveGroups int   // correlation groups held in memory
	OpenAlerts int   // alerts waiting for their window to close
	EvalErrors int64 // evaluations that failed (missing field, type mismatch, cut off): counted as false
	// ErrorsBy breaks EvalErrors down by analytic and channel ("condition" for conditions),
	// sorted.
	ErrorsBy []EvalErrors
	// CutOffs counts the evaluations cut off at the iteration limit (WithMaxIterations),
	// which EvalErrors also counts.
	CutOffs int64
	// TooLong counts the evaluations skipped because the event held a string longer than the
	// expression's estimated cost affords (see celenv.MaxStringSize), which EvalErrors also
	// counts.
	TooLong int64
	// Evicted counts the correlation groups evicted at the group cap (WithMaxGroups);
	// EvictedBy breaks it down by analytic, sorted.
	Evicted   int64
	EvictedBy []Evictions
	// StateEvicted counts the correlation groups evicted to keep the state under its budget
	// (WithMaxState); PeakState is the largest state measured, in approximate bytes: at each
	// check (every 512th event, before evicting) and at Flush.
	StateEvicted int64
	PeakState    int64
	// Abandoned counts the events left without being fully evaluated because the run was
	// stopping (the context of Process ended StopGrace before).
	Abandoned int64
	// HuntsBy breaks Hunts down by analytic, most records first (ties by analytic).
	HuntsBy []HuntCount
}

// EvalErrors counts the failed evaluations of one channel or condition.
type EvalErrors struct {
	Analytic string
	Channel  string
	Count    int64
	CutOff   int64  // of Count, evaluations cut off at the iteration limit
	TooLong  int64  // of Count, evaluations skipped on strings too long for the cost limit
	Example  string // the first error message
}

// HuntCount counts the hunt records of one analytic.
type HuntCount struct {
	Analytic string
	Count    int64
}

// Evictions counts the correlation groups of one analytic evicted at the group cap.
type Evictions struct {
	Analytic string
	Count    int64
}

// Sync runs every event handed to Process so far, so that Stats counts all of them. With one
// worker it does nothing (Process runs each event at once); with several it runs the batch
// being filled and waits for it. The outputs it causes are emitted by the next Process or
// Flush, in the same order as without Sync.
func (e *Engine) Sync() {
	if e.pool != nil {
		e.pool.sync()
	}
}

// Stats returns counters; it allocates, so call it at the end or now and then. It changes
// nothing. Events counts the events handed to Process; the other counters cover the events
// run so far, which after Flush or Sync are all of them (with several workers, events wait in
// a batch until it is full). With several workers Alerts and Hunts may count outputs that
// the next Process or Flush emits.
func (e *Engine) Stats() Stats {
	if e.pool != nil {
		e.pool.wait()
	}
	s := Stats{Events: e.events, StateEvicted: e.budget.evicted, PeakState: e.budget.peak}
	byKey := map[[2]string]*errorCount{}
	evicted := map[string]int64{}
	hunts := map[string]int64{}
	for _, sh := range e.shards {
		s.OpenAlerts += sh.pending.Len()
		for _, c := range sh.live {
			s.LiveGroups += len(c.groups)
		}
	}
	for _, m := range e.matchers() {
		for pos, n := range m.stats.huntsBy {
			if n > 0 {
				hunts[e.plans[pos].src.ID] += n
			}
		}
		for pos, n := range m.stats.evicted {
			if n > 0 {
				evicted[e.plans[pos].src.ID] += n
			}
		}
		s.Abandoned += m.stats.abandoned
		s.Alerts += m.stats.alerts
		s.Hunts += m.stats.hunts
		for k, ec := range m.stats.errors {
			if sum, ok := byKey[k]; ok {
				sum.Count += ec.Count
				sum.CutOff += ec.CutOff
				sum.TooLong += ec.TooLong
				if ec.first < sum.first { // the example one worker would have seen first
					sum.Example, sum.first = ec.Example, ec.first
				}
				continue
			}
			cp := *ec
			byKey[k] = &cp
		}
	}
	for _, ec := range byKey {
		s.EvalErrors += ec.Count
		s.CutOffs += ec.CutOff
		s.TooLong += ec.TooLong
		s.ErrorsBy = append(s.ErrorsBy, ec.EvalErrors)
	}
	for id, n := range evicted {
		s.Evicted += n
		s.EvictedBy = append(s.EvictedBy, Evictions{Analytic: id, Count: n})
	}
	s.HuntsBy = huntCounts(hunts)
	sort.Slice(s.EvictedBy, func(i, j int) bool { return s.EvictedBy[i].Analytic < s.EvictedBy[j].Analytic })
	sort.Slice(s.ErrorsBy, func(i, j int) bool {
		a, b := s.ErrorsBy[i], s.ErrorsBy[j]
		if a.Analytic != b.Analytic {
			return a.Analytic < b.Analytic
		}
		return a.Channel < b.Channel
	})
	return s
}

// huntCounts lists per-analytic hunt counts, most records first, ties by analytic.
func huntCounts(by map[string]int64) []HuntCount {
	out := make([]HuntCount, 0, len(by))
	for id, n := range by {
		out = append(out, HuntCount{Analytic: id, Count: n})
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Count != out[j].Count {
			return out[i].Count > out[j].Count
		}
		return out[i].Analytic < out[j].Analytic
	})
	return out
}

type counters struct {
	alerts, hunts int64
	abandoned     int64   // events left for a stop
	huntsBy       []int64 // hunt records, by plan position
	errors        map[[2]string]*errorCount
	evicted       []int64 // groups evicted, by plan position
	clock         *int64  // the shard's event sequence, to order examples across workers
}

type errorCount struct {
	EvalErrors
	first int64 // sequence number of the event of the first error
}

func newCounters(clock *int64, plans int) counters {
	return counters{errors: map[[2]string]*errorCount{}, evicted: make([]int64, plans), huntsBy: make([]int64, plans), clock: clock}
}

func (c *counters) evalError(analytic, channel string, err error) {
	ec := c.count(analytic, channel)
	if ec.Count == 1 {
		ec.Example = err.Error()
	}
	var cut *costLimitError
	var long *tooLongError
	switch {
	case errors.As(err, &cut):
		ec.CutOff++
	case errors.As(err, &long):
		ec.TooLong++
	}
}

// evalErrorMsg is evalError with a message at hand.
func (c *counters) evalErrorMsg(analytic, channel, msg string) {
	if ec := c.count(analytic, channel); ec.Count == 1 {
		ec.Example = msg
	}
}

// count counts one more failed evaluation of a channel or condition.
func (c *counters) count(analytic, channel string) *errorCount {
	k := [2]string{analytic, channel}
	ec := c.errors[k]
	if ec == nil {
		ec = &errorCount{EvalErrors: EvalErrors{Analytic: analytic, Channel: channel}, first: *c.clock}
		c.errors[k] = ec
	}
	ec.Count++
	return ec
}
