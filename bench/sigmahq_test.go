package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/bradleyjkemp/sigma-go"
	"github.com/bradleyjkemp/sigma-go/evaluator"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/stixcel/stixcel"
	"github.com/stixcel/stixcel/event"
	"github.com/stixcel/stixcel/internal/shared"
	"github.com/stixcel/stixcel/plan"
	"github.com/stixcel/stixcel/runtime"
	"github.com/stixcel/stixcel/source"
)

// sigmaHQ is SigmaHQ's Windows rules planned with the built-in pack and the enterprise
// ATT&CK plans in one artifact, as `stixcel compile --bundle enterprise-attack-18.1-detection.json
// --sigma sigma/rules/windows` writes it, and the shared OTRF Windows datasets as raw lines.
type sigmaHQ struct {
	set   *plan.Set
	files []datasetFile
	lines int // non-empty lines of all files
	bytes int64
}

type datasetFile struct {
	name string
	data []byte
}

var (
	sigmaHQOnce sync.Once
	sigmaHQData *sigmaHQ
	sigmaHQErr  error
)

// loadSigmaHQ compiles the artifact and reads the datasets once per test binary; it skips
// (fails under CI=true) when the shared material is absent.
func loadSigmaHQ(tb testing.TB) *sigmaHQ {
	tb.Helper()
	bundle := shared.Path(tb, "attack", "enterprise-attack-18.1-detection.json")
	rules := shared.Path(tb, "sigma", "rules", "windows")
	datasets, err := filepath.Glob(filepath.Join(shared.Path(tb, "datasets", "otrf-windows"), "*.jsonl"))
	require.NoError(tb, err)
	require.NotEmpty(tb, datasets)
	sigmaHQOnce.Do(func() { sigmaHQData, sigmaHQErr = readSigmaHQ(bundle, rules, datasets) })
	require.NoError(tb, sigmaHQErr)
	return sigmaHQData
}

func readSigmaHQ(bundle, rules string, datasets []string) (*sigmaHQ, error) {
	l, err := stixcel.Inputs{Bundles: []string{bundle}, Sigma: []string{rules}}.Load()
	if err != nil {
		return nil, err
	}
	set, _ := l.Compile("")
	c := &sigmaHQ{set: set}
	for _, path := range datasets {
		data, err := os.ReadFile(path)
		if err != nil {
			return nil, err
		}
		c.files = append(c.files, datasetFile{name: filepath.Base(path), data: data})
		c.bytes += int64(len(data))
		for line := range bytes.SplitSeq(data, []byte("\n")) {
			if len(bytes.TrimSpace(line)) > 0 {
				c.lines++
			}
		}
	}
	return c, nil
}

// each reads every event of the datasets with the windows source profile, as `run
// --source windows` does (empty lines are rejected and passed over).
func (c *sigmaHQ) each(tb testing.TB, fn func(*event.Event)) int {
	profile, err := source.Builtin("windows")
	require.NoError(tb, err)
	n := 0
	for _, f := range c.files {
		r := event.NewReader(bytes.NewReader(f.data), f.name, source.NewDecoder(profile))
		for {
			ev, rej, err := r.Next()
			if err == io.EOF {
				break
			}
			require.NoError(tb, err)
			if rej == nil {
				fn(ev)
				n++
			}
		}
	}
	return n
}

// run processes the datasets through a new engine and returns its outputs as JSON lines,
// its stats and its evaluation counts.
func (c *sigmaHQ) run(tb testing.TB, opts ...runtime.Option) (string, runtime.Stats, runtime.Evaluations) {
	eng, err := runtime.New(c.set, opts...)
	require.NoError(tb, err)
	var out bytes.Buffer
	enc := json.NewEncoder(&out)
	emit := func(o runtime.Output) { require.NoError(tb, enc.Encode(o)) }
	c.each(tb, func(ev *event.Event) { require.NoError(tb, eng.Process(context.Background(), ev, emit)) })
	eng.Flush(emit)
	return out.String(), eng.Stats(), eng.Evaluations()
}

// TestSigmaHQCandidateIndexAgrees is the Sigma differential test of the candidate index:
// SigmaHQ's Windows rules, the built-in pack and the enterprise plans over the ten shared
// datasets give the same alerts and the same stats with the index as without, on one
// worker and on two.
func TestSigmaHQCandidateIndexAgrees(t *testing.T) {
	c := loadSigmaHQ(t)
	want, wantStats, off := c.run(t, runtime.WithCandidateIndex(false))
	require.NotEmpty(t, want, "the datasets raise alerts")
	for _, workers := range []int{1, 2} {
		got, gotStats, on := c.run(t, runtime.WithWorkers(workers))
		require.Equal(t, want, got, "alerts with the index, %d workers", workers)
		require.Equal(t, wantStats, gotStats, "stats with the index, %d workers", workers)
		if workers == 1 {
			events := float64(wantStats.Events)
			t.Logf("%d events; channels reached %.1f per event; evaluated %.1f without the index, %.1f with it",
				wantStats.Events, float64(off.Reached)/events, float64(off.Evaluated)/events, float64(on.Evaluated)/events)
			assert.Less(t, on.Evaluated, off.Evaluated/4, "the index leaves most channels unevaluated")
		}
	}
}

// BenchmarkSigmaHQ runs SigmaHQ's Windows rules with the built-in pack and the enterprise
// plans over the shared datasets, reading and decoding included, and, in turn within each
// iteration (so that a busy machine slows all alike), the same lines through stixcel without
// the candidate index, through sigma-go on the same rules (each line decoded with
// encoding/json and met with the rules of its log source and EventCode), and decoded with
// encoding/json alone. It reports each one's events/s and stixcel's ratios to them, and the
// channels evaluated per event with and without the index.
func BenchmarkSigmaHQ(b *testing.B) {
	c := loadSigmaHQ(b)
	sg := newSigmaGoHQ(b, c)
	type variant struct {
		name  string
		pass  func() (evaluated int64, took time.Duration)
		took  time.Duration
		evals int64
	}
	stixcel := func(opts ...runtime.Option) func() (int64, time.Duration) {
		return func() (int64, time.Duration) { return passStixcelHQ(b, c, opts...) }
	}
	timed := func(f func()) func() (int64, time.Duration) {
		return func() (int64, time.Duration) {
			start := time.Now()
			f()
			return 0, time.Since(start)
		}
	}
	variants := []*variant{
		{name: "stixcel", pass: stixcel()},
		{name: "no-index", pass: stixcel(runtime.WithCandidateIndex(false))},
		{name: "sigma-go", pass: timed(func() { sg.pass(b) })},
		{name: "encoding-json", pass: timed(func() { passDecodeHQ(b, c) })},
	}
	b.ResetTimer()
	for range b.N {
		for _, v := range variants {
			evals, took := v.pass()
			v.evals += evals
			v.took += took
		}
	}
	events := float64(c.lines) * float64(b.N)
	rate := func(v *variant) float64 { return events / v.took.Seconds() }
	for _, v := range variants {
		b.ReportMetric(rate(v), v.name+"-events/s")
	}
	for _, v := range variants[1:] {
		b.ReportMetric(rate(variants[0])/rate(v), "x-"+v.name)
	}
	b.ReportMetric(float64(variants[0].evals)/events, "evaluated/event")
	b.ReportMetric(float64(variants[1].evals)/events, "no-index-evaluated/event")
	b.ReportMetric(float64(sg.matches)/float64(b.N), "sigma-go-matches/pass")
	b.ReportMetric(float64(sg.failures)/float64(b.N), "sigma-go-errors/pass")
	b.ReportMetric(0, "ns/op")
}

// passStixcelHQ runs the datasets through a new engine on one worker and returns the
// channels it evaluated and the time reading, decoding and evaluating took (building the
// engine is not timed).
func passStixcelHQ(b *testing.B, c *sigmaHQ, opts ...runtime.Option) (int64, time.Duration) {
	eng, err := runtime.New(c.set, append([]runtime.Option{runtime.WithWorkers(1)}, opts...)...)
	require.NoError(b, err)
	start := time.Now()
	c.each(b, func(ev *event.Event) { _ = eng.Process(context.Background(), ev, func(runtime.Output) {}) })
	eng.Flush(func(runtime.Output) {})
	return eng.Evaluations().Evaluated, time.Since(start)
}

// passDecodeHQ decodes every line into a map with encoding/json.
func passDecodeHQ(b *testing.B, c *sigmaHQ) {
	for _, f := range c.files {
		for line := range bytes.SplitSeq(f.data, []byte("\n")) {
			if len(bytes.TrimSpace(line)) == 0 {
				continue
			}
			var m map[string]any
			if err := json.Unmarshal(line, &m); err != nil {
				b.Fatal(err)
			}
		}
	}
}

// hqRules are the SigmaHQ rules sigma-go parses, by the log source and event codes stixcel
// planned them for (code 0: every event of the log source), so that sigma-go meets each
// event only with the rules of its log source and EventCode, as stixcel's routing does.
type hqRules struct {
	byKey   map[string]map[int64][]*evaluator.RuleEvaluator
	parsed  int
	refused int
}

var selectorCodes = regexp.MustCompile(`EventCode in \[([0-9, ]+)\]`)

func newHQRules(tb testing.TB, set *plan.Set) *hqRules {
	h := &hqRules{byKey: map[string]map[int64][]*evaluator.RuleEvaluator{}}
	for _, p := range set.Plans {
		if p.Origin != plan.OriginSigma || p.Rule == nil {
			continue
		}
		text, err := os.ReadFile(p.Rule.Path)
		require.NoError(tb, err)
		rule, err := sigma.ParseRule(text)
		if err != nil {
			h.refused++
			continue
		}
		h.parsed++
		ev := evaluator.ForRule(rule)
		for _, ch := range p.Channels {
			codes := []int64{0}
			if m := selectorCodes.FindStringSubmatch(ch.Selector); m != nil {
				codes = nil
				for _, s := range bytes.Split([]byte(m[1]), []byte(",")) {
					n, err := strconv.ParseInt(string(bytes.TrimSpace(s)), 10, 64)
					require.NoError(tb, err)
					codes = append(codes, n)
				}
			}
			if h.byKey[ch.LogSource] == nil {
				h.byKey[ch.LogSource] = map[int64][]*evaluator.RuleEvaluator{}
			}
			for _, code := range codes {
				h.byKey[ch.LogSource][code] = append(h.byKey[ch.LogSource][code], ev)
			}
		}
	}
	return h
}

// routedLine is a raw line with the rules sigma-go meets it with (routing is not timed).
type routedLine struct {
	line  []byte
	rules [][]*evaluator.RuleEvaluator
}

// sigmaGoHQ is sigma-go over the datasets: the lines, routed untimed.
type sigmaGoHQ struct {
	lines             []routedLine
	matches, failures int
}

func newSigmaGoHQ(tb testing.TB, c *sigmaHQ) *sigmaGoHQ {
	h := newHQRules(tb, c.set)
	sg := &sigmaGoHQ{}
	c.each(tb, func(ev *event.Event) {
		var code int64
		if v, ok := ev.Get("EventCode"); ok {
			switch n := v.(type) {
			case int64:
				code = n
			case float64:
				code = int64(n)
			}
		}
		sg.lines = append(sg.lines, routedLine{line: []byte(ev.Raw()), rules: [][]*evaluator.RuleEvaluator{
			h.byKey[ev.LogSource][code], h.byKey[ev.LogSource][0]}})
	})
	return sg
}

// pass decodes each line with encoding/json and evaluates its rules; a rule sigma-go fails
// on (a modifier or field shape it does not support) counts as an error.
func (sg *sigmaGoHQ) pass(tb testing.TB) {
	ctx := context.Background()
	for _, rl := range sg.lines {
		var m map[string]any
		if err := json.Unmarshal(rl.line, &m); err != nil {
			tb.Fatal(err)
		}
		for _, rs := range rl.rules {
			for _, r := range rs {
				res, err := r.Matches(ctx, m)
				switch {
				case err != nil:
					sg.failures++
				case res.Match:
					sg.matches++
				}
			}
		}
	}
}
