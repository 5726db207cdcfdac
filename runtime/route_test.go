package runtime

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/stixcel/stixcel/celenv"
	"github.com/stixcel/stixcel/plan"
)

func TestDeriveRoute(t *testing.T) {
	env, err := celenv.ChannelEnv(nil)
	require.NoError(t, err)
	tests := []struct {
		name string
		expr string
		want *route // nil: no route
	}{
		{name: "equality", expr: `event.EventCode == 10`, want: &route{field: "EventCode", ints: []int64{10}}},
		{name: "membership", expr: `event.syscall in ["open", "write"]`, want: &route{field: "syscall", strs: []string{"open", "write"}}},
		{name: "guarded equality", expr: `has(event.EventCode) && event.EventCode == 10`,
			want: &route{field: "EventCode", ints: []int64{10}, guarded: true}},
		{name: "guarded membership", expr: `has(event.CmdletName) && event.CmdletName in ["Get-User"]`,
			want: &route{field: "CmdletName", strs: []string{"Get-User"}, guarded: true}},
		{name: "guard of another field", expr: `has(event.Image) && event.EventCode == 10`},
		{name: "guard after the test", expr: `event.EventCode == 10 && has(event.EventCode)`},
		{name: "guard of a param-free non-route", expr: `has(event.Image) && event.Image.endsWith("x")`},
		{name: "guard on another variable", expr: `has(params.X) && event.EventCode == 10`},
		{name: "log source and guarded membership", expr: `event.log_source == 'WinEventLog:Sysmon' && has(event.EventCode) && event.EventCode in [1]`,
			want: &route{field: "EventCode", ints: []int64{1}, guarded: true, logSource: "WinEventLog:Sysmon"}},
		{name: "log source and equality", expr: `event.log_source == 'WinEventLog:Sysmon' && event.EventCode == 1`,
			want: &route{field: "EventCode", ints: []int64{1}, logSource: "WinEventLog:Sysmon"}},
		{name: "log source alone", expr: `event.log_source == 'WinEventLog:Security'`, want: &route{logSource: "WinEventLog:Security"}},
		{name: "log source and another test", expr: `event.log_source == 'WinEventLog:Security' && event.Image.endsWith('x')`},
		{name: "log source after", expr: `event.EventCode == 1 && event.log_source == 'WinEventLog:Security'`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ast, iss := env.Parse(tc.expr)
			require.NoError(t, iss.Err())
			got := deriveRoute(ast.NativeRep().Expr())
			assert.Equal(t, tc.want, got, "deriveRoute(%s)", tc.expr)
		})
	}
}

// TestGuardedRouteMissingField: an event without the route field makes an unguarded selector
// fail ("no such key", counted) and a guarded one simply not match, whether the index decides
// the selector or CEL evaluates it.
func TestGuardedRouteMissingField(t *testing.T) {
	set := func(selector string) *plan.Set {
		return &plan.Set{Schema: plan.Schema, Plans: []*plan.Plan{
			{ID: "AN0001", Kind: plan.KindDetection, Channels: []*plan.Channel{
				{ID: "c1", LogSource: "WinEventLog:PowerShell", Selector: selector, Origin: plan.OriginDerived},
			}},
		}}
	}
	var s stream
	s.add(0, "WinEventLog:PowerShell", map[string]any{"EventCode": int64(4103)})
	s.add(1, "WinEventLog:PowerShell", map[string]any{"CmdletName": "Get-User"})
	s.add(2, "WinEventLog:PowerShell", map[string]any{"CmdletName": nil})
	tests := []struct {
		name       string
		selector   string
		wantErrors int64
	}{
		{name: "unguarded", selector: `event.CmdletName in ["Get-User", "Get-Recipient"]`, wantErrors: 1},
		{name: "guarded", selector: `has(event.CmdletName) && event.CmdletName in ["Get-User", "Get-Recipient"]`},
	}
	for _, tc := range tests {
		for _, mode := range []struct {
			name string
			opts []Option
		}{
			{name: "routed"},
			{name: "evaluated", opts: []Option{func(c *config) { c.noRouting = true }}},
		} {
			t.Run(tc.name+"/"+mode.name, func(t *testing.T) {
				out, stats := run(t, set(tc.selector), s.events, mode.opts...)
				assert.Len(t, out, 1, "only the Get-User event matches")
				assert.Equal(t, tc.wantErrors, stats.EvalErrors)
			})
		}
	}
}

// TestLogSourceSelectors: Sigma channels test their log source in the selector
// (`event.log_source == 'S' && ...`); the index decides such selectors, which are then not
// evaluated, with the results and stats of evaluating them, also on events whose log_source
// field is not their LogSource (hand-built events), which get every selector evaluated.
func TestLogSourceSelectors(t *testing.T) {
	const sysmon = "WinEventLog:Sysmon"
	set := &plan.Set{Schema: plan.Schema}
	for i, sel := range []string{
		`event.log_source == 'WinEventLog:Sysmon' && has(event.EventCode) && event.EventCode in [1]`,
		`event.log_source == 'WinEventLog:Sysmon' && event.EventCode == 1`,
		`event.log_source == 'WinEventLog:Sysmon'`,
		`event.log_source == 'WinEventLog:Security'`,
	} {
		set.Plans = append(set.Plans, &plan.Plan{ID: fmt.Sprintf("AN%04d", i), Kind: plan.KindDetection, Channels: []*plan.Channel{
			{ID: "c1", LogSource: sysmon, Selector: sel, Origin: plan.OriginSigma},
		}})
	}
	var s stream
	s.add(0, sysmon, map[string]any{"EventCode": int64(1)})
	s.add(1, sysmon, map[string]any{"EventCode": int64(3)})
	s.add(2, sysmon, map[string]any{})
	s.add(3, sysmon, map[string]any{"EventCode": "1"})
	s.add(4, sysmon, map[string]any{"EventCode": int64(1)})
	s.events[4].Fields["log_source"] = "WinEventLog:Security" // hand-built: the field disagrees
	s.add(5, sysmon, map[string]any{"EventCode": int64(1)})
	delete(s.events[5].Fields, "log_source")

	want, wantStats := run(t, set, s.events, func(c *config) { c.noRouting, c.plainCEL = true, true })
	got, gotStats := run(t, set, s.events)
	assert.Equal(t, summarize(want), summarize(got))
	assert.Equal(t, mustJSON(t, want), mustJSON(t, got))
	assert.Equal(t, wantStats, gotStats)
	assert.Len(t, got, 7, "event 1: three plans; 2, 3, 4: the log source alone; 5: AN0003; 6: none")

	eng, err := New(set)
	require.NoError(t, err)
	for _, ev := range s.events[:4] {
		require.NoError(t, eng.Process(t.Context(), ev, func(Output) {}))
	}
	assert.Zero(t, eng.Evaluations().Evaluated, "the index decides every selector of events whose log_source is theirs")
}
