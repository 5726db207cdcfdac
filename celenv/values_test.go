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

// fixedAggregate is a runtime's value index with fixed answers, over covers channels.
type fixedAggregate struct{ covers int }

func (fixedAggregate) Distinct() int                            { return 42 }
func (fixedAggregate) Numeric() (float64, int, bool)            { return 10, 4, true }
func (fixedAggregate) Counts() (least, most, total int)         { return 1, 3, 4 }
func (a *fixedAggregate) EachValue(func(string, int))           {}
func (a *fixedAggregate) FirstFrom(time.Time) (time.Time, bool) { return time.Time{}, false }
func (a *fixedAggregate) Aggregate() (ValueAggregate, int)      { return a, a.covers }

// TestValueFunctionsAggregate: the functions answer from the runtime's aggregate when it
// covers exactly the listed channels, and walk their values otherwise.
func TestValueFunctionsAggregate(t *testing.T) {
	env, err := ConditionEnv(nil, []string{"c1", "c2"})
	require.NoError(t, err)
	agg := &fixedAggregate{covers: 2}
	channels := map[string]any{"c1": &ChannelState{Values: agg}, "c2": &ChannelState{Values: agg}}
	for _, tc := range []struct {
		expr string
		want any
	}{
		{`distinct([channels.c1, channels.c2])`, int64(42)},
		{`avg([channels.c1, channels.c2])`, 2.5},
		{`maxShare([channels.c1, channels.c2])`, 75.0},
		{`distinct([channels.c1])`, int64(0)},              // covers 2: walks c1's values (none)
		{`distinct([channels.c1, channels.c1])`, int64(0)}, // the same channel twice: walks
	} {
		t.Run(tc.expr, func(t *testing.T) {
			ast, iss := env.Compile(tc.expr)
			require.NoError(t, iss.Err())
			prg, err := env.Program(ast)
			require.NoError(t, err)
			out, _, err := prg.Eval(map[string]any{"channels": channels, "params": map[string]any{}})
			require.NoError(t, err)
			assert.Equal(t, tc.want, out.Value())
		})
	}
}
