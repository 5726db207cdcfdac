package source

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"os"
	goruntime "runtime"
	"testing"

	"github.com/stixcel/stixcel/event"
	"github.com/stixcel/stixcel/internal/jsonl"
	"github.com/stixcel/stixcel/internal/shared"
	"github.com/stixcel/stixcel/internal/winshapes"
)

// benchDataset is the shared dataset the benchmarks read: Sysmon and Security events.
func benchDataset(b *testing.B) ([]byte, int) {
	data, err := os.ReadFile(shared.Path(b, "datasets", "otrf-windows", "covenant_installutil.jsonl"))
	if err != nil {
		b.Fatal(err)
	}
	return data, bytes.Count(data, []byte("\n"))
}

// BenchmarkWindowsReader reads raw lines into normalized events with the windows profile.
func BenchmarkWindowsReader(b *testing.B) {
	data, lines := benchDataset(b)
	benchReader(b, data, lines)
}

// BenchmarkWindowsReaderECS reads the same events as Winlogbeat 8 writes them.
func BenchmarkWindowsReaderECS(b *testing.B) {
	data, lines := benchShape(b, func(e winshapes.Event) any { return e.ECS(winshapes.Winlogbeat8) })
	benchReader(b, data, lines)
}

// BenchmarkWindowsReaderEvtxDump reads the same events as evtx_dump writes them.
func BenchmarkWindowsReaderEvtxDump(b *testing.B) {
	data, lines := benchShape(b, func(e winshapes.Event) any { return e.EvtxDump(true) })
	benchReader(b, data, lines)
}

// BenchmarkImpliedWindows reads the flat lines without --source: each is tried as a
// normalized event first.
func BenchmarkImpliedWindows(b *testing.B) {
	data, lines := benchDataset(b)
	p := windows(b)
	b.SetBytes(int64(len(data)))
	measure(b, lines, func() {
		readAll(b, event.NewReader(bytes.NewReader(data), "bench.jsonl", NewImplied(p)))
	})
}

// benchShape writes the benchmark dataset's events in another shape, one line each.
func benchShape(b *testing.B, shape func(winshapes.Event) any) ([]byte, int) {
	data, _ := benchDataset(b)
	p := windows(b)
	var out bytes.Buffer
	lines := 0
	for line := range bytes.Lines(data) {
		ev, bad := NewDecoder(p).Decode(bytes.TrimSpace(line))
		if bad != nil {
			continue
		}
		raw, err := jsonl.Decode(line)
		if err != nil {
			b.Fatal(err)
		}
		e, err := winshapes.FromFlat(raw.(map[string]any), ev.Time)
		if err != nil {
			b.Fatal(err)
		}
		j, err := json.Marshal(shape(e))
		if err != nil {
			b.Fatal(err)
		}
		out.Write(j)
		out.WriteByte('\n')
		lines++
	}
	return out.Bytes(), lines
}

func readAll(b *testing.B, r *event.Reader) {
	for {
		_, rej, err := r.Next()
		if errors.Is(err, io.EOF) {
			return
		}
		if err != nil {
			b.Fatal(err)
		}
		if rej != nil && rej.Reason != event.ReasonEmptyLine {
			b.Fatal(rej)
		}
	}
}

func benchReader(b *testing.B, data []byte, lines int) {
	p := windows(b)
	b.SetBytes(int64(len(data)))
	measure(b, lines, func() {
		r := event.NewReader(bytes.NewReader(data), "bench.jsonl", NewDecoder(p))
		for {
			_, _, err := r.Next()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkDecodeMaps is the baseline: json.Unmarshal of the same lines into map[string]any,
// nothing else.
func BenchmarkDecodeMaps(b *testing.B) {
	data, lines := benchDataset(b)
	b.SetBytes(int64(len(data)))
	measure(b, lines, func() {
		for line := range bytes.Lines(data) {
			var m map[string]any
			if err := json.Unmarshal(line, &m); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// measure runs body b.N times and reports lines/s and allocs/line besides the usual metrics.
func measure(b *testing.B, lines int, body func()) {
	b.ReportAllocs()
	var before, after goruntime.MemStats
	goruntime.ReadMemStats(&before)
	b.ResetTimer()
	for b.Loop() {
		body()
	}
	b.StopTimer()
	goruntime.ReadMemStats(&after)
	total := float64(b.N) * float64(lines)
	b.ReportMetric(total/b.Elapsed().Seconds(), "lines/s")
	b.ReportMetric(float64(after.Mallocs-before.Mallocs)/total, "allocs/line")
}
