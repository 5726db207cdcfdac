package runtime

import (
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
