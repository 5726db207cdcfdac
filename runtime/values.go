package runtime

import (
	"math"
	"strconv"
	"unsafe"

	"github.com/stixcel/stixcel/celenv"
)

// valueIndex counts a group's matches per series value over the windows of all its
// channels that have a series_by, kept up to date as matches enter and leave them
// (celenv.ValueAggregate): distinct, sums and shares in constant time, whatever the number
// of values in the window.
type valueIndex struct {
	covers  int            // channels with a series_by
	counts  map[string]int // matches per series key
	total   int
	byCount map[int]int // how many values hold each number of matches
	least   int         // the least and greatest number of matches one value holds
	most    int
	intSum  int64 // the integer values' sum, exact (|value| < 2^53)
	ints    int   // matches with such a value
	others  int   // matches with any other number: Numeric cannot say exactly
	bytes   int64 // approximate memory, for the state budget
}

const valueIndexSize = int64(unsafe.Sizeof(valueIndex{})) + 96

func newValueIndex(covers int) *valueIndex {
	return &valueIndex{covers: covers, counts: map[string]int{}, byCount: map[int]int{}, bytes: valueIndexSize}
}

// maxExactInt bounds the integers summed exactly: float64 holds every sum of them below 2^53.
const maxExactInt = 1 << 53

// numberOf classifies a series key's value: an integer summed exactly, another number, or
// none.
func numberOf(key string) (n int64, isInt, isNumber bool) {
	v := seriesValue(key)
	if i, err := strconv.ParseInt(v, 10, 64); err == nil && i > -maxExactInt && i < maxExactInt {
		return i, true, true
	}
	f, err := strconv.ParseFloat(v, 64)
	return 0, false, err == nil && !math.IsNaN(f) && !math.IsInf(f, 0)
}

// add counts a match of series key.
func (x *valueIndex) add(key string) {
	c := x.counts[key]
	if c == 0 {
		x.bytes += int64(len(key)) + 48
	}
	x.counts[key] = c + 1
	x.move(c, c+1)
	x.total++
	x.number(key, 1)
}

// remove uncounts a match of series key.
func (x *valueIndex) remove(key string) {
	c := x.counts[key]
	if c == 1 {
		delete(x.counts, key)
		x.bytes -= int64(len(key)) + 48
	} else {
		x.counts[key] = c - 1
	}
	x.move(c, c-1)
	x.total--
	x.number(key, -1)
}

// number adds (or, with sign -1, takes away) a match's value to the sums.
func (x *valueIndex) number(key string, sign int) {
	n, isInt, isNumber := numberOf(key)
	switch {
	case isInt:
		x.intSum += int64(sign) * n
		x.ints += sign
	case isNumber:
		x.others += sign
	}
}

// move records that a value's matches went from before to after, keeping least and most.
func (x *valueIndex) move(before, after int) {
	if before > 0 {
		if x.byCount[before]--; x.byCount[before] == 0 {
			delete(x.byCount, before)
		}
	}
	if after > 0 {
		x.byCount[after]++
	}
	switch {
	case len(x.byCount) == 0:
		x.least, x.most = 0, 0
	case after > x.most:
		x.most = after
	case before == x.most && x.byCount[before] == 0:
		x.most = before - 1 // a value held most; one fewer, and it still does
	}
	switch {
	case len(x.byCount) == 0:
	case after > 0 && (after < x.least || x.least == 0):
		x.least = after
	case before == x.least && x.byCount[before] == 0:
		for x.least++; x.byCount[x.least] == 0; x.least++ { // the next count some value holds
		}
	}
}

// Distinct implements celenv.ValueAggregate.
func (x *valueIndex) Distinct() int { return len(x.counts) }

// Numeric implements celenv.ValueAggregate.
func (x *valueIndex) Numeric() (float64, int, bool) {
	return float64(x.intSum), x.ints, x.others == 0
}

// Counts implements celenv.ValueAggregate.
func (x *valueIndex) Counts() (least, most, total int) { return x.least, x.most, x.total }

var _ celenv.ValueAggregate = (*valueIndex)(nil)

// aggregate is the group's value index, built from its windows on first use and then kept
// up to date by them; nil when no channel of the plan has a series_by.
func (c *correlator) aggregate(g *group) (*valueIndex, int) {
	if c.plan.seriesChannels == 0 {
		return nil, 0
	}
	if g.valueIdx == nil {
		g.valueIdx = newValueIndex(c.plan.seriesChannels)
		for i, ch := range c.plan.channels {
			if len(ch.series) == 0 {
				continue
			}
			w := &g.windows[i]
			w.agg = g.valueIdx
			w.matches.each(func(m match) { g.valueIdx.add(m.series) })
		}
	}
	return g.valueIdx, c.plan.seriesChannels
}
