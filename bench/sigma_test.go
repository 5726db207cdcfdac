package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"testing"

	"github.com/bradleyjkemp/sigma-go"
	"github.com/bradleyjkemp/sigma-go/evaluator"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/stixcel/stixcel/event"
	"github.com/stixcel/stixcel/internal/synth"
	"github.com/stixcel/stixcel/runtime"
)

// sigmaEvents is the length of the stream both engines read per pass.
const sigmaEvents = 2000

// sigmaEngine evaluates Sigma rules with sigma-go, each event against the rules of its log
// source (what a sigma-go deployment gets from logsource indexes), or, with byCode, only
// against the rules of its log source and EventCode (stixcel's routing).
type sigmaEngine struct {
	byCode bool
	rules  map[string]map[int64][]sigmaRule // log_source → EventCode (0 unless byCode) → rules
}

type sigmaRule struct {
	src  synth.SigmaRule
	eval *evaluator.RuleEvaluator
}

func newSigmaEngine(tb testing.TB, rules []synth.SigmaRule, byCode bool) *sigmaEngine {
	e := &sigmaEngine{byCode: byCode, rules: map[string]map[int64][]sigmaRule{}}
	for _, r := range rules {
		parsed, err := sigma.ParseRule(r.YAML)
		require.NoError(tb, err, "%s %s:\n%s", r.Rule, r.Channel, r.YAML)
		var opts []evaluator.Option
		if r.CaseSensitive {
			opts = append(opts, evaluator.CaseSensitive)
		}
		sr := sigmaRule{src: r, eval: evaluator.ForRule(parsed, opts...)}
		codes := r.Codes
		if !byCode {
			codes = []int64{0}
		}
		if e.rules[r.LogSource] == nil {
			e.rules[r.LogSource] = map[int64][]sigmaRule{}
		}
		for _, c := range codes {
			e.rules[r.LogSource][c] = append(e.rules[r.LogSource][c], sr)
		}
	}
	return e
}

// match calls hit for every rule the event matches.
func (e *sigmaEngine) match(ctx context.Context, tb testing.TB, event map[string]any, hit func(synth.SigmaRule)) {
	src, _ := event["log_source"].(string)
	var code int64
	if e.byCode {
		f, _ := event["EventCode"].(float64)
		code = int64(f)
	}
	for _, r := range e.rules[src][code] {
		res, err := r.eval.Matches(ctx, event)
		if err != nil {
			tb.Fatalf("sigma-go %s %s: %v", r.src.Rule, r.src.Channel, err)
		}
		if res.Match {
			hit(r.src)
		}
	}
}

// decodeLines decodes each line into map[string]interface{} with encoding/json, the input
// sigma-go expects.
func decodeLines(tb testing.TB, lines [][]byte) []map[string]any {
	out := make([]map[string]any, len(lines))
	for i, l := range lines {
		require.NoError(tb, json.Unmarshal(l, &out[i]))
	}
	return out
}

// BenchmarkStixcel runs the 1,700-plan pack over the stream, reading and decoding included.
func BenchmarkStixcel(b *testing.B) {
	pack := synth.New(synth.DefaultSeed, synth.PackSize)
	set := pack.Plans()
	jsonl := synth.JSONL(pack.Events(sigmaEvents))
	alerts, events := 0, 0
	for range b.N {
		b.StopTimer()
		eng, err := runtime.New(set)
		require.NoError(b, err)
		b.StartTimer()
		events += eachEvent(b, jsonl, func(ev *event.Event) { eng.Process(context.Background(), ev, func(runtime.Output) { alerts++ }) })
		eng.Flush(func(runtime.Output) { alerts++ })
	}
	b.ReportMetric(float64(events)/b.Elapsed().Seconds(), "events/s")
	b.ReportMetric(float64(alerts)/float64(b.N), "alerts/pass")
}

// BenchmarkSigmaGo runs the pack's 2,500 Sigma rules with sigma-go, each event against the
// rules of its log source, decoding (encoding/json) included.
func BenchmarkSigmaGo(b *testing.B) { benchSigma(b, false) }

// BenchmarkSigmaGoByEventCode is BenchmarkSigmaGo with stixcel's routing: each event meets
// only the rules of its log source and EventCode.
func BenchmarkSigmaGoByEventCode(b *testing.B) { benchSigma(b, true) }

func benchSigma(b *testing.B, byCode bool) {
	pack := synth.New(synth.DefaultSeed, synth.PackSize)
	eng := newSigmaEngine(b, pack.Sigma(), byCode)
	lines := pack.Events(sigmaEvents)
	ctx := context.Background()
	matches, events := 0, 0
	b.ResetTimer()
	for range b.N {
		for _, l := range lines {
			var event map[string]any
			if err := json.Unmarshal(l, &event); err != nil {
				b.Fatal(err)
			}
			eng.match(ctx, b, event, func(synth.SigmaRule) { matches++ })
		}
		events += len(lines)
	}
	b.ReportMetric(float64(events)/b.Elapsed().Seconds(), "events/s")
	b.ReportMetric(float64(matches)/float64(b.N), "matches/pass")
}

// TestSigmaAgreesWithStixcel checks that the comparison is fair: on the benchmark stream,
// sigma-go and stixcel match the same events on the same channels (for the plans that alert
// per event; Sigma rules have no cross-log-source correlation).
func TestSigmaAgreesWithStixcel(t *testing.T) {
	pack := synth.New(synth.DefaultSeed, synth.PackSize)
	lines := pack.Events(sigmaEvents)
	correlated := map[string]bool{}
	for _, r := range pack.Rules {
		correlated[r.ID] = r.Correlated
	}

	var fromSigma []string
	eng := newSigmaEngine(t, pack.Sigma(), false)
	for i, event := range decodeLines(t, lines) {
		hits := map[string][]string{}
		var order []string
		eng.match(context.Background(), t, event, func(r synth.SigmaRule) {
			if correlated[r.Rule] {
				return
			}
			if _, seen := hits[r.Rule]; !seen {
				order = append(order, r.Rule)
			}
			hits[r.Rule] = append(hits[r.Rule], r.Channel)
		})
		for _, id := range order {
			fromSigma = append(fromSigma, fmt.Sprintf("line %d %s %v", i+1, id, hits[id]))
		}
	}

	var fromStixcel []string
	rt, err := runtime.New(pack.Plans())
	require.NoError(t, err)
	collect := func(o runtime.Output) {
		a, ok := o.(*runtime.Alert)
		if !ok || correlated[a.Analytic] {
			return
		}
		var ids []string
		for _, c := range a.Channels {
			ids = append(ids, c.ID)
		}
		fromStixcel = append(fromStixcel, fmt.Sprintf("line %d %s %v", a.Channels[0].Events[0].Line, a.Analytic, ids))
	}
	eachEvent(t, synth.JSONL(lines), func(ev *event.Event) { rt.Process(context.Background(), ev, collect) })
	rt.Flush(collect)

	assert.Greater(t, len(fromSigma), 5, "the stream exercises the rules")
	assert.ElementsMatch(t, fromSigma, fromStixcel)
}

func eachEvent(tb testing.TB, jsonl []byte, fn func(*event.Event)) int {
	r := event.NewReader(bytes.NewReader(jsonl), "synth.jsonl", nil)
	n := 0
	for {
		ev, rej, err := r.Next()
		if err == io.EOF {
			return n
		}
		require.NoError(tb, err)
		if rej != nil {
			tb.Fatalf("event rejected: %v", rej)
		}
		fn(ev)
		n++
	}
}
