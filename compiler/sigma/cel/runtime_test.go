package sigmacel

import (
	"context"
	"io"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/stixcel/stixcel/compiler/sigma/mapping"
	"github.com/stixcel/stixcel/event"
	"github.com/stixcel/stixcel/plan"
	"github.com/stixcel/stixcel/runtime"
)

// TestThroughRuntime runs rules as `run` would, one plan each over events read from JSON
// lines (raw-backed, read through the runtime's field view and specialized programs), for
// the constructs that call celenv's own functions: keyword searches alert on the events
// holding a keyword in any field, IPv6 networks on the addresses inside them, and only on
// the target's events.
func TestThroughRuntime(t *testing.T) {
	target := mapping.Target{LogSource: "WinEventLog:Application"}
	tests := []struct {
		name, detection string
		lines           []string
		want            []int
	}{
		{"keywords", "  keywords:\n    - 'event::clear'\n    - 'Invoke-*Mimikatz'\n  condition: keywords\n", []string{
			`{"time":"2026-01-01T00:00:00Z","log_source":"WinEventLog:Application","EventCode":1,"Data":"mimikatz(commandline) # EVENT::Clear"}`,
			`{"time":"2026-01-01T00:00:01Z","log_source":"WinEventLog:Application","EventCode":2,"Data":"nothing here","N":5}`,
			`{"time":"2026-01-01T00:00:02Z","log_source":"WinEventLog:Application","Message":"x","Script":"invoke-mimikatz"}`,
			`{"time":"2026-01-01T00:00:03Z","log_source":"WinEventLog:Application","Script":"Invoke-Some\nMimikatz -x"}`,
			`{"time":"2026-01-01T00:00:04Z","log_source":"WinEventLog:System","Data":"event::clear"}`,
		}, []int{1, 3, 4}},
		{"IPv6 network", "  sel:\n    DestinationIp|cidr: '2603:1006::/40'\n  filter:\n    DestinationIp|cidr: '2603:1006:0:1::/64'\n  condition: sel and not filter\n", []string{
			`{"time":"2026-01-01T00:00:00Z","log_source":"WinEventLog:Application","DestinationIp":"2603:1006::5"}`,
			`{"time":"2026-01-01T00:00:01Z","log_source":"WinEventLog:Application","DestinationIp":"2603:1006:0:1::5"}`,
			`{"time":"2026-01-01T00:00:02Z","log_source":"WinEventLog:Application","DestinationIp":"10.0.0.1"}`,
			`{"time":"2026-01-01T00:00:03Z","log_source":"WinEventLog:Application"}`,
			`{"time":"2026-01-01T00:00:04Z","log_source":"WinEventLog:Application","DestinationIp":"2603:1006:ff:0:0:0:0:1"}`,
		}, []int{1, 5}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			expr, err := Compile(decodeRule(t, tc.detection), target)
			require.NoError(t, err)
			assert.Equal(t, tc.want, runLines(t, target, expr, tc.lines))
		})
	}
}

// runLines runs one plan of target's selector and expr over lines and returns the lines it
// alerts on.
func runLines(t *testing.T, target mapping.Target, expr string, lines []string) []int {
	set := &plan.Set{Schema: plan.Schema, Plans: []*plan.Plan{{
		ID: "sigma", StixID: "x-mitre-analytic--sigma", Name: "sigma", Kind: plan.KindDetection, Params: []*plan.Param{},
		Channels: []*plan.Channel{{ID: "c1", LogSource: target.LogSource, Channel: "sigma", Selector: Selector(target), Predicate: expr, Origin: plan.OriginBound}},
	}}}
	eng, err := runtime.New(set, runtime.WithWorkers(1))
	require.NoError(t, err)
	r := event.NewReader(strings.NewReader(strings.Join(lines, "\n")), "events.jsonl", nil)
	var alerted []int
	collect := func(o runtime.Output) {
		if a, ok := o.(*runtime.Alert); ok {
			alerted = append(alerted, a.Channels[0].Events[0].Line)
		}
	}
	for {
		ev, rej, err := r.Next()
		if err == io.EOF {
			break
		}
		require.NoError(t, err)
		require.Nil(t, rej)
		require.NoError(t, eng.Process(context.Background(), ev, collect))
	}
	eng.Flush(collect)
	return alerted
}
