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

// TestKeywordsThroughRuntime runs a keyword rule as `run` would, one plan over events read
// from JSON lines (raw-backed, read through the runtime's field view): it alerts on the
// events with the keyword in any field, and only on the target's events.
func TestKeywordsThroughRuntime(t *testing.T) {
	rule := decodeRule(t, "  keywords:\n    - 'event::clear'\n    - 'Invoke-*Mimikatz'\n  condition: keywords\n")
	target := mapping.Target{LogSource: "WinEventLog:Application"}
	expr, err := Compile(rule, target)
	require.NoError(t, err)
	set := &plan.Set{Schema: plan.Schema, Plans: []*plan.Plan{{
		ID: "keywords", StixID: "x-mitre-analytic--keywords", Name: "keywords", Kind: plan.KindDetection, Params: []*plan.Param{},
		Channels: []*plan.Channel{{ID: "c1", LogSource: target.LogSource, Channel: "sigma", Selector: Selector(target), Predicate: expr, Origin: plan.OriginBound}},
	}}}
	eng, err := runtime.New(set, runtime.WithWorkers(1))
	require.NoError(t, err)
	lines := strings.Join([]string{
		`{"time":"2026-01-01T00:00:00Z","log_source":"WinEventLog:Application","EventCode":1,"Data":"mimikatz(commandline) # EVENT::Clear"}`,
		`{"time":"2026-01-01T00:00:01Z","log_source":"WinEventLog:Application","EventCode":2,"Data":"nothing here","N":5}`,
		`{"time":"2026-01-01T00:00:02Z","log_source":"WinEventLog:Application","Message":"x","Script":"invoke-mimikatz"}`,
		`{"time":"2026-01-01T00:00:03Z","log_source":"WinEventLog:Application","Script":"Invoke-Some\nMimikatz -x"}`,
		`{"time":"2026-01-01T00:00:04Z","log_source":"WinEventLog:System","Data":"event::clear"}`,
	}, "\n")
	r := event.NewReader(strings.NewReader(lines), "keywords.jsonl", nil)
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
	assert.Equal(t, []int{1, 3, 4}, alerted)
}
