package celenv

import (
	"errors"
	"math"
	"slices"
	"strconv"
	"time"

	"github.com/google/cel-go/cel"
	"github.com/google/cel-go/common/types"
	"github.com/google/cel-go/common/types/ref"
	"github.com/google/cel-go/common/types/traits"
)

// WindowValues answers the functions over several channels' windows (distinct, sum, avg,
// minShare, maxShare, inOrder) for one channel: the values its series_by field takes in the
// window, and its match times. The runtime keeps it; ChannelState reads Series without it.
type WindowValues interface {
	// EachValue calls fn for every series of the window with its number of matches: the
	// series_by value as text (a string as is, a number as JSON writes it), in no order.
	EachValue(fn func(value string, n int))
	// FirstFrom is the earliest match of the window not before t.
	FirstFrom(t time.Time) (time.Time, bool)
	// Aggregate is the index the runtime keeps up to date over the windows of all the
	// group's channels that have a series_by, and how many they are; nil when it keeps none.
	Aggregate() (ValueAggregate, int)
}

// ValueAggregate answers the value functions over a group's channels at once, in constant
// time as matches enter and leave the window: it is what makes an evaluation's cost
// independent of the number of values in the window.
type ValueAggregate interface {
	Distinct() int
	// Numeric is the sum and number of the matches whose value is a number; ok false when
	// it cannot say exactly (non-integer values), and the values must be walked.
	Numeric() (sum float64, n int, ok bool)
	// Counts are the least and greatest number of matches one value holds, and the total.
	Counts() (least, most, total int)
}

// EachValue calls fn for every series of the window with its number of matches.
func (s *ChannelState) EachValue(fn func(value string, n int)) {
	if s.Values != nil {
		s.Values.EachValue(fn)
		return
	}
	for k, times := range s.Series {
		fn(k, len(times))
	}
}

// FirstFrom is the earliest match of the window not before t.
func (s *ChannelState) FirstFrom(t time.Time) (time.Time, bool) {
	if s.Values != nil {
		return s.Values.FirstFrom(t)
	}
	var first time.Time
	found := false
	for _, times := range s.Series {
		for _, at := range times {
			if !at.Before(t) && (!found || at.Before(first)) {
				first, found = at, true
			}
		}
	}
	return first, found
}

// valueCounts is the matches per value over several channels' windows, sorted by value so
// that sums are the same whatever order the windows hold them in.
type valueCounts struct {
	values []string
	counts map[string]int
	total  int
}

func countValues(states []*ChannelState) valueCounts {
	vc := valueCounts{counts: map[string]int{}}
	for _, st := range states {
		st.EachValue(func(v string, n int) {
			if _, ok := vc.counts[v]; !ok {
				vc.values = append(vc.values, v)
			}
			vc.counts[v] += n
			vc.total += n
		})
	}
	slices.Sort(vc.values)
	return vc
}

// numeric is the sum and number of the matches whose value is a number (or a string
// holding one); the others are left out.
func (vc valueCounts) numeric() (sum float64, n int) {
	for _, v := range vc.values {
		if x, err := strconv.ParseFloat(v, 64); err == nil && !math.IsNaN(x) && !math.IsInf(x, 0) {
			sum += x * float64(vc.counts[v])
			n += vc.counts[v]
		}
	}
	return sum, n
}

// extremes is the least (or, most, the greatest) number of matches one value holds.
func (vc valueCounts) extremes(most bool) int {
	out := 0
	for i, v := range vc.values {
		if n := vc.counts[v]; i == 0 || (most && n > out) || (!most && n < out) {
			out = n
		}
	}
	return out
}

// inOrder reports whether each group of states holds a match, the first group's not after
// the second's, and so on: the earliest possible match of each group is taken in turn.
func inOrder(groups [][]*ChannelState) bool {
	var at time.Time
	for _, g := range groups {
		next, found := time.Time{}, false
		for _, st := range g {
			if t, ok := st.FirstFrom(at); ok && (!found || t.Before(next)) {
				next, found = t, true
			}
		}
		if !found {
			return false
		}
		at = next
	}
	return true
}

var errNotStates = errors.New("not a list of channel states")

// statesOf reads a CEL list of channel states.
func statesOf(v ref.Val) ([]*ChannelState, error) {
	l, ok := v.(traits.Lister)
	if !ok {
		return nil, errNotStates
	}
	n, _ := l.Size().(types.Int)
	out := make([]*ChannelState, 0, int(n))
	for i := types.Int(0); i < n; i++ {
		st, ok := l.Get(i).(*ChannelState)
		if !ok {
			return nil, errNotStates
		}
		out = append(out, st)
	}
	return out, nil
}

// aggregateOf is the runtime's aggregate over exactly the given states' windows, or nil.
func aggregateOf(states []*ChannelState) ValueAggregate {
	if len(states) == 0 || states[0].Values == nil {
		return nil
	}
	agg, covers := states[0].Values.Aggregate()
	if agg == nil || covers != len(states) {
		return nil
	}
	for i, st := range states {
		if st.Values == nil || slices.Contains(states[:i], st) {
			return nil
		}
		if other, _ := st.Values.Aggregate(); other != agg {
			return nil
		}
	}
	return agg
}

// overStates binds a value function for a CEL list of channel states: fast from the
// runtime's aggregate when it covers exactly those channels, else by walking their values.
func overStates(name string, fast func(ValueAggregate) (ref.Val, bool), slow func(valueCounts) ref.Val) cel.OverloadOpt {
	return cel.UnaryBinding(func(v ref.Val) ref.Val {
		states, err := statesOf(v)
		if err != nil {
			return types.NewErr("%s: %v", name, err)
		}
		if agg := aggregateOf(states); agg != nil {
			if out, ok := fast(agg); ok {
				return out
			}
		}
		return slow(countValues(states))
	})
}

// valueFunctions declares the functions over several channels' windows, for the
// correlations of Sigma rules: each takes a list of channel states (whose series_by is the
// field they aggregate) and reads the union of their windows.
func valueFunctions(stateType *cel.Type) []cel.EnvOption {
	states := cel.ListType(stateType)
	double := func(name string, fast func(ValueAggregate) (ref.Val, bool), slow func(valueCounts) ref.Val) cel.EnvOption {
		return cel.Function(name, cel.Overload(name+"_states", []*cel.Type{states}, cel.DoubleType, overStates(name, fast, slow)))
	}
	return []cel.EnvOption{
		// distinct([channels.c1, channels.c2]): distinct series_by values across the windows.
		cel.Function("distinct", cel.Overload("distinct_states", []*cel.Type{states}, cel.IntType,
			overStates("distinct",
				func(a ValueAggregate) (ref.Val, bool) { return types.Int(a.Distinct()), true },
				func(vc valueCounts) ref.Val { return types.Int(len(vc.values)) }))),
		// sum([...]): the sum of the numeric values of the matches.
		double("sum", func(a ValueAggregate) (ref.Val, bool) {
			s, _, ok := a.Numeric()
			return types.Double(s), ok
		}, func(vc valueCounts) ref.Val {
			s, _ := vc.numeric()
			return types.Double(s)
		}),
		// avg([...]): their mean; an error when no match has a numeric value.
		double("avg", func(a ValueAggregate) (ref.Val, bool) {
			s, n, ok := a.Numeric()
			return meanVal(s, n), ok
		}, func(vc valueCounts) ref.Val { return meanVal(vc.numeric()) }),
		// minShare([...]), maxShare([...]): the least and greatest share, in percent, of the
		// window's matches that one value holds; an error for empty windows.
		double("minShare", func(a ValueAggregate) (ref.Val, bool) {
			least, _, total := a.Counts()
			return shareVal(least, total), true
		}, func(vc valueCounts) ref.Val { return shareVal(vc.extremes(false), vc.total) }),
		double("maxShare", func(a ValueAggregate) (ref.Val, bool) {
			_, most, total := a.Counts()
			return shareVal(most, total), true
		}, func(vc valueCounts) ref.Val { return shareVal(vc.extremes(true), vc.total) }),
		// inOrder([[channels.c1, channels.c2], [channels.c3]]): each group of channels has a
		// match in the window, each not before the previous group's.
		cel.Function("inOrder", cel.Overload("inorder_state_groups", []*cel.Type{cel.ListType(states)}, cel.BoolType,
			cel.UnaryBinding(inOrderVal))),
	}
}

func meanVal(sum float64, n int) ref.Val {
	if n == 0 {
		return types.NewErr("avg: no match in the window has a numeric value")
	}
	return types.Double(sum / float64(n))
}

// shareVal is count matches of total, in percent.
func shareVal(count, total int) ref.Val {
	if total == 0 {
		return types.NewErr("share: no match in the window")
	}
	return types.Double(100 * float64(count) / float64(total))
}

func inOrderVal(v ref.Val) ref.Val {
	l, ok := v.(traits.Lister)
	if !ok {
		return types.NewErr("inOrder: %v", errNotStates)
	}
	n, _ := l.Size().(types.Int)
	groups := make([][]*ChannelState, 0, int(n))
	for i := types.Int(0); i < n; i++ {
		g, err := statesOf(l.Get(i))
		if err != nil {
			return types.NewErr("inOrder: %v", err)
		}
		groups = append(groups, g)
	}
	return types.Bool(inOrder(groups))
}
