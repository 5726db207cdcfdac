package event

import (
	"bytes"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/stixcel/stixcel/internal/shared"
)

// sorted reads every item of a Sorter over inputs: the events in order (as
// "file:line@time"), the rejections, the counts and the events themselves.
type sortResult struct {
	events     []string
	all        []*Event
	rejections []string
	stats      ReadStats
	runs       int64
}

func sortInputs(t *testing.T, opts SortOptions, inputs ...input) sortResult {
	t.Helper()
	var readers []*Reader
	for _, in := range inputs {
		readers = append(readers, NewReader(strings.NewReader(in.text), in.name, nil))
	}
	s := NewSorter(opts, readers...)
	defer func() { require.NoError(t, s.Close()) }()
	var res sortResult
	for {
		ev, rej, err := s.Next()
		read, processed := s.Counts()
		st := s.Stats()
		require.Equal(t, [2]int64{st.Read, st.Processed}, [2]int64{read, processed}, "Counts is Stats' counts")
		if err == io.EOF {
			break
		}
		require.NoError(t, err)
		if rej != nil {
			res.rejections = append(res.rejections, rej.Error())
			continue
		}
		res.all = append(res.all, ev)
		res.events = append(res.events, fmt.Sprintf("%s@%s", ev.Raw(), ev.Time.Sub(base)))
	}
	res.stats = s.Stats()
	res.runs, _ = s.Spilled()
	return res
}

// deal shuffles lines and deals them to n files, as r says.
func deal(r *rand.Rand, lines []string, n int) []input {
	shuffled := slices.Clone(lines)
	r.Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
	texts := make([]strings.Builder, n)
	for _, l := range shuffled {
		texts[r.IntN(n)].WriteString(l + "\n")
	}
	var out []input
	for i := range texts {
		out = append(out, input{name: fmt.Sprintf("f%d.jsonl", i), text: texts[i].String()})
	}
	return out
}

// TestSorterAnyLineOrder: the lines of a stream spanning days, with many events of equal
// time, shuffled whole and dealt to 1 to 4 files, come out in one order, by time and then by
// content, with nothing rejected: the Merger rejects most of them as late. Spilling every
// few events to temporary files (a MaxHeld of 2 KB, so that runs are also compacted) gives
// the same order.
func TestSorterAnyLineOrder(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 5))
	var lines []string
	var at time.Duration
	for i := range 400 {
		at += time.Duration(r.IntN(3)) * 17 * time.Minute // a third of them share a time
		lines = append(lines, line(at, i%37))
	}
	now := base.Add(365 * 24 * time.Hour)
	want := sortInputs(t, SortOptions{Now: now}, input{"sorted.jsonl", strings.Join(lines, "\n") + "\n"})
	require.Len(t, want.events, 400)
	assert.True(t, slices.IsSortedFunc(want.all, BatchCompare))
	for round := range 6 {
		inputs := deal(r, lines, 1+round%4)
		for _, maxHeld := range []int64{0, 2 << 10} {
			got := sortInputs(t, SortOptions{MaxHeld: maxHeld, Now: now}, inputs...)
			assert.Equal(t, want.events, got.events, "round %d, max-held %d", round, maxHeld)
			assert.Empty(t, got.rejections)
			assert.Equal(t, int64(400), got.stats.Processed)
			if maxHeld > 0 {
				assert.Greater(t, got.runs, int64(maxFanIn), "round %d spills, and compacts", round)
			}
		}
		stream := merge(t, MergeOptions{Lateness: DefaultLateness}, inputs...)
		assert.NotEmpty(t, stream.rejections, "a stream rejects what is older than the lateness")
	}
}

// TestSorterSpillsExactly: an event read back from a temporary file is the event written:
// raw-backed with overrides of every JSON type (strings of its line and strings of their
// own), keys with escapes, decoded into a map with nested values, times in UTC, at an offset
// and in the local zone.
func TestSorterSpillsExactly(t *testing.T) {
	lines := []string{
		`{"time":"2026-03-20T09:00:00Z","log_source":"x","a":1,"b":[1,2.5,"s",null,true,{"c":false}]}`,
		`{"time":"2026-03-20T10:00:00.123456789+02:00","log_source":"x","u":"\u00e9"}`,
		`{"time":"2026-03-20T09:00:00Z","log_source":"x","dup":1,"dup":2}`,
		`{"time":"2026-03-20T09:00:01-07:00","log_source":"y","n":12345678901234567890}`,
		`{"time":"2026-03-20T09:00:02Z","log_source":"y","k\u00e9y":"v","k\"":[],"e":""}`,
	}
	first, second := strings.Join(lines[:3], "\n")+"\n", strings.Join(lines[3:], "\n")+"\n"
	decoders := map[string]Decoder{"overrides": typedOverrides{}, "map": Normalized{Fields: true}, "normalized": nil}
	for name, dec := range decoders {
		t.Run(name, func(t *testing.T) {
			read := func(maxHeld int64) []*Event {
				s := NewSorter(SortOptions{MaxHeld: maxHeld, Now: base, TempDir: t.TempDir()},
					NewReader(strings.NewReader(first), "in.jsonl", dec), NewReader(strings.NewReader(second), "other.jsonl", dec))
				defer func() { require.NoError(t, s.Close()) }()
				var out []*Event
				for {
					ev, rej, err := s.Next()
					if err == io.EOF {
						return out
					}
					require.NoError(t, err)
					require.Nil(t, rej)
					out = append(out, ev)
				}
			}
			inMemory := read(0)
			for _, maxHeld := range []int64{1, 2 << 10} { // a run of each event; runs of several
				spilled := read(maxHeld)
				require.Len(t, spilled, len(lines))
				for i := range inMemory {
					assert.Equal(t, inMemory[i], spilled[i], "event %d", i)
					assert.Equal(t, inMemory[i].Time.String(), spilled[i].Time.String(), "event %d: its zone", i)
					assert.Equal(t, inMemory[i].Footprint(), spilled[i].Footprint(), "event %d", i)
				}
			}
		})
	}
}

// typedOverrides gives raw-backed events overrides of every type a source profile's field
// may have, one of them unset.
type typedOverrides struct{}

func (typedOverrides) Decode(line []byte) (*Event, *Invalid) {
	ev, bad := Normalized{}.Decode(line)
	if bad != nil {
		return nil, bad
	}
	ev.Overrides = []Override{
		{Name: "i", Value: int64(-7), Set: true}, {Name: "f", Value: 3.0, Set: true},
		{Name: "s", Value: "é", Set: true}, {Name: "n", Value: nil, Set: true},
		{Name: "b", Value: true, Set: true}, {Name: "a", Set: false},
		{Name: "l", Value: []any{int64(1), "x", map[string]any{"k": false}}, Set: true},
		{Name: "m", Value: map[string]any{"k": []any{}, "j": 1.5}, Set: true},
		{Name: "r", Value: ev.Raw()[2:6], Set: true}, {Name: "e", Value: "", Set: true},
	}
	return ev, nil
}

// TestSorterRejectsOnlyTheAbsurd: an event before 1970, or more than --max-ahead after the
// run's start, is rejected as out of range, counted and named; events years apart, in any
// order, are not.
func TestSorterRejectsOnlyTheAbsurd(t *testing.T) {
	old := `{"time":"2001-01-01T00:00:00Z","log_source":"x"}`
	text := strings.Join([]string{
		line(0, 1),
		`{"time":"9999-12-31T23:59:59Z","log_source":"x"}`,
		old,
		`{"time":"1969-12-31T23:59:59Z","log_source":"x"}`,
		line(23*time.Hour, 2), // within --max-ahead of the run's start (base)
		line(25*time.Hour, 3),
	}, "\n") + "\n"
	got := sortInputs(t, SortOptions{Now: base}, input{"in.jsonl", text})
	assert.Equal(t, []string{old + "@-221025h0m0s", line(0, 1) + "@0s", line(23*time.Hour, 2) + "@23h0m0s"}, got.events)
	assert.Equal(t, []string{
		"in.jsonl:2: time out of range: 9999-12-31T23:59:59Z is over 292 years ahead of the run's start 2026-03-20T09:00:00Z (at most 24h0m0s)",
		"in.jsonl:4: time out of range: 1969-12-31T23:59:59Z is before 1970",
		"in.jsonl:6: time out of range: 2026-03-21T10:00:00Z is 25h0m0s ahead of the run's start 2026-03-20T09:00:00Z (at most 24h0m0s)",
	}, got.rejections)
	assert.Equal(t, ReadStats{Read: 6, Processed: 3, Rejected: map[string]int64{ReasonTimeOutOfRange: 3}}, got.stats)
}

// TestSorterLeavesNoFiles: the temporary files of a batch that spills are gone once it is
// closed, read to its end or stopped halfway (on Unix as soon as they are made).
func TestSorterLeavesNoFiles(t *testing.T) {
	var lines []string
	for i := range 300 {
		lines = append(lines, line(time.Duration(300-i)*time.Second, i))
	}
	for _, stopAfter := range []int{1, 150, 1000} {
		dir := t.TempDir()
		s := NewSorter(SortOptions{MaxHeld: 4 << 10, Now: base, TempDir: dir},
			NewReader(strings.NewReader(strings.Join(lines, "\n")), "in.jsonl", nil))
		for range stopAfter {
			if _, _, err := s.Next(); err == io.EOF {
				break
			}
		}
		runs, spilled := s.Spilled()
		assert.Positive(t, runs)
		assert.Positive(t, spilled)
		require.NoError(t, s.Close())
		entries, err := os.ReadDir(dir)
		require.NoError(t, err)
		assert.Empty(t, entries, "stopped after %d items", stopAfter)
	}
}

// TestSorterKeepsFewFilesOpen: a batch of 1,500 events spilled one by one (MaxHeld 1) merges
// its runs as they come, 64 of a size into one, so that it holds fewer than 128 files open,
// not 1,500, and still gives every event in order.
func TestSorterKeepsFewFilesOpen(t *testing.T) {
	var b strings.Builder
	for i := range 1500 {
		b.WriteString(line(time.Duration((i*7919)%1500)*time.Second, i) + "\n")
	}
	s := NewSorter(SortOptions{MaxHeld: 1, Now: base.Add(1000 * time.Hour), TempDir: t.TempDir()},
		NewReader(strings.NewReader(b.String()), "in.jsonl", nil))
	defer func() { require.NoError(t, s.Close()) }()
	var got []*Event
	for {
		ev, _, err := s.Next()
		if err == io.EOF {
			break
		}
		require.NoError(t, err)
		if len(got) == 0 {
			assert.Less(t, len(s.runs.all), 2*maxFanIn, "files open once every run is written")
		}
		got = append(got, ev)
	}
	require.Len(t, got, 1500)
	assert.True(t, slices.IsSortedFunc(got, BatchCompare))
	runs, spilled := s.Spilled()
	assert.Equal(t, [2]int64{1500, 1500}, [2]int64{runs, spilled})
}

// BenchmarkSpillRoundTrip writes the shared dataset's Windows events as one sorted run and
// reads them back, as a batch beyond --max-held does with most of its events. The events are
// raw-backed, with the overrides the windows profile gives (a computed time, the log source,
// the event code, two strings of the line).
func BenchmarkSpillRoundTrip(b *testing.B) {
	data, err := os.ReadFile(shared.Path(b, "datasets", "otrf-windows", "covenant_installutil.jsonl"))
	require.NoError(b, err)
	var items []sortItem
	n := 0
	for line := range bytes.Lines(data) {
		ev, ok := NewRaw(bytes.TrimSpace(line))
		if !ok {
			continue
		}
		n++
		host, _ := ev.lastMember("host")
		channel, _ := ev.lastMember("Channel")
		ev.Time, ev.LogSource = base.Add(time.Duration(n)*time.Millisecond), "WinEventLog:Security"
		ev.Source, ev.Line, ev.lineBytes = "covenant_installutil.jsonl", n, len(line)
		ev.Overrides = []Override{{Name: "time", Value: ev.Time.Format(time.RFC3339Nano), Set: true},
			{Name: "log_source", Value: ev.LogSource, Set: true}, {Name: "EventCode", Value: int64(4688 + n%7), Set: true},
			{Name: "host", Value: host[1 : len(host)-1], Set: true}, {Name: "Channel", Value: channel[1 : len(channel)-1], Set: true}}
		items = append(items, newSortItem(ev))
	}
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	dir := b.TempDir()
	for b.Loop() {
		rs := runSet{dir: dir}
		require.NoError(b, rs.spill(items))
		m, err := rs.merge(nil)
		require.NoError(b, err)
		for read := 0; ; read++ {
			ev, err := m.next()
			require.NoError(b, err)
			if ev == nil {
				require.Equal(b, len(items), read)
				break
			}
		}
		require.NoError(b, rs.close())
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(items)), "ns/event")
}

// readBack spills lines as one sorted run (through a Sorter held to a byte, which spills
// every event, and merges a run of each) and reads it back: the events of the run, and how
// many allocations reading them back took.
func readBack(t *testing.T, lines []string) ([]*Event, uint64) {
	t.Helper()
	var items []sortItem
	for i, line := range lines {
		ev, bad := Normalized{}.Decode([]byte(line))
		require.Nil(t, bad)
		ev.Source, ev.Line, ev.lineBytes = "in.jsonl", i+1, len(line)
		items = append(items, newSortItem(ev))
	}
	rs := runSet{dir: t.TempDir()}
	defer func() { require.NoError(t, rs.close()) }()
	slices.SortFunc(items, compareItems)
	require.NoError(t, rs.spill(items))
	m, err := rs.merge(nil)
	require.NoError(t, err)
	out := []*Event{m.heads[0].item.ev} // the first, read by merge
	out = slices.Grow(out, len(lines))
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	for {
		ev, err := m.next()
		require.NoError(t, err)
		if ev == nil {
			break
		}
		out = append(out, ev)
	}
	runtime.ReadMemStats(&after)
	return out[1:], after.Mallocs - before.Mallocs
}

// TestRunsReadBackWhole: a sorted run is read back whole, whatever the lengths of its
// records beside its blocks (records across two blocks, records longer than a block), and
// every event read keeps its text to the end (a block is never written again).
func TestRunsReadBackWhole(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 9))
	var lines []string
	for i := range 400 {
		n := r.IntN(3000)
		if r.IntN(20) == 0 {
			n = runBlock + r.IntN(2*runBlock)
		}
		lines = append(lines, fmt.Sprintf(`{"time":"2026-03-20T09:00:%02dZ","log_source":"x","n":%d,"pad":"%s"}`,
			i%60, i, strings.Repeat("p", n)))
	}
	got, _ := readBack(t, lines)
	want := slices.Clone(lines)
	slices.SortFunc(want, func(a, b string) int {
		ea, _ := Normalized{}.Decode([]byte(a))
		eb, _ := Normalized{}.Decode([]byte(b))
		return BatchCompare(ea, eb)
	})
	require.Len(t, got, len(want))
	for i := range want {
		require.Equal(t, want[i], got[i].Raw(), "event %d", i)
		ev, _ := Normalized{}.Decode([]byte(want[i]))
		require.Equal(t, ev.Map(), got[i].Map(), "event %d", i)
	}
}

// TestRunsReadBackInBlocks: reading a run back allocates a block for many records and their
// events a slab at a time, not a text, an event and its members each: fewer allocations
// than records.
func TestRunsReadBackInBlocks(t *testing.T) {
	var lines []string
	for i := range 2000 {
		lines = append(lines, fmt.Sprintf(`{"time":"2026-03-20T09:00:00Z","log_source":"x","n":%d,"a":"b","c":[1]}`, i))
	}
	got, allocs := readBack(t, lines)
	require.Len(t, got, len(lines))
	assert.Less(t, allocs, uint64(len(lines)/4), "allocations reading %d records back", len(lines))
}

// TestSorterCountsTheChunksItHolds: the events a Sorter holds from a chunked Reader keep
// their chunks alive, lines of events it rejected as out of range included, and it counts
// them so against MaxHeld.
func TestSorterCountsTheChunksItHolds(t *testing.T) {
	var lines []string
	var total int64
	for i := range 300 {
		at := "1960-01-01T00:00:00Z" // out of range
		if i%50 == 0 {
			at = "2026-03-20T09:00:00Z"
		}
		line := fmt.Sprintf(`{"time":"%s","log_source":"x","n":%d,"pad":"%s"}`, at, i, strings.Repeat("p", 500))
		lines = append(lines, line)
		total += int64(len(line))
	}
	r := NewLineReader(&scriptedLines{lines: lines}, "x.jsonl", nil)
	r.DecodeInChunks(nil, 2)
	s := NewSorter(SortOptions{Now: base, MaxHeld: 1 << 40}, r)
	defer func() { require.NoError(t, s.Close()) }()
	for s.out == nil {
		_, _, err := s.Next()
		require.NoError(t, err)
	}
	assert.Equal(t, int64(300-6), s.rejected[ReasonTimeOutOfRange])
	assert.GreaterOrEqual(t, s.bytes, total, "bytes counted for the chunks held")
}
