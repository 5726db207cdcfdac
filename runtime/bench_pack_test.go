package runtime_test

// Pack-scale benchmarks (issue 5): the runtime over a synthetic pack of bound plans shaped
// like the enterprise analytics, next to the same logic as hand-written Go closures behind
// the same routing index (internal/synth). Only the runtime's exported API is used.
//
//	go test ./runtime -run XXX -bench 'Pack|SinglePlan' -benchtime 3x -count 3
//	go test ./runtime -run XXX -bench IdleGroupKeys -benchtime 1x

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	goruntime "runtime"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/stixcel/stixcel/event"
	"github.com/stixcel/stixcel/internal/synth"
	"github.com/stixcel/stixcel/plan"
	"github.com/stixcel/stixcel/runtime"
)

// packEvents is the length of the stream one benchmark pass reads.
const packEvents = 5000

// BenchmarkPack1700 reads and decodes the stream with runtime.NewReader and runs 1,700 plans.
func BenchmarkPack1700(b *testing.B) {
	pack := synth.New(synth.DefaultSeed, synth.PackSize)
	benchEngine(b, pack.Plans(), synth.JSONL(pack.Events(packEvents)), true)
}

// BenchmarkPack1700Process measures Engine.Process alone over events decoded beforehand.
func BenchmarkPack1700Process(b *testing.B) {
	pack := synth.New(synth.DefaultSeed, synth.PackSize)
	benchEngine(b, pack.Plans(), synth.JSONL(pack.Events(packEvents)), false)
}

// BenchmarkPack1700Native is BenchmarkPack1700 with the pack as Go closures.
func BenchmarkPack1700Native(b *testing.B) {
	pack := synth.New(synth.DefaultSeed, synth.PackSize)
	benchNative(b, pack, synth.JSONL(pack.Events(packEvents)), true)
}

// BenchmarkPack1700NativeProcess is BenchmarkPack1700Process with the pack as Go closures.
func BenchmarkPack1700NativeProcess(b *testing.B) {
	pack := synth.New(synth.DefaultSeed, synth.PackSize)
	benchNative(b, pack, synth.JSONL(pack.Events(packEvents)), false)
}

// BenchmarkSinglePlan runs one plan like AN1030's c1 (Sysmon 10, TargetImage ends with
// lsass.exe, GrantedAccess in a list) over Sysmon 10 events decoded beforehand: every
// event reaches the predicate.
func BenchmarkSinglePlan(b *testing.B) {
	pack := synth.Single(synth.DefaultSeed)
	benchEngine(b, pack.Plans(), synth.JSONL(pack.Events(packEvents)), false)
}

// BenchmarkSinglePlanNative is BenchmarkSinglePlan as a Go closure.
func BenchmarkSinglePlanNative(b *testing.B) {
	pack := synth.Single(synth.DefaultSeed)
	benchNative(b, pack, synth.JSONL(pack.Events(packEvents)), false)
}

// benchEngine runs one pass over the stream per iteration with a fresh engine. With
// timeDecode the pass includes reading and decoding; otherwise the events are read before
// the timer starts, on every pass (so that nothing decoded lazily carries over).
func benchEngine(b *testing.B, set *plan.Set, jsonl []byte, timeDecode bool) {
	alerts, events := 0, 0
	emit := func(runtime.Output) { alerts++ }
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		b.StopTimer()
		eng, err := runtime.New(set)
		require.NoError(b, err)
		var decoded []*event.Event
		if !timeDecode {
			decoded = readAll(b, jsonl)
		}
		b.StartTimer()
		if timeDecode {
			events += eachEvent(b, jsonl, func(ev *event.Event) { eng.Process(context.Background(), ev, emit) })
		} else {
			for _, ev := range decoded {
				eng.Process(context.Background(), ev, emit)
			}
			events += len(decoded)
		}
		eng.Flush(emit)
	}
	reportRate(b, events, alerts)
}

// benchNative is benchEngine with the pack's native closures. They read each event as
// hand-written Go would: decoded with encoding/json into a map (whole numbers int64, as the
// runtime's reader did before it read lazily), with or without that decoding in the pass.
func benchNative(b *testing.B, pack *synth.Pack, jsonl []byte, timeDecode bool) {
	alerts, events := 0, 0
	lines := bytes.Split(bytes.TrimSuffix(jsonl, []byte("\n")), []byte("\n"))
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		b.StopTimer()
		native := pack.Native()
		var decoded []nativeEvent
		if !timeDecode {
			decoded = decodeAll(b, lines)
		}
		b.StartTimer()
		if timeDecode {
			for _, l := range lines {
				ev := decodeNative(b, l)
				alerts += native.Process(ev.logSource, ev.at, ev.fields)
			}
		} else {
			for _, ev := range decoded {
				alerts += native.Process(ev.logSource, ev.at, ev.fields)
			}
		}
		events += len(lines)
	}
	reportRate(b, events, alerts)
}

// nativeEvent is an event as the native closures read it.
type nativeEvent struct {
	logSource string
	at        time.Time
	fields    map[string]any
}

func decodeAll(tb testing.TB, lines [][]byte) []nativeEvent {
	out := make([]nativeEvent, len(lines))
	for i, l := range lines {
		out[i] = decodeNative(tb, l)
	}
	return out
}

// decodeNative decodes a line with encoding/json, whole numbers as int64.
func decodeNative(tb testing.TB, line []byte) nativeEvent {
	dec := json.NewDecoder(bytes.NewReader(line))
	dec.UseNumber()
	var fields map[string]any
	if err := dec.Decode(&fields); err != nil {
		tb.Fatalf("decode %s: %v", line, err)
	}
	for k, v := range fields {
		if n, ok := v.(json.Number); ok {
			if i, err := n.Int64(); err == nil {
				fields[k] = i
			} else if f, err := n.Float64(); err == nil {
				fields[k] = f
			}
		}
	}
	src, _ := fields["log_source"].(string)
	ts, _ := fields["time"].(string)
	at, err := time.Parse(time.RFC3339Nano, ts)
	if err != nil {
		tb.Fatalf("time of %s: %v", line, err)
	}
	return nativeEvent{logSource: src, at: at, fields: fields}
}

func reportRate(b *testing.B, events, alerts int) {
	b.ReportMetric(float64(events)/b.Elapsed().Seconds(), "events/s")
	b.ReportMetric(float64(alerts)/float64(b.N), "alerts/pass")
}

// eachEvent reads JSONL with runtime.NewReader and calls fn per event; it returns the count.
func eachEvent(tb testing.TB, jsonl []byte, fn func(*event.Event)) int {
	return eachEventFrom(tb, bytes.NewReader(jsonl), "synth.jsonl", fn)
}

func readAll(tb testing.TB, jsonl []byte) []*event.Event {
	var out []*event.Event
	eachEvent(tb, jsonl, func(ev *event.Event) { out = append(out, ev) })
	return out
}

// TestPackAlertsMatchNative checks that the benchmarks compare like with like: every plan
// that alerts per event alerts on exactly the events and channels its native closures match.
func TestPackAlertsMatchNative(t *testing.T) {
	pack := synth.New(synth.DefaultSeed, 400)
	jsonl := synth.JSONL(pack.Events(4000))
	eng, err := runtime.New(pack.Plans())
	require.NoError(t, err)

	var got []string
	collect := func(o runtime.Output) {
		a, ok := o.(*runtime.Alert)
		require.True(t, ok, "only alerts: %T", o)
		if len(a.Channels) == 0 || len(a.Channels[0].Events) == 0 || correlated(pack, a.Analytic) {
			return
		}
		line := a.Channels[0].Events[0].Line
		var ids []string
		for _, c := range a.Channels {
			ids = append(ids, c.ID)
		}
		got = append(got, fmt.Sprintf("line %d %s %v", line, a.Analytic, ids))
	}
	eachEvent(t, jsonl, func(ev *event.Event) { eng.Process(context.Background(), ev, collect) })
	eng.Flush(collect)

	var want []string
	native := pack.Native()
	for i, l := range bytes.Split(bytes.TrimSuffix(jsonl, []byte("\n")), []byte("\n")) {
		line := i + 1
		ev := decodeNative(t, l)
		hits := map[int][]string{}
		var order []int
		native.Match(ev.logSource, ev.fields, func(ri, ci int) {
			r := pack.Rules[ri]
			if r.Correlated {
				return
			}
			if _, seen := hits[ri]; !seen {
				order = append(order, ri)
			}
			hits[ri] = append(hits[ri], r.Channels[ci].ID)
		})
		for _, ri := range order {
			want = append(want, fmt.Sprintf("line %d %s %v", line, pack.Rules[ri].ID, hits[ri]))
		}
	}
	assert.Greater(t, len(want), 10, "the stream exercises the pack")
	assert.ElementsMatch(t, want, got)
	if st := eng.Stats(); st.EvalErrors > 0 {
		t.Errorf("%d evaluation errors, want none (every tested field is present); first: %+v", st.EvalErrors, st.ErrorsBy[0])
	}
}

func correlated(pack *synth.Pack, id string) bool {
	for _, r := range pack.Rules {
		if r.ID == id {
			return r.Correlated
		}
	}
	return false
}

// idleKeys is how many distinct group keys BenchmarkIdleGroupKeys creates.
const idleKeys = 1_000_000

// BenchmarkIdleGroupKeys opens 1,000,000 distinct group keys on a plan with a condition that
// never holds and a 10m window, measures the heap per idle key (after GC), then moves event
// time past the window and measures what is left. Run it with -benchtime 1x.
func BenchmarkIdleGroupKeys(b *testing.B) {
	if testing.Short() {
		b.Skip("creates a million group keys")
	}
	set := idleKeySet()
	var perKey, leftPerKey float64
	for range b.N {
		before := heapAfterGC()
		eng, err := runtime.New(set, runtime.WithMaxGroups(2*idleKeys), runtime.WithMaxState(1<<40)) // every key stays live: this measures memory, not the caps
		require.NoError(b, err)
		stream := &keyStream{n: idleKeys}
		n := eachEventFrom(b, stream, "keys.jsonl", func(ev *event.Event) { eng.Process(context.Background(), ev, func(runtime.Output) {}) })
		require.Equal(b, idleKeys, n)
		require.Equal(b, idleKeys, eng.Stats().LiveGroups)
		live := heapAfterGC()

		// One event of another host, past the window: every idle group is dropped.
		late := &keyStream{n: 1, first: idleKeys, offset: 11 * time.Minute}
		eachEventFrom(b, late, "keys.jsonl", func(ev *event.Event) { eng.Process(context.Background(), ev, func(runtime.Output) {}) })
		groups := eng.Stats().LiveGroups
		after := heapAfterGC()
		goruntime.KeepAlive(eng)

		require.LessOrEqual(b, groups, 1, "groups idle for longer than the window are dropped")
		perKey = float64(int64(live)-int64(before)) / idleKeys
		leftPerKey = float64(int64(after)-int64(before)) / idleKeys
		b.Logf("heap: %d MB before, %d MB with %d idle keys, %d MB after the window (%d live groups)",
			before>>20, live>>20, idleKeys, after>>20, groups)
	}
	b.ReportMetric(perKey, "B/idle-key")
	b.ReportMetric(leftPerKey, "B/key-after-window")
}

// idleKeySet is one plan grouped by host whose condition needs two channels; the stream
// only ever matches c1, so every group stays open and idle.
func idleKeySet() *plan.Set {
	return &plan.Set{Schema: plan.Schema, Plans: []*plan.Plan{{
		ID: "SYN90001", Name: "idle keys", Kind: plan.KindDetection, Params: []*plan.Param{},
		Channels: []*plan.Channel{
			{ID: "c1", LogSource: synth.Sysmon, Selector: "event.EventCode == 1", Origin: plan.OriginBound,
				Route:     &plan.Route{Field: "EventCode", Values: []any{int64(1)}},
				Predicate: `event.Image.lowerAscii().endsWith("\\rundll32.exe")`},
			{ID: "c2", LogSource: synth.Sysmon, Selector: "event.EventCode == 11", Origin: plan.OriginBound,
				Route:     &plan.Route{Field: "EventCode", Values: []any{int64(11)}},
				Predicate: `event.TargetFilename.lowerAscii().endsWith(".dmp")`},
		},
		Correlation: plan.Correlation{GroupBy: []string{"host"}, WindowLiteral: "10m", Condition: "c1 && c2"},
	}}}
}

// keyStream generates Sysmon 1 events of distinct hosts, 100µs apart, without holding them.
type keyStream struct {
	n, first int           // events to write, index of the first
	offset   time.Duration // added to every event time
	i        int
	buf      []byte
}

var keyStreamStart = time.Date(2026, 3, 20, 9, 0, 0, 0, time.UTC)

func (s *keyStream) Read(p []byte) (int, error) {
	for len(s.buf) < len(p) && s.i < s.n {
		k := s.first + s.i
		at := keyStreamStart.Add(time.Duration(k)*100*time.Microsecond + s.offset)
		s.buf = append(s.buf, `{"time":"`...)
		s.buf = at.AppendFormat(s.buf, time.RFC3339Nano)
		s.buf = append(s.buf, `","log_source":"WinEventLog:Sysmon","EventCode":1,"host":"host-`...)
		s.buf = strconv.AppendInt(s.buf, int64(k), 10)
		s.buf = append(s.buf, `","Image":"C:\\Windows\\System32\\rundll32.exe","CommandLine":"rundll32.exe shell32.dll,Control_RunDLL"}`+"\n"...)
		s.i++
	}
	if len(s.buf) == 0 {
		return 0, io.EOF
	}
	n := copy(p, s.buf)
	s.buf = s.buf[:copy(s.buf, s.buf[n:])]
	return n, nil
}

func eachEventFrom(tb testing.TB, r io.Reader, name string, fn func(*event.Event)) int {
	rd := event.NewReader(r, name, nil)
	n := 0
	for {
		ev, rej, err := rd.Next()
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

func heapAfterGC() uint64 {
	goruntime.GC()
	var m goruntime.MemStats
	goruntime.ReadMemStats(&m)
	return m.HeapAlloc
}
