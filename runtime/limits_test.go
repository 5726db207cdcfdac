package runtime

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/stixcel/stixcel/event"
	"github.com/stixcel/stixcel/plan"
)

// nestedMap is a six-deep nested map comprehension over 10-element lists: a million
// iterations, estimated at 26,666,653.
var nestedMap = func() string {
	list := "[1, 2, 3, 4, 5, 6, 7, 8, 9, 10]"
	expr := "a + b + c + d + e + f"
	for _, v := range []string{"f", "e", "d", "c", "b", "a"} {
		expr = list + ".map(" + v + ", " + expr + ")"
	}
	return expr + ".size() > 0"
}()

// onePlan is a detection plan with one channel on log source "x" and no condition.
func onePlan(id, predicate string) *plan.Plan {
	return &plan.Plan{ID: id, Kind: plan.KindDetection, Channels: []*plan.Channel{{ID: "c1", LogSource: "x", Predicate: predicate}}}
}

func TestNewRefusesExpensiveExpressions(t *testing.T) {
	tests := []struct {
		name    string
		plan    *plan.Plan
		wantErr string
	}{
		{name: "six-deep nested map in a predicate", plan: onePlan("AN0001", nestedMap),
			wantErr: "analytic AN0001 channel c1: predicate: expression too expensive: estimated cost 26666653 exceeds the limit 5000000"},
		{name: "in a selector", plan: &plan.Plan{ID: "AN0002", Kind: plan.KindDetection, Channels: []*plan.Channel{{ID: "c2", LogSource: "x", Selector: nestedMap}}},
			wantErr: "analytic AN0002 channel c2: selector: expression too expensive"},
		{name: "in a condition", plan: &plan.Plan{ID: "AN0003", Kind: plan.KindDetection,
			Channels:    []*plan.Channel{{ID: "c1", LogSource: "x", Predicate: "true"}},
			Correlation: plan.Correlation{WindowLiteral: "1m", Condition: "c1 && " + nestedMap}},
			wantErr: "analytic AN0003: condition: expression too expensive"},
		{name: "nested comprehensions over event lists", plan: onePlan("AN0004", "event.items.exists(a, event.items.exists(b, a == b))"),
			wantErr: "analytic AN0004 channel c1: predicate: expression too expensive"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := New(&plan.Set{Schema: plan.Schema, Plans: []*plan.Plan{tc.plan}})
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.wantErr)
		})
	}
}

// TestIterationLimit runs 1,000 events through three plans whose comprehensions run long:
// the six-deep map (let through New by skipping the estimate check, as a hand-made engine
// could), a search of an event list that is sometimes much longer than the estimate
// assumes, and one that finds its item at once. Every evaluation over the limit is cut off,
// fails and is counted; the others give their results; 1 and 3 workers agree.
func TestIterationLimit(t *testing.T) {
	set := &plan.Set{Schema: plan.Schema, Plans: []*plan.Plan{
		onePlan("AN0001", nestedMap),
		onePlan("AN0002", "event.items.exists(x, x == -1)"),
		onePlan("AN0003", "event.items.exists(x, x == 3)"),
	}}
	long, short := numbers(5000), numbers(10)
	var events []*event.Event
	for i := range 1000 {
		items := short
		if i%2 == 0 {
			items = long
		}
		events = append(events, &event.Event{Time: t0.Add(time.Duration(i) * time.Second), LogSource: "x",
			Fields: map[string]any{"items": items}, Source: "limit.jsonl", Line: i + 1})
	}
	skipEstimate := func(c *config) { c.noCostCheck = true }
	cutOff := "cost limit exceeded: more than 100 comprehension iterations in one evaluation"
	want := []EvalErrors{
		{Analytic: "AN0001", Channel: "c1", Count: 1000, CutOff: 1000, Example: cutOff},
		{Analytic: "AN0002", Channel: "c1", Count: 500, CutOff: 500, Example: cutOff},
	}
	var first []Output
	for _, workers := range []int{1, 3} {
		t.Run(fmt.Sprintf("%d workers", workers), func(t *testing.T) {
			out, stats := run(t, set, events, skipEstimate, WithMaxIterations(100), WithWorkers(workers))
			assert.Equal(t, want, stats.ErrorsBy)
			assert.Equal(t, int64(1500), stats.CutOffs)
			assert.Equal(t, int64(1500), stats.EvalErrors)
			require.Len(t, out, 1000, "AN0003 alerts on every event")
			for _, o := range out {
				assert.Equal(t, "AN0003", o.(*Alert).Analytic)
			}
			if first == nil {
				first = out
			}
			assert.Equal(t, first, out)
		})
	}
}

// TestIterationLimitKeepsResults checks that the limit leaves results alone when the
// expression does not need what was cut off.
func TestIterationLimitKeepsResults(t *testing.T) {
	tests := []struct {
		predicate string
		match     bool
		cutOff    bool
	}{
		{predicate: "event.items.exists(x, x == 99)", match: true},
		{predicate: "event.items.exists(x, x == 100)", cutOff: true},
		{predicate: "event.items.all(x, x >= 0)", cutOff: true},
		{predicate: "event.items.exists(x, x == -1) || event.flag", match: true},
		{predicate: "event.items.exists(x, x == -1) && !event.flag"},
		{predicate: "event.items.filter(x, x < 3).size() == 3", cutOff: true},
	}
	events := []*event.Event{{Time: t0, LogSource: "x", Fields: map[string]any{"items": numbers(1000), "flag": true}}}
	for _, tc := range tests {
		t.Run(tc.predicate, func(t *testing.T) {
			set := &plan.Set{Schema: plan.Schema, Plans: []*plan.Plan{onePlan("AN0001", tc.predicate)}}
			out, stats := run(t, set, events, WithMaxIterations(100))
			assert.Equal(t, tc.match, len(out) == 1, "match")
			assert.Equal(t, tc.cutOff, stats.CutOffs == 1, "cut off")
		})
	}
}

func numbers(n int) []any {
	out := make([]any, n)
	for i := range out {
		out[i] = int64(i)
	}
	return out
}

// BenchmarkIterationLimit measures a cut-off at the default limit: the six-deep map over
// one event.
func BenchmarkIterationLimit(b *testing.B) {
	set := &plan.Set{Schema: plan.Schema, Plans: []*plan.Plan{onePlan("AN0001", nestedMap)}}
	eng, err := New(set, func(c *config) { c.noCostCheck = true })
	require.NoError(b, err)
	ev := &event.Event{Time: t0, LogSource: "x", Fields: map[string]any{}}
	for b.Loop() {
		eng.Process(context.Background(), ev, func(Output) {})
	}
	require.True(b, strings.HasPrefix(eng.Stats().ErrorsBy[0].Example, "cost limit exceeded"))
}

// TestLongStringsSkipCostlyExpressions: expressions whose cost grows faster than their input
// are not evaluated on an event whose strings are longer than their estimate affords (a
// `replace` that grows a 16 MiB string 250-fold took 4 GB and 126 s; a search for a
// 1,000-byte marker 2.3 s), counted as skipped and the same for every worker count; cheap
// tests still run on the same event, and costly ones on ordinary events.
func TestLongStringsSkipCostlyExpressions(t *testing.T) {
	marker := strings.Repeat("m", 1000)
	plans := []*plan.Plan{
		onePlan("AN0001", `size(event.dst_host.replace("a", "`+strings.Repeat("b", 250)+`")) == 1`),
		onePlan("AN0002", `event.dst_host.indexOf("`+marker+`") >= 0`),
		onePlan("AN0003", `event.dst_host.startsWith("aaa")`),
		// a costly test the candidate index would skip (no "zzz" in the long event): still
		// counted as skipped, as without the index
		onePlan("AN0004", `event.dst_host.contains("zzz") && event.dst_host.indexOf("`+marker+`") >= 0`),
	}
	long := strings.Repeat("a", 16<<20-64)
	lines := []string{
		`{"time":"2026-03-20T09:00:00Z","log_source":"x","dst_host":"` + long + `"}`,
		`{"time":"2026-03-20T09:00:01Z","log_source":"x","dst_host":"a` + marker + `"}`,
	}
	var events []*event.Event
	for i, l := range lines {
		ev, ok := event.NewRaw([]byte(l))
		require.True(t, ok)
		ev.Time, ev.LogSource, ev.Source, ev.Line = time.Date(2026, 3, 20, 9, 0, i, 0, time.UTC), "x", "hostile.jsonl", i+1
		events = append(events, ev)
	}
	set := &plan.Set{Schema: plan.Schema, Plans: plans}
	var first Stats
	for _, workers := range []int{1, 2} {
		start := time.Now()
		outs, stats := run(t, set, events, WithWorkers(workers))
		t.Logf("%d workers: %s for a 16 MiB event and a short one", workers, time.Since(start))
		assert.Equal(t, []string{"AN0002 [hostile.jsonl:2]", "AN0003 [hostile.jsonl:1]"}, immediateSummary(outs))
		assert.Equal(t, int64(3), stats.TooLong, "the replace and the searches skip the long event")
		require.Len(t, stats.ErrorsBy, 3)
		assert.Contains(t, stats.ErrorsBy[0].Example, "not evaluated: the event holds a string of 16777152 bytes")
		if workers == 1 {
			first = stats
		} else {
			assert.Equal(t, first, stats)
		}
	}
}

// immediateSummary lists alerts as "analytic [file:line ...]", sorted.
func immediateSummary(outs []Output) []string {
	var lines []string
	for _, o := range outs {
		a, ok := o.(*Alert)
		if !ok {
			continue
		}
		var refs []string
		for _, c := range a.Channels {
			for _, e := range c.Events {
				refs = append(refs, fmt.Sprintf("%s:%d", e.Source, e.Line))
			}
		}
		lines = append(lines, a.Analytic+" ["+strings.Join(refs, " ")+"]")
	}
	sort.Strings(lines)
	return lines
}

// TestStopMidEvent: a context ended while one long event is being evaluated stops the
// evaluation at the next plan, for one worker and for several, instead of after every plan
// (before, SIGINT waited for the whole event: seconds on a 16 MiB line).
func TestStopMidEvent(t *testing.T) {
	var plans []*plan.Plan
	for i := range 400 {
		plans = append(plans, onePlan(fmt.Sprintf("AN%04d", i), fmt.Sprintf(`event.dst_host.contains("z%d") || event.dst_host.endsWith("q%d")`, i, i)))
	}
	set := &plan.Set{Schema: plan.Schema, Plans: plans}
	ev, ok := event.NewRaw([]byte(`{"time":"2026-03-20T09:00:00Z","log_source":"x","dst_host":"` + strings.Repeat("a", 16<<20-64) + `"}`))
	require.True(t, ok)
	ev.Time, ev.LogSource, ev.Source, ev.Line = time.Date(2026, 3, 20, 9, 0, 0, 0, time.UTC), "x", "hostile.jsonl", 1

	for _, workers := range []int{1, 2} {
		t.Run(fmt.Sprintf("%d workers", workers), func(t *testing.T) {
			whole, st := timeEvent(t, set, ev, workers, 0)
			assert.Zero(t, st.Abandoned)
			// Abandoned counts an event left at a plan before the last (matcher.matchRoutes): that
			// the evaluation stopped; the times are for people. On a loaded machine a stop
			// after a tenth of the first run's time can come after a faster second run has
			// ended, so the stop comes earlier and earlier until one lands inside the event.
			for stopAfter := whole / 10; ; stopAfter /= 4 {
				stopped, st := timeEvent(t, set, ev, workers, stopAfter)
				t.Logf("one 16 MiB event through 400 plans: %v; stopped after %v: %v", whole, stopAfter, stopped)
				if st.Abandoned == 1 || stopAfter < time.Microsecond {
					assert.Equal(t, int64(1), st.Abandoned, "the evaluation went on after the context ended")
					break
				}
			}
		})
	}
}

// timeEvent times processing ev, from Process to the end of Flush, with the context ended
// after stopAfter (never when 0) and no grace.
func timeEvent(t *testing.T, set *plan.Set, ev *event.Event, workers int, stopAfter time.Duration) (time.Duration, Stats) {
	t.Helper()
	eng, err := New(set, WithWorkers(workers), func(c *config) { c.stopGrace = 0 })
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if stopAfter > 0 {
		time.AfterFunc(stopAfter, cancel)
	}
	start := time.Now()
	require.NoError(t, eng.Process(ctx, ev, func(Output) {}))
	eng.Flush(func(Output) {})
	return time.Since(start), eng.Stats()
}
