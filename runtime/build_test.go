package runtime

import (
	"bytes"
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/stixcel/stixcel/compiler/parsed"
	"github.com/stixcel/stixcel/event"
	"github.com/stixcel/stixcel/internal/synth"
	"github.com/stixcel/stixcel/plan"
)

// buildTestSet is a set whose plans share expressions within and across environments: a
// synthetic pack, and AN1828 with several parameter values (one environment per distinct
// set of parameter types; programs that fold parameters per distinct values).
func buildTestSet(t *testing.T) *plan.Set {
	t.Helper()
	set := synth.New(synth.DefaultSeed, 400).Plans()
	for i, overrides := range []map[string]any{
		nil,
		{"AllowedManagedApps": []any{"com.example.mdm"}},
		nil,
		{"BeaconIntervalTolerance": "45s"},
	} {
		p := loadAN1828(t, overrides).Plans[0]
		p.ID = fmt.Sprintf("AN1828-%d", i)
		set.Plans = append(set.Plans, p)
	}
	return set
}

// engineShape renders what compiling decided, plan by plan: the slot numbering, the routes,
// the affordable string sizes, which programs there are and of what kind.
func engineShape(plans []*compiledPlan, slots *event.Slots) string {
	var b strings.Builder
	fmt.Fprintf(&b, "slots %v\n", slots)
	for _, cp := range plans {
		fmt.Fprintf(&b, "%s %d/%d key=%s group=%v entities=%v window=%s condition=%T\n", cp.src.ID, cp.index,
			cp.position, cp.paramsKey, cp.groupSlots, cp.entitySlots, cp.window, cp.condition)
		for _, c := range cp.channels {
			fmt.Fprintf(&b, "  %s sel=%T pred=%T max=%d/%d series=%v fields=%v route=%+v\n", c.id, c.selector,
				c.predicate, c.selMax, c.predMax, c.series, c.fieldSlots, c.route)
		}
	}
	return b.String()
}

// TestParallelBuildIsSequential: compiling plans on several goroutines gives the engine the
// sequential build gives (slots, routes, programs) and byte-identical outputs; so does an
// artifact with parsed forms, checked and planned when first evaluated, whose outputs are
// those of the plain text.
func TestParallelBuildIsSequential(t *testing.T) {
	set := buildTestSet(t)
	pack := synth.New(synth.DefaultSeed, 400)
	r := event.NewReader(bytes.NewReader(synth.JSONL(pack.Events(3000))), "synth", nil)
	var events []*event.Event
	for {
		ev, _, err := r.Next()
		if err == io.EOF {
			break
		}
		require.NoError(t, err)
		if ev != nil {
			events = append(events, ev)
		}
	}
	events = append(events, readEvents(t, "../testdata/events/demo.jsonl")...)
	withForms := withParsedForms(t, set)

	var wantOut string
	for _, tc := range []struct {
		name string
		set  *plan.Set
	}{{"text", set}, {"parsed forms", withForms}} {
		t.Run(tc.name, func(t *testing.T) {
			shape := func(workers int) string {
				plans, slots, err := compileSet(tc.set, &config{maxIterations: DefaultMaxIterations, buildWorkers: workers})
				require.NoError(t, err)
				for _, cp := range plans {
					for _, c := range cp.channels {
						for _, prg := range []any{c.selector, c.predicate} {
							_, pending := prg.(*pendingProgram)
							require.False(t, pending, "a placeholder left in %s %s", cp.src.ID, c.id)
						}
					}
				}
				return engineShape(plans, slots)
			}
			want := shape(1)
			require.Contains(t, want, "AN1828-3")
			if tc.set == withForms {
				require.Contains(t, want, "*runtime.lazyProgram", "no form is checked when first evaluated")
			}
			for _, workers := range []int{2, 4, 16} {
				assert.Equal(t, want, shape(workers), "%d build goroutines", workers)
			}

			outputs := func(workers int) string {
				out, stats := run(t, tc.set, events, withBuildWorkers(workers), WithWorkers(workers))
				require.NotEmpty(t, out)
				return mustJSON(t, out) + mustJSON(t, stats)
			}
			if wantOut == "" {
				wantOut = outputs(1)
			}
			for _, workers := range []int{1, 2, 4} {
				assert.Equal(t, wantOut, outputs(workers), "%d build goroutines and workers", workers)
			}
		})
	}
}

// withParsedForms is set with its channels' parsed forms, as `stixcel compile` writes the
// artifact and `run --plans` reads it.
func withParsedForms(t *testing.T, set *plan.Set) *plan.Set {
	t.Helper()
	var buf bytes.Buffer
	require.NoError(t, set.Write(&buf))
	out, err := plan.ParseRunnable(buf.Bytes(), func(plan.Kind, bool) bool { return true })
	require.NoError(t, err)
	parsed.Attach(out)
	buf.Reset()
	require.NoError(t, out.Write(&buf))
	out, err = plan.ParseRunnable(buf.Bytes(), func(plan.Kind, bool) bool { return true })
	require.NoError(t, err)
	return out
}

// TestParallelBuildFirstError: with two bad plans, New returns the first one's error in set
// order, worded as the sequential build words it, with any number of build goroutines —
// also when the first fails where the parallel build fails last (planning a program: an
// invalid regular expression) and the second where it fails first (the type check).
func TestParallelBuildFirstError(t *testing.T) {
	badProgram := func(p *plan.Plan) { p.Channel("c3").Predicate = `event.app_bundle_id.matches("(")` }
	badCheck := func(p *plan.Plan) { p.Channel("c1").Selector = `event.x + 1` }
	badCost := func(p *plan.Plan) {
		p.Channel("c2").Predicate = `event.a.indexOf(event.b) >= 0`
	}
	nullChannel := func(p *plan.Plan) { p.Channels[4] = nil }
	tests := []struct {
		name          string
		first, second func(*plan.Plan)
		want          string
	}{
		{"program then check", badProgram, badCheck, "analytic AN1828-1 channel c3: predicate: program:"},
		{"check then program", badCheck, badProgram, "analytic AN1828-1 channel c1: selector: "},
		{"cost then check", badCost, badCheck, "analytic AN1828-1 channel c2: predicate: expression too expensive"},
		{"null channel then program", nullChannel, badProgram, "analytic AN1828-1 channel 5: null"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			set := buildTestSet(t)
			n := len(set.Plans)
			tc.first(set.Plans[n-3])
			tc.second(set.Plans[n-1])
			var errs []string
			for _, workers := range []int{1, 2, 4} {
				_, err := New(set, withBuildWorkers(workers))
				require.Error(t, err)
				errs = append(errs, err.Error())
			}
			assert.Contains(t, errs[0], tc.want)
			assert.Equal(t, errs[0], errs[1])
			assert.Equal(t, errs[0], errs[2])
		})
	}
}
