package source

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/stixcel/stixcel/event"
)

// TestImplied: without --source, normalized events read exactly as before, Windows event JSON
// of each shape reads as the windows profile reads it, and anything else is rejected as a
// normalized event is.
func TestImplied(t *testing.T) {
	p := windows(t)
	deep := strings.Repeat(`{"a":`, 40) + `1` + strings.Repeat(`}`, 40)
	tests := []struct {
		name, line string
		viaProfile bool // else read as a normalized event
	}{
		{"normalized", `{"time":"2020-10-18T07:50:06Z","log_source":"WinEventLog:Security","EventID":4624,"Channel":"Security"}`, false},
		{"normalized without log_source", `{"time":"2020-10-18T07:50:06Z","EventID":4624,"Channel":"Security"}`, false},
		{"normalized with a bad time", `{"time":"yesterday","log_source":"x","Event":{"System":{}}}`, false},
		{"flat", `{"Channel":"Security","EventID":4624,"TimeCreated":"2020-10-18T07:50:06Z","Hostname":"ws"}`, true},
		{"flat without a time", `{"Channel":"Security","EventID":4624}`, true},
		{"evtx_dump", `{"Event":{"System":{"Channel":"Security","EventID":4624,"Computer":"ws","TimeCreated":{"#attributes":{"SystemTime":"2020-10-18T07:50:06Z"}}},"EventData":{"LogonType":3}}}`, true},
		{"evtx_dump, too deep to read lazily", `{"Event":{"System":{"Channel":"Security","EventID":4624,"TimeCreated":{"#attributes":{"SystemTime":"2020-10-18T07:50:06Z"}}},"EventData":{"X":` + deep + `}}}`, true},
		{"ecs", `{"@timestamp":"2020-10-18T07:50:06Z","winlog":{"channel":"Security","event_id":"4624","event_data":{"LogonType":"3"}}}`, true},
		{"other JSON", `{"ts":"2020-10-18T07:50:06Z","msg":"x"}`, false},
		{"EventID alone", `{"EventID":4624,"log_source":"x"}`, false},
		{"too deep", deep, false},
		{"not JSON", `Channel=Security EventID=4624`, false},
		{"time spelt with an escape", `{"t\u0069me":"2020-10-18T07:50:06Z","log_source":"x","Channel":"Security","EventID":4624}`, false},
		{"time nested", `{"a":{"time":1},"Channel":"Security","EventID":4624,"TimeCreated":"2020-10-18T07:50:06Z"}`, true},
		{"invalid JSON of a shape", `{"Channel":"Security","EventID":4624,}`, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			want, wantBad := event.Normalized{}.Decode([]byte(tc.line))
			if tc.viaProfile {
				want, wantBad = NewDecoder(p).Decode([]byte(tc.line))
			}
			got, gotBad := NewImplied(p).Decode([]byte(tc.line))
			require.Equal(t, wantBad, gotBad)
			if want == nil {
				require.Nil(t, got)
				return
			}
			require.NotNil(t, got)
			assert.Equal(t, want.Time, got.Time)
			assert.Equal(t, want.LogSource, got.LogSource)
			assert.Equal(t, want.Map(), got.Map())
		})
	}
}

// TestImpliedBuiltins: the built-in profiles that name shapes, and how a hint names them.
func TestImpliedBuiltins(t *testing.T) {
	ps, err := ImpliedBuiltins()
	require.NoError(t, err)
	require.Len(t, ps, 1)
	assert.Equal(t, "windows (flat, evtx_dump, ecs)", ShapesText(ps...))
}
