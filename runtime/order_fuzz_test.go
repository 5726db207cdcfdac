package runtime

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/stixcel/stixcel/event"
	"github.com/stixcel/stixcel/plan"
)

// fuzzLateness is the lateness FuzzEventOrder shuffles within and merges with.
const fuzzLateness = 5 * time.Minute

// FuzzEventOrder checks that correlation is a function of the events alone. The input is a
// compact description of an AN1828 event stream (4 bytes an event: device, kind, seconds
// since the previous event, a variant), so that every execution is a meaningful stream. The
// stream is run sorted with one worker; then shuffled within the lateness, and split into
// two overlapping files given in either order, through event.Merger, with 1, 2 and 3
// workers. Every run must write the same alerts, JSON-encoded byte for byte (stable ids
// included), and the same counts.
func FuzzEventOrder(f *testing.F) {
	f.Add([]byte{0, 0, 60, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 0, 60, 0, 0, 1, 0, 0, 0, 0, 60, 0, 0, 1, 0, 0, 0, 0, 60, 0})
	f.Add(bytes.Repeat([]byte{1, 0, 61, 3, 1, 1, 0, 1, 1, 3, 0, 0, 2, 0, 30, 5}, 8))
	f.Add([]byte{3, 4, 255, 255, 0, 0, 1, 0, 3, 4, 0, 1, 0, 1, 200, 9})
	set := loadAN1828(f, nil)
	f.Fuzz(func(t *testing.T, data []byte) {
		lines := fuzzStream(data)
		if len(lines) == 0 {
			return
		}
		want, wantStats := runOrdered(t, set, nil, sortedText(lines))
		requireIDs(t, want)
		shuffled := shuffledText(lines, data)
		a, b := splitText(shuffled, data)
		for workers := 1; workers <= 3; workers++ {
			got, stats := runOrdered(t, set, []Option{WithWorkers(workers)}, shuffled)
			require.Equal(t, want, got, "shuffled within the lateness, %d workers", workers)
			require.Equal(t, wantStats, stats)
			got, stats = runOrdered(t, set, []Option{WithWorkers(workers)}, a, b)
			require.Equal(t, want, got, "two overlapping files, %d workers", workers)
			require.Equal(t, wantStats, stats)
			got, _ = runOrdered(t, set, []Option{WithWorkers(workers)}, b, a)
			require.Equal(t, want, got, "the two files the other way round, %d workers", workers)
		}
	})
}

// FuzzBatchOrder checks that a batch (event.Sorter, `stixcel run` without --follow) is a
// function of its events alone, whatever the order of the lines: the stream of
// FuzzEventOrder in any order (a permutation data says, not only within a lateness), dealt
// to two files given either way round, with 1, 2 and 3 workers and with a MaxHeld that
// sorts through temporary files, writes the alerts of the sorted stream, ids included.
func FuzzBatchOrder(f *testing.F) {
	f.Add([]byte{0, 0, 60, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 0, 60, 0, 0, 1, 0, 0, 0, 0, 60, 0, 0, 1, 0, 0, 0, 0, 60, 0})
	f.Add(bytes.Repeat([]byte{1, 0, 61, 3, 1, 1, 0, 1, 1, 3, 0, 0, 2, 0, 30, 5}, 8))
	f.Add(bytes.Repeat([]byte{3, 4, 255, 255, 0, 0, 1, 0, 3, 4, 0, 1, 0, 1, 200, 9, 2, 1, 0, 7}, 5))
	set := loadAN1828(f, nil)
	f.Fuzz(func(t *testing.T, data []byte) {
		lines := fuzzStream(data)
		if len(lines) == 0 {
			return
		}
		want, wantStats := runBatch(t, set, nil, 0, sortedText(lines))
		requireIDs(t, want)
		permuted := permutedText(lines, data)
		a, b := splitText(permuted, data)
		for workers := 1; workers <= 3; workers++ {
			opts := []Option{WithWorkers(workers)}
			got, stats := runBatch(t, set, opts, 0, permuted)
			require.Equal(t, want, got, "any line order, %d workers", workers)
			require.Equal(t, wantStats, stats)
			got, _ = runBatch(t, set, opts, 0, b, a)
			require.Equal(t, want, got, "two files, %d workers", workers)
			got, _ = runBatch(t, set, opts, 2<<10, a, b)
			require.Equal(t, want, got, "two files sorted through temporary files, %d workers", workers)
		}
	})
}

// permutedText is the lines in an order data says: a Fisher-Yates shuffle drawing from data.
func permutedText(lines []fuzzLine, data []byte) string {
	order := make([]int, len(lines))
	for i := range order {
		order[i] = i
	}
	for i := len(order) - 1; i > 0; i-- {
		r := int(data[(i*5)%len(data)]) + 256*int(data[(i*11+1)%len(data)])
		j := r % (i + 1)
		order[i], order[j] = order[j], order[i]
	}
	var b strings.Builder
	for _, i := range order {
		b.WriteString(lines[i].text + "\n")
	}
	return b.String()
}

// runBatch sorts the texts as one batch (event.Sorter, maxHeld 0: the default) and runs
// them through a new engine with opts, as runOrdered does.
func runBatch(t *testing.T, set *plan.Set, opts []Option, maxHeld int64, texts ...string) (string, Stats) {
	t.Helper()
	var readers []*event.Reader
	for _, text := range texts {
		readers = append(readers, event.NewReader(strings.NewReader(text), "fuzz.jsonl", nil))
	}
	s := event.NewSorter(event.SortOptions{MaxHeld: maxHeld, Now: t0.Add(1000 * time.Hour), TempDir: t.TempDir()}, readers...)
	defer func() { require.NoError(t, s.Close()) }()
	return runEvents(t, set, opts, s.Next)
}

// fuzzLine is one event of a fuzz stream with its JSONL text.
type fuzzLine struct {
	at   time.Duration
	text string
}

// fuzzStream decodes data into AN1828 events of four devices in time order.
func fuzzStream(data []byte) []fuzzLine { return streamOf(data, 400, 4) }

// streamOf decodes data into at most n AN1828 events of the given number of devices.
func streamOf(data []byte, n, devices int) []fuzzLine {
	var out []fuzzLine
	var at time.Duration
	for i := 0; i+4 <= len(data) && len(out) < n; i += 4 {
		device := fmt.Sprintf("ios-%d", int(data[i])%devices)
		at += time.Duration(data[i+2]) * time.Second
		fields := fuzzFields(data[i+1]%6, data[i+3])
		fields["device_id"] = device
		fields["time"] = t0.Add(at).Format(time.RFC3339Nano)
		b, _ := json.Marshal(fields)
		out = append(out, fuzzLine{at: at, text: string(b)})
	}
	return out
}

// fuzzFields is one event of kind k: VPN sessions to odd and standard ports, EDR lock and
// activity events, MDM records.
func fuzzFields(k, v byte) map[string]any {
	switch k {
	case 0:
		return map[string]any{"log_source": "VPN:MobileProxy", "app_bundle_id": "com.example.flashlight",
			"dst_host": fmt.Sprintf("h%d.example.net", v%3), "dst_port": []int{4444, 443, 8080}[v%3], "protocol": "tls"}
	case 1:
		return map[string]any{"log_source": "MobileEDR:telemetry", "DeviceLockState": []string{"locked", "unlocked"}[v%2],
			"LastUserInteractionDelta": int(v) * 30, "activity": []string{"background_task", "user_interaction"}[v%2]}
	case 2:
		return map[string]any{"log_source": "iOS:MDMLog", "app_bundle_id": "com.example.flashlight", "managed": v%2 == 0, "supervised": v%3 == 0}
	case 3:
		return map[string]any{"log_source": "VPN:MobileProxy", "dst_port": int(v) + 1, "protocol": []string{"http", "quic", "ssh"}[v%3]}
	case 4:
		return map[string]any{"log_source": "MobileEDR:telemetry", "DeviceLockState": "locked", "activity": "job_execution"}
	}
	return map[string]any{"log_source": "Other:log", "x": int(v)}
}

func sortedText(lines []fuzzLine) string {
	var b strings.Builder
	for _, l := range lines {
		b.WriteString(l.text + "\n")
	}
	return b.String()
}

// shuffledText delays each event by less than the lateness, as data says, and orders the
// events by their delayed time: an arrival order the lateness allows.
func shuffledText(lines []fuzzLine, data []byte) string {
	order := make([]int, len(lines))
	keys := make([]time.Duration, len(lines))
	for i := range lines {
		order[i] = i
		keys[i] = lines[i].at + time.Duration(data[(i*7)%len(data)])*fuzzLateness/256
	}
	sort.SliceStable(order, func(a, b int) bool { return keys[order[a]] < keys[order[b]] })
	var b strings.Builder
	for _, i := range order {
		b.WriteString(lines[i].text + "\n")
	}
	return b.String()
}

// splitText deals the lines of text to two files, as data says.
func splitText(text string, data []byte) (string, string) {
	var a, b strings.Builder
	for i, l := range strings.SplitAfter(text, "\n") {
		if data[i%len(data)]&1 == 0 {
			a.WriteString(l)
		} else {
			b.WriteString(l)
		}
	}
	return a.String(), b.String()
}

// runOrdered merges the texts by event time and runs them through a new engine with opts; it returns the outputs as JSON lines and the engine's counts.
func runOrdered(t *testing.T, set *plan.Set, opts []Option, texts ...string) (string, Stats) {
	t.Helper()
	var readers []*event.Reader
	for _, text := range texts {
		// One name for every file: events of equal time are then ordered by line alone.
		readers = append(readers, event.NewReader(strings.NewReader(text), "fuzz.jsonl", nil))
	}
	m := event.NewMerger(event.MergeOptions{Lateness: fuzzLateness}, readers...)
	return runEvents(t, set, opts, m.Next)
}

// runEvents runs the events next gives through a new engine with opts; it returns the
// outputs as JSON lines, without evidence lines, and the engine's counts.
func runEvents(t *testing.T, set *plan.Set, opts []Option, next func() (*event.Event, *event.Rejection, error)) (string, Stats) {
	t.Helper()
	eng, err := New(set, opts...)
	require.NoError(t, err)
	var out bytes.Buffer
	enc := json.NewEncoder(&out)
	emit := func(o Output) { require.NoError(t, enc.Encode(o)) }
	for {
		ev, rej, err := next()
		if err == io.EOF {
			break
		}
		require.NoError(t, err)
		require.Nil(t, rej, "no event of an allowed arrival order is rejected")
		require.NoError(t, eng.Process(context.Background(), ev, emit))
	}
	eng.Flush(emit)
	st := eng.Stats()
	st.Events = 0 // the same events, counted the same: compared through the outputs
	return stripLines(out.String()), st
}

// stripLines drops the evidence's file:line citations, which differ between arrival orders
// of the same events (and, among events of equal time, so does which ones an alert cites
// first); the alerts are compared through everything else: analytic, group, times, counts.
func stripLines(jsonl string) string {
	var b strings.Builder
	for _, l := range strings.Split(strings.TrimSpace(jsonl), "\n") {
		var v map[string]any
		if json.Unmarshal([]byte(l), &v) != nil {
			b.WriteString(l + "\n")
			continue
		}
		if chans, ok := v["channels"].([]any); ok {
			for _, c := range chans {
				if cm, ok := c.(map[string]any); ok {
					delete(cm, "events")
				}
			}
		}
		s, _ := json.Marshal(v)
		b.Write(s)
		b.WriteString("\n")
	}
	return b.String()
}

// requireIDs checks that every alert of a JSONL output has a 32-hex-digit id, and that no
// two share one.
func requireIDs(t *testing.T, jsonl string) {
	t.Helper()
	seen := map[string]bool{}
	for _, l := range strings.Split(strings.TrimSpace(jsonl), "\n") {
		var a struct{ ID string }
		if l == "" || json.Unmarshal([]byte(l), &a) != nil {
			continue
		}
		require.Regexp(t, "^[0-9a-f]{32}$", a.ID)
		require.False(t, seen[a.ID], "id %s given twice", a.ID)
		seen[a.ID] = true
	}
}
