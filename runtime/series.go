package runtime

import "time"

// seriesIndex is one channel window's match times per series (the channel's series_by
// values; "" without series_by), kept up to date as matches enter and leave the window,
// with, per recurrence query, how many series hold a stable run. recurring() and
// distinct() read it without walking the window.
type seriesIndex struct {
	rec    *recurrences
	series map[string]*series
	nq     int   // how many of rec's queries the counts cover
	hits   []int // per query: the series with at least one stable run
	bytes  int64 // approximate memory held, for the state budget
}

// series is the match times of one series, with per query the number of stable runs.
type series struct {
	times  timeline[stamp]
	stable []int32
}

// newSeriesIndex indexes the matches of w, in order.
func newSeriesIndex(rec *recurrences, w *timeline[match]) *seriesIndex {
	x := &seriesIndex{rec: rec, series: map[string]*series{}, bytes: seriesIdxSize}
	w.each(func(m match) { x.add(m.series, m.at) })
	return x
}

// distinct is the number of series in the window.
func (x *seriesIndex) distinct() int { return len(x.series) }

// recurring reports whether some series holds a run that passes q.
func (x *seriesIndex) recurring(q recurrenceQuery) bool {
	i := x.rec.index(q)
	if i < 0 {
		return x.scan(q)
	}
	x.sync()
	return x.hits[i] > 0
}

// scan is recurring for a query without counts: it looks at every run of every series.
func (x *seriesIndex) scan(q recurrenceQuery) bool {
	for _, s := range x.series {
		if stableRuns(s.flat(x.rec.buf[:0]), q) > 0 {
			return true
		}
	}
	return false
}

// sync counts the stable runs of the queries made since the counts were built.
func (x *seriesIndex) sync() {
	for ; x.nq < len(x.rec.queries); x.nq++ {
		q := x.rec.queries[x.nq]
		x.hits = append(x.hits, 0)
		for _, s := range x.series {
			x.rec.buf = s.flat(x.rec.buf[:0])
			n := int32(stableRuns(x.rec.buf, q))
			s.stable = append(s.stable, n)
			x.bytes += 4
			if n > 0 {
				x.hits[x.nq]++
			}
		}
	}
}

// add records a match of series key at t: the runs through it are counted in, and the runs
// it splits counted out.
func (x *seriesIndex) add(key string, t time.Time) {
	s := x.series[key]
	if s == nil {
		s = &series{stable: make([]int32, x.nq)}
		x.series[key] = s
		x.bytes += seriesSize + int64(len(key)) + 4*int64(x.nq)
	}
	held := s.times.held
	p := s.times.insert(stamp(t))
	x.bytes += int64(s.times.held-held) * stampSize
	if x.nq == 0 {
		return
	}
	times, c := s.around(p, x.rec.longest-1, x.rec.buf[:0])
	rest := append(append(x.rec.rest[:0], times[:c]...), times[c+1:]...)
	x.rec.buf, x.rec.rest = times, rest
	for i, q := range x.rec.queries[:x.nq] {
		x.count(s, i, stableRunsThrough(times, c, q)-stableRunsAcross(rest, c, q))
	}
}

// remove drops the earliest match of series key, which is the earliest of the window.
func (x *seriesIndex) remove(key string) {
	s := x.series[key]
	if x.nq > 0 {
		head := s.head(x.rec.longest, x.rec.buf[:0])
		x.rec.buf = head
		for i, q := range x.rec.queries[:x.nq] {
			if len(head) >= q.min && stableRuns(head[:q.min], q) > 0 {
				x.count(s, i, -1)
			}
		}
	}
	held := s.times.held
	s.times.popFront()
	x.bytes += int64(s.times.held-held) * stampSize
	if s.times.len() == 0 {
		delete(x.series, key)
		x.bytes -= seriesSize + int64(len(key)) + 4*int64(len(s.stable)) + int64(s.times.held)*stampSize
	}
}

// count adds delta to the stable runs of s for query i, and keeps hits in step.
func (x *seriesIndex) count(s *series, i int, delta int) {
	before := s.stable[i]
	s.stable[i] += int32(delta)
	switch {
	case before == 0 && s.stable[i] > 0:
		x.hits[i]++
	case before > 0 && s.stable[i] == 0:
		x.hits[i]--
	}
}

// flat appends the series' times to buf.
func (s *series) flat(buf []time.Time) []time.Time {
	s.times.each(func(t stamp) { buf = append(buf, time.Time(t)) })
	return buf
}

// head appends the series' first n times (or all of them) to buf.
func (s *series) head(n int, buf []time.Time) []time.Time {
	p, ok := pos{}, s.times.len() > 0
	for ; ok && len(buf) < n; p, ok = s.times.next(p) {
		buf = append(buf, time.Time(s.times.at(p)))
	}
	return buf
}

// around appends to buf the times from k before p to k after it, and returns them with the
// index of p's time among them.
func (s *series) around(p pos, k int, buf []time.Time) ([]time.Time, int) {
	start, c := p, 0
	for c < k {
		q, ok := s.times.prev(start)
		if !ok {
			break
		}
		start, c = q, c+1
	}
	q, ok := start, true
	for ; ok && len(buf)-c <= k; q, ok = s.times.next(q) {
		buf = append(buf, time.Time(s.times.at(q)))
	}
	return buf, c
}
