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
	"github.com/stixcel/stixcel/internal/shared"
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
