package celenv

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/stixcel/stixcel/internal/jsonl"
	"github.com/stixcel/stixcel/plan"
)

// TestMaxStringSize: how long an event string may be before an expression is no longer
// affordable. Linear tests stay affordable on any line; functions whose cost grows with the
// product of two sizes (a search, a replace that grows its result) are not evaluated on
// events with long strings.
func TestMaxStringSize(t *testing.T) {
	marker := &plan.Param{Name: "Marker", Type: plan.ParseType("string"), Value: strings.Repeat("m", 1000)}
	env, err := ChannelEnv([]*plan.Param{marker})
	require.NoError(t, err)
	params := map[string]any{"Marker": marker.Value}
	tests := []struct {
		expr string
		want int
	}{
		{`event.dst_host == "x"`, jsonl.MaxLineBytes},
		{`event.CommandLine.contains("mimikatz")`, jsonl.MaxLineBytes},
		{`event.CommandLine.matches("(?i)invoke-[a-z]+")`, 4 << 20},
		{`size(event.dst_host.replace("a", "` + strings.Repeat("b", 250) + `")) == 1`, EventStringSize},
		{`event.dst_host.indexOf(params.Marker) >= 0`, EventStringSize},
		{`event.a.indexOf(event.b) >= 0`, 0}, // too costly at the assumed sizes: refused at compile
	}
	for _, tc := range tests {
		t.Run(tc.expr, func(t *testing.T) {
			ast, iss := env.Compile(tc.expr)
			require.NoError(t, iss.Err())
			got, err := MaxStringSize(env, ast, params)
			require.NoError(t, err)
			assert.Equal(t, tc.want, got)
			assert.Equal(t, tc.want == 0, CheckCost(env, ast, params) != nil, "compile refuses what no event size affords")
			both, err := CheckCostMaxString(env, ast, params)
			if tc.want == 0 {
				assert.EqualError(t, err, CheckCost(env, ast, params).Error())
			} else {
				require.NoError(t, err)
				assert.Equal(t, tc.want, both, "one estimate fewer, the same size")
			}
		})
	}
}
