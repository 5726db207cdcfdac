package celenv

import (
	"testing"

	"github.com/google/cel-go/common/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestAnyStringMatches: the event-wide search tests every string value of the event, and
// its cost is estimated (a keyword search within the limit), not unbounded.
func TestAnyStringMatches(t *testing.T) {
	env, err := ChannelEnv(nil)
	require.NoError(t, err)
	tests := []struct {
		name  string
		expr  string
		event map[string]any
		want  bool
	}{
		{"some value", `event.anyStringMatches('(?i)event::clear')`, map[string]any{"A": int64(1), "Message": "mimikatz EVENT::Clear"}, true},
		{"no value", `event.anyStringMatches('(?i)event::clear')`, map[string]any{"Message": "event:clear"}, false},
		{"numbers are not searched", `event.anyStringMatches('4688')`, map[string]any{"EventCode": int64(4688)}, false},
		{"empty event", `event.anyStringMatches('x')`, map[string]any{}, false},
		{"under not", `!event.anyStringMatches('evil')`, map[string]any{"A": "good"}, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ast, _, err := CompileBool(env, tc.expr)
			require.NoError(t, err)
			require.NoError(t, CheckCost(env, ast, nil))
			prg, err := NewProgram(env, ast, 5000)
			require.NoError(t, err)
			out, _, err := prg.Eval(map[string]any{"event": tc.event})
			require.NoError(t, err)
			assert.Equal(t, types.Bool(tc.want), out)
		})
	}
	ast, _, err := CompileBool(env, `event.anyStringMatches('abcdefghij')`)
	require.NoError(t, err)
	cost, err := EstimateCost(env, ast, nil)
	require.NoError(t, err)
	assert.Equal(t, uint64(EventTextFactor*EventStringSize*10/40+1), cost, "a match over EventTextFactor strings (0.025 per text byte and pattern byte), and the event")
}
