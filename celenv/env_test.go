package celenv

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/stixcel/stixcel/plan"
)

var an1828Params = []*plan.Param{
	{Name: "AllowedProtocolPortMappings", Type: plan.ParseType("map(string, list(int))"), Value: map[string]any{"tls": []any{443}}},
	{Name: "EnterpriseExceptionList", Type: plan.ParseType("list(string)")},
	{Name: "BeaconIntervalTolerance", Type: plan.ParseType("duration"), Value: "5s"},
}

func activationParams(t *testing.T, params []*plan.Param) map[string]any {
	out := map[string]any{}
	for _, p := range params {
		v, err := p.Type.Native(p.Value)
		require.NoError(t, err, p.Name)
		out[p.Name] = v
	}
	return out
}

func TestChannelEnvTypedParams(t *testing.T) {
	env, err := ChannelEnv(an1828Params)
	require.NoError(t, err)
	tests := []struct {
		name    string
		expr    string
		event   map[string]any
		want    bool
		wantErr string
	}{
		{name: "non-standard port", expr: `event.protocol in params.AllowedProtocolPortMappings && !(event.dst_port in params.AllowedProtocolPortMappings[event.protocol]) && !(event.dst_host in params.EnterpriseExceptionList)`,
			event: map[string]any{"protocol": "tls", "dst_port": int64(4444), "dst_host": "x"}, want: true},
		{name: "standard port", expr: `event.protocol in params.AllowedProtocolPortMappings && !(event.dst_port in params.AllowedProtocolPortMappings[event.protocol])`,
			event: map[string]any{"protocol": "tls", "dst_port": 443.0}, want: false},
		{name: "strings extension", expr: `event.dst_host.lowerAscii().endsWith(".example.net")`,
			event: map[string]any{"dst_host": "C2.Example.NET"}, want: true},
		{name: "network functions", expr: `isIP(event.ip) && cidr('2603:1006::/40').containsIP(event.ip)`,
			event: map[string]any{"ip": "2603:1006:0:1::5"}, want: true},
		{name: "misspelled param", expr: `event.dst_host in params.EnterpriseExceptionLst`, wantErr: "undefined field 'EnterpriseExceptionLst'"},
		{name: "wrong type", expr: `params.BeaconIntervalTolerance > 3`, wantErr: "found no matching overload"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ast, iss := env.Compile(tc.expr)
			if tc.wantErr != "" {
				require.Error(t, iss.Err())
				assert.Contains(t, iss.Err().Error(), tc.wantErr)
				return
			}
			require.NoError(t, iss.Err())
			prg, err := env.Program(ast)
			require.NoError(t, err)
			out, _, err := prg.Eval(map[string]any{"event": tc.event, "params": activationParams(t, an1828Params)})
			require.NoError(t, err)
			assert.Equal(t, tc.want, out.Value())
		})
	}
}

func TestConditionEnvRecurring(t *testing.T) {
	env, err := ConditionEnv(an1828Params, []string{"c1", "c2"})
	require.NoError(t, err)
	ast, iss := env.Compile(`c1 && channels.c2.recurring(params.BeaconIntervalTolerance) && channels.c1.count >= 3 && channels.c1.first < channels.c2.last`)
	require.NoError(t, iss.Err())
	prg, err := env.Program(ast)
	require.NoError(t, err)
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	series := func(gaps ...time.Duration) *ChannelState {
		st := &ChannelState{Series: map[string][]time.Time{}}
		at := t0
		for i, g := range append([]time.Duration{0}, gaps...) {
			at = at.Add(g)
			st.Series["a"] = append(st.Series["a"], at)
			st.Count = int64(i + 1)
		}
		st.First, st.Last = t0, at
		return st
	}
	for _, tc := range []struct {
		name string
		st   *ChannelState
		want bool
	}{
		{"stable 60s beacon", series(60*time.Second, 62*time.Second), true},
		{"interval drift beyond tolerance", series(60*time.Second, 80*time.Second), false},
		{"only two matches", series(60 * time.Second), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, _, err := prg.Eval(map[string]any{
				"c1": true, "c2": true,
				"channels": map[string]any{"c1": tc.st, "c2": tc.st},
				"params":   activationParams(t, an1828Params),
			})
			require.NoError(t, err)
			assert.Equal(t, tc.want, out.Value())
		})
	}
}
