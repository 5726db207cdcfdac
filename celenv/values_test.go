package celenv

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestValueFunctions evaluates the functions over several channels' windows (the Sigma
// correlations' conditions) on states read from Series, and checks that the checker refuses
// what they cannot take.
func TestValueFunctions(t *testing.T) {
	env, err := ConditionEnv(nil, []string{"c1", "c2", "c3"})
	require.NoError(t, err)
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	at := func(secs ...int) []time.Time {
		var out []time.Time
		for _, s := range secs {
			out = append(out, t0.Add(time.Duration(s)*time.Second))
		}
		return out
	}
	channels := map[string]any{
		"c1": &ChannelState{Series: map[string][]time.Time{"100": at(0, 5), "alice": at(3)}},
		"c2": &ChannelState{Series: map[string][]time.Time{"100": at(1), "2.5": at(9)}},
		"c3": &ChannelState{Series: map[string][]time.Time{}},
	}
	for _, tc := range []struct {
		expr    string
		want    any
		wantErr string
	}{
		{expr: `distinct([channels.c1, channels.c2])`, want: int64(3)},
		{expr: `distinct([channels.c3])`, want: int64(0)},
		{expr: `sum([channels.c1, channels.c2])`, want: 302.5},
		{expr: `avg([channels.c1, channels.c2])`, want: 302.5 / 4},
		{expr: `avg([channels.c3]) > 1.0`, wantErr: "no match in the window has a numeric value"},
		{expr: `maxShare([channels.c1, channels.c2])`, want: 60.0},
		{expr: `minShare([channels.c1, channels.c2])`, want: 20.0},
		{expr: `inOrder([[channels.c1], [channels.c2]])`, want: true},                // 0s then 1s
		{expr: `inOrder([[channels.c2], [channels.c1], [channels.c2]])`, want: true}, // 1s, 3s, 9s
		{expr: `inOrder([[channels.c2], [channels.c1, channels.c3], [channels.c3]])`, want: false},
		{expr: `inOrder([[channels.c2], [channels.c2], [channels.c1]])`, want: true}, // 1s, 1s, 3s: ties are in order
		{expr: `distinct(channels.c1)`, wantErr: "found no matching overload"},
		{expr: `sum([c1, c2]) > 1.0`, wantErr: "found no matching overload"},
	} {
		t.Run(tc.expr, func(t *testing.T) {
			ast, iss := env.Compile(tc.expr)
			if iss.Err() != nil {
				require.NotEmpty(t, tc.wantErr, "%v", iss.Err())
				assert.Contains(t, iss.Err().Error(), tc.wantErr)
				return
			}
			prg, err := env.Program(ast)
			require.NoError(t, err)
			out, _, err := prg.Eval(map[string]any{"channels": channels, "params": map[string]any{}})
			if tc.wantErr != "" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tc.wantErr)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.want, out.Value())
		})
	}
}
