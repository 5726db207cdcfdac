package celenv

import (
	"fmt"
	"reflect"
	"time"

	"github.com/google/cel-go/common/types"
	"github.com/google/cel-go/common/types/ref"
)

// DefaultRecurrenceMin is how many matches recurring(tolerance) needs in one series.
const DefaultRecurrenceMin = 3

// ChannelState is what a condition sees of one channel in the current window of one group:
// channels.cN.count, .first, .last, .recurring(tol), .distinct(). The runtime fills it.
type ChannelState struct {
	Count int64
	First time.Time
	Last  time.Time
	// Series holds the match times per series key (the channel's series_by values), in
	// event-time order. Channels without series_by keep a single series under "". It is
	// read only when Recurrence is nil.
	Series map[string][]time.Time
	// Recurrence, when set, answers recurring() and distinct() in place of Series: the
	// runtime keeps it up to date as matches enter and leave the window, so that a
	// condition does not walk the whole window.
	Recurrence Recurrence
	// Values, when set, answers the functions over several channels (distinct, sum, avg,
	// minShare, maxShare, inOrder) in place of Series.
	Values WindowValues
}

// Recurrence answers recurring() and distinct() over the series of one channel's window,
// as ChannelState.Recurring and ChannelState.Distinct would over the same Series.
type Recurrence interface {
	Recurring(tol time.Duration, minCount int) bool
	Distinct() int
}

var stateCELType = types.NewObjectType(StateType)

// Recurring reports whether some series has minCount consecutive matches whose intervals
// each differ from their mean by at most tol: a beacon with stable period.
func (s *ChannelState) Recurring(tol time.Duration, minCount int) bool {
	if s.Recurrence != nil {
		return s.Recurrence.Recurring(tol, minCount)
	}
	minCount = RecurrenceMin(minCount)
	for _, times := range s.Series {
		for start := 0; start+minCount <= len(times); start++ {
			if StableIntervals(times[start:start+minCount], tol) {
				return true
			}
		}
	}
	return false
}

// Distinct is the number of series in the window: channels.cN.distinct().
func (s *ChannelState) Distinct() int {
	if s.Recurrence != nil {
		return s.Recurrence.Distinct()
	}
	return len(s.Series)
}

// RecurrenceMin is the run length recurring(tol, minCount) looks for: at least 2.
func RecurrenceMin(minCount int) int { return max(minCount, 2) }

// StableIntervals reports whether the intervals between consecutive times (at least two)
// each differ from their mean by at most tol: the test recurring() applies to every run.
func StableIntervals(times []time.Time, tol time.Duration) bool {
	n := len(times) - 1
	var sum time.Duration
	for i := 1; i < len(times); i++ {
		sum += times[i].Sub(times[i-1])
	}
	mean := sum / time.Duration(n)
	for i := 1; i < len(times); i++ {
		d := times[i].Sub(times[i-1]) - mean
		if d < 0 {
			d = -d
		}
		if d > tol {
			return false
		}
	}
	return true
}

func (s *ChannelState) field(name string) (any, bool) {
	switch name {
	case "count":
		return s.Count, true
	case "first":
		return s.First, true
	case "last":
		return s.Last, true
	}
	return nil, false
}

// ConvertToNative implements ref.Val.
func (s *ChannelState) ConvertToNative(typeDesc reflect.Type) (any, error) {
	if reflect.TypeOf(s).AssignableTo(typeDesc) {
		return s, nil
	}
	return nil, fmt.Errorf("channel state: no conversion to %v", typeDesc)
}

// ConvertToType implements ref.Val.
func (s *ChannelState) ConvertToType(t ref.Type) ref.Val {
	if t == types.TypeType {
		return stateCELType
	}
	return types.NewErr("channel state: no conversion to %v", t)
}

// Equal implements ref.Val: states are equal only to themselves.
func (s *ChannelState) Equal(other ref.Val) ref.Val { return types.Bool(s == other) }

// Type implements ref.Val.
func (s *ChannelState) Type() ref.Type { return stateCELType }

// Value implements ref.Val.
func (s *ChannelState) Value() any { return s }
