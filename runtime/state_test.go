package runtime

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	goruntime "runtime"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/stixcel/stixcel/event"
	"github.com/stixcel/stixcel/plan"
)

// idlePlan groups by key and splits c1's matches by series; its condition needs c2, which
// no event matches, so every match stays in the window.
func idlePlan(id string) *plan.Plan {
	return &plan.Plan{ID: id, Kind: plan.KindDetection,
		Channels: []*plan.Channel{
			{ID: "c1", LogSource: "x", Predicate: "event.n >= 0", SeriesBy: []string{"series"}},
			{ID: "c2", LogSource: "x", Predicate: "event.n < 0"}},
		Correlation: plan.Correlation{GroupBy: []string{"key"}, WindowLiteral: "1000h",
			Condition: `c1 && c2 && channels.c1.distinct() > 0`}}
}

// hostileLines generates JSONL without holding it: event i has group key keyOf(i) and
// series value seriesOf(i), a millisecond apart.
type hostileLines struct {
	n        int
	keyOf    func(i int) string
	seriesOf func(i int) string
	i        int
	buf      []byte
}

func (h *hostileLines) Read(p []byte) (int, error) {
	for len(h.buf) == 0 {
		if h.i == h.n {
			return 0, io.EOF
		}
		at := t0.Add(time.Duration(h.i) * time.Millisecond).Format(time.RFC3339Nano)
		h.buf = fmt.Appendf(h.buf[:0], `{"time":%q,"log_source":"x","n":%d,"key":%q,"series":%q}`+"\n",
			at, h.i, h.keyOf(h.i), h.seriesOf(h.i))
		h.i++
	}
	n := copy(p, h.buf)
	h.buf = h.buf[n:]
	return n, nil
}

// runHostile runs the generated lines, measuring the heap in use before Flush.
func runHostile(t *testing.T, set *plan.Set, lines *hostileLines, opts ...Option) (Stats, []Output, uint64) {
	t.Helper()
	eng, err := New(set, opts...)
	require.NoError(t, err)
	var out []Output
	emit := func(o Output) { out = append(out, o) }
	before := heapInUse()
	r := event.NewReader(lines, "hostile.jsonl", nil)
	for {
		ev, rej, err := r.Next()
		if err == io.EOF {
			break
		}
		require.NoError(t, err)
		require.Nil(t, rej)
		require.NoError(t, eng.Process(context.Background(), ev, emit))
	}
	eng.Sync()
	held := heapInUse() - min(before, heapInUse())
	eng.Flush(emit)
	return eng.Stats(), out, held
}

func heapInUse() uint64 {
	goruntime.GC()
	var m goruntime.MemStats
	goruntime.ReadMemStats(&m)
	return m.HeapInuse
}

// TestStateBudgetHostile runs the hostile streams, scaled down: long group values
// under a group cap of one (the cap is checked every 512 events, and a group kept the whole
// value), many keys of long values, and one group whose window only grows. The state stays
// within the budget plus the margin between two checks, for 1 and 2 workers alike.
func TestStateBudgetHostile(t *testing.T) {
	long := func(size int) func(int) string {
		return func(i int) string { return fmt.Sprintf("%08d", i) + strings.Repeat("v", size-8) }
	}
	short := func(i int) string { return fmt.Sprintf("s%d", i) }
	const margin = 512 * 4 << 10 // growth between two checks: 512 events × ~4 KiB
	tests := []struct {
		name    string
		lines   hostileLines
		opts    []Option
		budget  int64
		peakMax int64
		evicted bool
	}{
		{name: "300 keys of 256 KiB, --max-groups 1",
			lines:  hostileLines{n: 300, keyOf: long(256 << 10), seriesOf: short},
			opts:   []Option{WithMaxGroups(1)},
			budget: DefaultMaxState, peakMax: 1 << 20},
		{name: "2000 keys of 16 KiB with 16 KiB series values",
			lines:  hostileLines{n: 2000, keyOf: long(16 << 10), seriesOf: long(16 << 10)},
			budget: 256 << 10, peakMax: 256<<10 + margin, evicted: true},
		{name: "50,000 short keys, two matches each",
			lines:  hostileLines{n: 100_000, keyOf: func(i int) string { return fmt.Sprintf("k%d", i%50_000) }, seriesOf: short},
			budget: DefaultMaxState, peakMax: DefaultMaxState},
		{name: "200,000 matches in one group",
			lines:  hostileLines{n: 200_000, keyOf: func(int) string { return "one" }, seriesOf: short},
			budget: 4 << 20, peakMax: 4<<20 + margin, evicted: true},
	}
	set := &plan.Set{Schema: plan.Schema, Plans: []*plan.Plan{idlePlan("AN0001")}}
	for _, tc := range tests {
		for _, workers := range []int{1, 2} {
			t.Run(fmt.Sprintf("%s, %d workers", tc.name, workers), func(t *testing.T) {
				lines := tc.lines
				opts := append([]Option{WithMaxState(tc.budget), WithWorkers(workers)}, tc.opts...)
				stats, _, held := runHostile(t, set, &lines, opts...)
				t.Logf("peak state %d KiB, %d groups evicted for the budget; heap held before Flush %d KiB",
					stats.PeakState>>10, stats.StateEvicted, held>>10)
				assert.Positive(t, stats.PeakState)
				assert.LessOrEqual(t, stats.PeakState, tc.peakMax)
				assert.Equal(t, tc.evicted, stats.StateEvicted > 0)
			})
		}
	}
}

// TestLongGroupValueShownByPrefix keys alerts of long values by digest: two values that
// share their first 256 bytes are two groups, each shown by its prefix, length and digest.
func TestLongGroupValueShownByPrefix(t *testing.T) {
	prefix := strings.Repeat("é", 200) // 400 bytes: the cut falls inside no rune
	values := []string{prefix + "-one", prefix + "-two", "short"}
	set := &plan.Set{Schema: plan.Schema, Plans: []*plan.Plan{keyedPlan("AN0001")}}
	lines := hostileLines{n: 3, keyOf: func(i int) string { return values[i] }, seriesOf: func(int) string { return "" }}
	_, out, _ := runHostile(t, set, &lines)
	require.Len(t, out, 3)
	var got []any
	for _, o := range out {
		got = append(got, o.(*Alert).Group["key"])
	}
	shown := func(v string) string {
		sum := sha256.Sum256([]byte(v))
		return fmt.Sprintf("%s… (%d bytes, sha256:%s…)", strings.Repeat("é", 128), len(v), hex.EncodeToString(sum[:])[:16])
	}
	assert.ElementsMatch(t, []any{shown(values[0]), shown(values[1]), "short"}, got)
}

// TestStateBudgetSameForAnyWorkers runs random streams of short and long keys under a
// budget small enough to evict at every check: alerts, evictions and stats are those of one
// worker for 2 and 3 workers.
func TestStateBudgetSameForAnyWorkers(t *testing.T) {
	set := &plan.Set{Schema: plan.Schema, Plans: []*plan.Plan{keyedPlan("AN0001"), idlePlan("AN0002"), keyedPlan("AN0003")}}
	for seed := range uint64(8) {
		r := rand.New(rand.NewPCG(seed, 11))
		keys := 5 + r.IntN(200)
		var events []*event.Event
		at := t0
		for i := range 1100 + r.IntN(600) {
			at = at.Add(time.Duration(r.IntN(3000)) * time.Millisecond)
			key := fmt.Sprintf("k%d", r.IntN(keys))
			if r.IntN(4) == 0 {
				key += strings.Repeat("x", 300)
			}
			events = append(events, &event.Event{Time: at, LogSource: "x", Source: "s.jsonl", Line: i + 1,
				Fields: map[string]any{"key": key, "n": int64(i), "series": fmt.Sprintf("s%d", r.IntN(7))}})
		}
		want, wantStats := run(t, set, events, WithMaxState(30<<10))
		require.Positive(t, wantStats.StateEvicted, "seed %d: the budget evicts", seed)
		for workers := 2; workers <= 3; workers++ {
			got, stats := run(t, set, events, WithMaxState(30<<10), WithWorkers(workers))
			require.Equal(t, want, got, "seed %d, %d workers", seed, workers)
			require.Equal(t, wantStats, stats, "seed %d, %d workers", seed, workers)
		}
	}
}

// TestEvidenceCountsInState: what a window keeps of each match's fields counts in the state,
// close to the heap it holds, both while matches wait in a window and once an open alert
// holds them; and the fields' long values are kept by a bounded prefix.
func TestEvidenceCountsInState(t *testing.T) {
	withFields := idlePlan("AN0001")
	withFields.Channels[0].Fields = []string{"n", "key", "series"}
	const n = 20_000
	long := func(i int) string { return fmt.Sprintf("%08d", i) + strings.Repeat("v", 4<<10) }
	for _, tc := range []struct {
		name  string
		p     *plan.Plan
		minKB int64
	}{
		{"without fields", idlePlan("AN0001"), 0},
		{"with fields", withFields, n * (2 * MaxEvidenceValue) >> 10},
	} {
		t.Run(tc.name, func(t *testing.T) {
			set := &plan.Set{Schema: plan.Schema, Plans: []*plan.Plan{tc.p}}
			lines := hostileLines{n: n, keyOf: func(int) string { return "one" }, seriesOf: long}
			stats, _, held := runHostile(t, set, &lines)
			t.Logf("peak state %d KiB, heap held %d KiB", stats.PeakState>>10, held>>10)
			assert.GreaterOrEqual(t, stats.PeakState>>10, tc.minKB, "evidence is counted")
			assert.Less(t, int64(held), stats.PeakState*5/4+(2<<20), "the state is counted within a quarter of the heap it holds")
		})
	}
}

func TestEvidenceValuesAreBounded(t *testing.T) {
	long := strings.Repeat("é", 300) // 600 bytes: cut at a character boundary
	set := &plan.Set{Schema: plan.Schema, Plans: []*plan.Plan{{ID: "AN0001", Kind: plan.KindDetection,
		Channels: []*plan.Channel{{ID: "c1", LogSource: "x", Predicate: "event.n >= 0",
			Fields: []string{"n", "s", "obj", "list", "missing", "f1", "f2", "f3", "f4", "f5", "f6", "f7", "f8", "f9", "f10", "f11", "f12"}}},
		Correlation: plan.Correlation{GroupBy: []string{"k"}, WindowLiteral: "1h", Condition: "c1"}}}}
	line := fmt.Sprintf(`{"time":"2026-03-20T09:00:00Z","log_source":"x","k":"a","n":1,"s":%q,"obj":{"a":[1,2]},"list":[%q],"f1":null,"f2":true,"f3":1.5}`, long, long)
	r := event.NewReader(strings.NewReader(line+"\n"), "b.jsonl", nil)
	ev, rej, err := r.Next()
	require.NoError(t, err)
	require.Nil(t, rej)
	out, _ := run(t, set, []*event.Event{ev})
	require.Len(t, out, 1)
	e := out[0].(*Alert).Channels[0].Events[0]
	require.Len(t, e.Fields, 7, "missing fields are left out; at most MaxEvidenceFields are read")
	assert.Equal(t, EvidenceField{"n", int64(1), 0}, e.Fields[0])
	assert.Equal(t, EvidenceField{"s", strings.Repeat("é", 128), 600}, e.Fields[1])
	assert.Equal(t, "obj", e.Fields[2].Name)
	assert.JSONEq(t, `{"a":[1,2]}`, string(e.Fields[2].Value.(json.RawMessage)))
	assert.Len(t, e.Fields[3].Value, 256, "a long list is the start of its JSON text")
	assert.Equal(t, map[string]int{"s": 600, "list": 604}, e.Fields.Truncated())
	assert.Equal(t, EvidenceField{"f1", nil, 0}, e.Fields[4])
	assert.Equal(t, EvidenceField{"f2", true, 0}, e.Fields[5])
	assert.Equal(t, EvidenceField{"f3", 1.5, 0}, e.Fields[6])
}
