package event

import (
	"fmt"
	"io"
	"math/rand/v2"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var base = time.Date(2026, 3, 20, 9, 0, 0, 0, time.UTC)

// line is one normalized event at base+at.
func line(at time.Duration, id int) string {
	return fmt.Sprintf(`{"time":%q,"log_source":"x","id":%d}`, base.Add(at).Format(time.RFC3339Nano), id)
}

// input is a named JSONL text.
type input struct{ name, text string }

// mergeResult is what a merge gave: the events in order (as "file:line@time"), the
// rejections (as their message, sorted: they come as read) and the counts.
type mergeResult struct {
	events     []string
	rejections []string
	stats      ReadStats
}

func merge(t *testing.T, opts MergeOptions, inputs ...input) mergeResult {
	t.Helper()
	var readers []*Reader
	for _, in := range inputs {
		readers = append(readers, NewReader(strings.NewReader(in.text), in.name, nil))
	}
	m := NewMerger(opts, readers...)
	var res mergeResult
	for {
		ev, rej, err := m.Next()
		read, processed := m.Counts()
		st := m.Stats()
		require.Equal(t, [2]int64{st.Read, st.Processed}, [2]int64{read, processed}, "Counts is Stats' counts")
		if err == io.EOF {
			break
		}
		require.NoError(t, err)
		if rej != nil {
			res.rejections = append(res.rejections, rej.Error())
			continue
		}
		res.events = append(res.events, fmt.Sprintf("%s:%d@%s", ev.Source, ev.Line, ev.Time.Sub(base)))
	}
	sort.Strings(res.rejections)
	res.stats = m.Stats()
	return res
}

// stream is n events at random times in a span, as lines in time order.
func stream(r *rand.Rand, n int, span time.Duration) []time.Duration {
	times := make([]time.Duration, n)
	for i := range times {
		times[i] = time.Duration(r.Int64N(int64(span)))
	}
	sort.Slice(times, func(i, j int) bool { return times[i] < times[j] })
	return times
}

// jitter returns the sorted times shuffled within lateness: each event moves back by less
// than lateness relative to the ones after it, as a collector that batches would deliver.
func jitter(r *rand.Rand, times []time.Duration, lateness time.Duration) []int {
	order := make([]int, len(times))
	keys := make([]time.Duration, len(times))
	for i := range order {
		order[i] = i
		keys[i] = times[i] + time.Duration(r.Int64N(int64(lateness)))
	}
	sort.SliceStable(order, func(a, b int) bool { return keys[order[a]] < keys[order[b]] })
	return order
}

func text(times []time.Duration, order []int) string {
	var b strings.Builder
	for _, i := range order {
		b.WriteString(line(times[i], i) + "\n")
	}
	return b.String()
}

func identity(n int) []int {
	order := make([]int, n)
	for i := range order {
		order[i] = i
	}
	return order
}

// TestMergeOrderIndependent: any permutation of the inputs, and any arrival order within
// the lateness, gives the events of the sorted stream in one order, and the same counts.
func TestMergeOrderIndependent(t *testing.T) {
	const lateness = 2 * time.Minute
	for seed := range uint64(30) {
		r := rand.New(rand.NewPCG(seed, 1))
		var sorted, shuffled []input
		for i := range 1 + r.IntN(4) {
			times := stream(r, 1+r.IntN(60), time.Duration(1+r.IntN(30))*time.Minute)
			name := fmt.Sprintf("f%d.jsonl", i)
			sorted = append(sorted, input{name, text(times, identity(len(times)))})
			shuffled = append(shuffled, input{name, text(times, jitter(r, times, lateness))})
		}
		want := merge(t, MergeOptions{Lateness: lateness}, sorted...)
		require.Empty(t, want.rejections)
		assertSorted(t, want.events)
		r.Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
		got := merge(t, MergeOptions{Lateness: lateness}, shuffled...)
		assert.Empty(t, got.rejections, "seed %d", seed)
		assert.Equal(t, eventTimes(want.events), eventTimes(got.events), "seed %d: the sorted stream", seed)
		assert.Equal(t, want.stats, got.stats, "seed %d", seed)
	}
}

// TestMergePermutationsAgree: late events and all, the inputs in any order give the same
// events in the same order, the same rejections and the same counts.
func TestMergePermutationsAgree(t *testing.T) {
	for seed := range uint64(30) {
		r := rand.New(rand.NewPCG(seed, 2))
		var inputs []input
		for i := range 2 + r.IntN(3) {
			times := stream(r, 1+r.IntN(40), 20*time.Minute)
			inputs = append(inputs, input{fmt.Sprintf("f%d.jsonl", i), text(times, jitter(r, times, 5*time.Minute))})
		}
		opts := MergeOptions{Lateness: time.Minute} // less than the jitter: some events are late
		want := merge(t, opts, inputs...)
		assertSorted(t, want.events)
		assert.Equal(t, want.stats.Read, want.stats.Processed+want.stats.RejectedTotal())
		for range 3 {
			r.Shuffle(len(inputs), func(i, j int) { inputs[i], inputs[j] = inputs[j], inputs[i] })
			assert.Equal(t, want, merge(t, opts, inputs...), "seed %d", seed)
		}
	}
}

func TestMergeRejects(t *testing.T) {
	tests := []struct {
		name      string
		lines     []string
		wantOrder []string
		wantRej   []string
	}{
		{
			name:      "late by more than the lateness",
			lines:     []string{line(10*time.Minute, 1), line(0, 2), line(7*time.Minute, 3), line(11*time.Minute, 4)},
			wantOrder: []string{"in.jsonl:3@7m0s", "in.jsonl:1@10m0s", "in.jsonl:4@11m0s"},
			wantRej:   []string{"in.jsonl:2: late: by 5m0s (the input is at 2026-03-20T09:10:00Z, lateness 5m0s)"},
		},
		{
			name:      "before 1970",
			lines:     []string{line(0, 1), `{"time":"0000-01-01T00:00:00Z","log_source":"x"}`, line(time.Minute, 3)},
			wantOrder: []string{"in.jsonl:1@0s", "in.jsonl:3@1m0s"},
			wantRej:   []string{"in.jsonl:2: time out of range: 0000-01-01T00:00:00Z is before 1970"},
		},
		{
			name:      "far ahead, never moving the watermark",
			lines:     []string{line(0, 1), `{"time":"9999-12-31T23:59:59Z","log_source":"x"}`, line(time.Minute, 3)},
			wantOrder: []string{"in.jsonl:1@0s", "in.jsonl:3@1m0s"},
			wantRej: []string{"in.jsonl:2: time out of range: 9999-12-31T23:59:59Z is over 292 years ahead of the input's " +
				"latest time 2026-03-20T09:00:00Z (at most 24h0m0s)"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := merge(t, MergeOptions{Lateness: 5 * time.Minute}, input{"in.jsonl", strings.Join(tc.lines, "\n") + "\n"})
			assert.Equal(t, tc.wantOrder, got.events)
			assert.Equal(t, tc.wantRej, got.rejections)
			assert.Equal(t, int64(len(tc.lines)), got.stats.Read)
			assert.Equal(t, int64(len(tc.wantOrder)), got.stats.Processed)
			assert.Equal(t, int64(len(tc.wantRej)), got.stats.RejectedTotal())
		})
	}
}

// TestMergeTies orders events of equal time by source, then line, whatever the input order.
func TestMergeTies(t *testing.T) {
	a := input{"a.jsonl", line(0, 1) + "\n" + line(0, 2) + "\n"}
	b := input{"b.jsonl", line(0, 3) + "\n"}
	want := []string{"a.jsonl:1@0s", "a.jsonl:2@0s", "b.jsonl:1@0s"}
	assert.Equal(t, want, merge(t, MergeOptions{}, a, b).events)
	assert.Equal(t, want, merge(t, MergeOptions{}, b, a).events)
}

// TestMergeHoldsOnlyTheLateness: a sorted input is released as its watermark passes, not at
// its end, so a live stream's events reach the engine lateness after they happen.
func TestMergeHoldsOnlyTheLateness(t *testing.T) {
	pr, pw := io.Pipe()
	m := NewMerger(MergeOptions{Lateness: time.Minute}, NewReader(pr, "live", nil))
	go func() {
		for i := range 3 {
			_, _ = io.WriteString(pw, line(time.Duration(i)*time.Minute, i)+"\n")
		}
		// the pipe stays open: the third event's input is still live
	}()
	ev, rej, err := m.Next()
	require.NoError(t, err)
	require.Nil(t, rej)
	assert.Equal(t, base, ev.Time, "released once the input reached base+2m")
	_ = pw.Close()
}

func assertSorted(t *testing.T, events []string) {
	t.Helper()
	times := eventTimes(events)
	assert.True(t, sort.SliceIsSorted(times, func(i, j int) bool { return times[i] < times[j] }), "events in time order")
}

func eventTimes(events []string) []time.Duration {
	out := make([]time.Duration, len(events))
	for i, e := range events {
		d, err := time.ParseDuration(e[strings.LastIndexByte(e, '@')+1:])
		if err != nil {
			panic(err)
		}
		out[i] = d
	}
	return out
}

// TestMergerHeldBudget: events held for the lateness are bounded in bytes. Past MaxHeld the
// oldest are released early, the stream stays in time order, every line is still accounted
// for (late ones rejected with a reason), and Forced says how many were released early.
func TestMergerHeldBudget(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 11))
	times := stream(r, 400, time.Hour)
	pad := strings.Repeat("x", 10_000)
	var lines []string
	for _, i := range jitter(r, times, 5*time.Minute) {
		lines = append(lines, fmt.Sprintf(`{"time":%q,"log_source":"x","pad":%q}`, base.Add(times[i]).Format(time.RFC3339Nano), pad))
	}
	text := strings.Join(lines, "\n") + "\n"

	for _, tc := range []struct {
		name       string
		maxHeld    int64
		wantForced bool
	}{
		{"within the budget", 0, false},
		{"over a budget of ten events", 10 * 10_400, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := NewMerger(MergeOptions{Lateness: 5 * time.Minute, MaxHeld: tc.maxHeld}, NewReader(strings.NewReader(text), "in.jsonl", nil))
			var last time.Time
			var peak int64
			for {
				ev, rej, err := m.Next()
				if err == io.EOF {
					break
				}
				require.NoError(t, err)
				peak = max(peak, m.held.bytes)
				if rej != nil {
					assert.Equal(t, ReasonLate, rej.Reason)
					assert.Contains(t, rej.Detail, "already released")
					continue
				}
				assert.False(t, ev.Time.Before(last), "released out of order")
				last = ev.Time
			}
			st := m.Stats()
			assert.Equal(t, int64(400), st.Processed+st.RejectedTotal())
			assert.Equal(t, tc.wantForced, m.Forced() > 0, "forced %d", m.Forced())
			if tc.maxHeld > 0 {
				assert.LessOrEqual(t, peak, tc.maxHeld+11_000, "held bytes past the budget by more than one event")
			}
		})
	}
}

// deriving is a Decoder as a source profile is one: each line's event holds fields derived
// from the raw ones, here the raw `cmd` six times over, as map fields (keep_raw off) or as
// overrides of the raw line (keep_raw on).
type deriving struct{ keepRaw bool }

func (d deriving) Decode(line []byte) (*Event, *Invalid) {
	ev, bad := Normalized{}.Decode(line)
	if bad != nil {
		return nil, bad
	}
	cmd, _ := ev.Get("cmd")
	cmd6 := strings.Repeat(cmd.(string), 6)
	if d.keepRaw {
		ev.Overrides = []Override{{Name: "cmd6", Value: cmd6, Set: true}}
		return ev, nil
	}
	return &Event{Time: ev.Time, LogSource: ev.LogSource, Fields: map[string]any{"log_source": ev.LogSource, "cmd6": cmd6}}, nil
}

// TestMergerHeldCountsDerivedFields: the bytes held against MaxHeld include the fields a
// source profile derives, not only the line read: with a field six times a raw one, the
// values held stay within the budget, with the profile's fields in maps and as overrides
// of the line (before, they were counted as the line alone, or not at all, and such a
// profile held 2.7 GB under --max-held 256 MiB where a plain one held 0.58 GB).
func TestMergerHeldCountsDerivedFields(t *testing.T) {
	const size, budget = 10_000, 200_000
	cmd := strings.Repeat("c", size)
	var lines []string
	for i := range 60 { // newest first: every event waits for the lateness
		lines = append(lines, fmt.Sprintf(`{"time":%q,"log_source":"x","cmd":%q}`, base.Add(time.Duration(60-i)*time.Second).Format(time.RFC3339), cmd))
	}
	text := strings.Join(lines, "\n") + "\n"
	for _, keepRaw := range []bool{false, true} {
		t.Run(fmt.Sprintf("keep_raw %v", keepRaw), func(t *testing.T) {
			m := NewMerger(MergeOptions{Lateness: time.Hour, MaxHeld: budget}, NewReader(strings.NewReader(text), "in.jsonl", deriving{keepRaw: keepRaw}))
			var peak int
			for {
				_, _, err := m.Next()
				if err == io.EOF {
					break
				}
				require.NoError(t, err)
				held := 0
				for _, it := range m.held.items {
					held += len(it.ev.raw) + longestIn(it.ev.Fields) + 6*size*len(it.ev.Overrides)
				}
				peak = max(peak, held)
			}
			assert.LessOrEqual(t, peak, budget+7*size, "the values held stay within the budget, give or take one event")
			assert.Positive(t, m.Forced())
		})
	}
}
