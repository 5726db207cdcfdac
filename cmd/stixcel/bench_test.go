package main

import (
	"bufio"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stixcel/stixcel/internal/shared"
)

// windowsDatasets lists the shared OTRF Windows datasets.
func windowsDatasets(b testing.TB) []string {
	files, err := filepath.Glob(filepath.Join(shared.Path(b, "datasets", "otrf-windows"), "*.jsonl"))
	if err != nil || len(files) == 0 {
		b.Fatalf("no datasets: %v", err)
	}
	return files
}

// BenchmarkRunWindowsDatasets is `stixcel run --source windows --plans <enterprise plans>`
// over the shared Windows datasets, in process (start-up included, process exec excluded).
// Its baseline is BenchmarkDecodeWindowsDatasetsToMaps.
func BenchmarkRunWindowsDatasets(b *testing.B) { benchmarkRunWindows(b, 1) }

// BenchmarkRunWindowsDatasetsX10 runs over the shared Windows datasets ten times over (each
// file named ten times), so that start-up weighs little; its baseline is
// BenchmarkDecodeWindowsDatasetsToMapsX10.
func BenchmarkRunWindowsDatasetsX10(b *testing.B) { benchmarkRunWindows(b, 10) }

// BenchmarkRunStartup is the same run over an empty events file: what loading the plans and
// building the engine costs before the first event.
func BenchmarkRunStartup(b *testing.B) { benchmarkRunWindows(b, 0) }

func benchmarkRunWindows(b *testing.B, times int) {
	plans := filepath.Join(b.TempDir(), "plans.json")
	bundle := shared.Path(b, "attack", "enterprise-attack-18.1-detection.json")
	if code := Main([]string{"compile", bundle, "-o", plans}, strings.NewReader(""), io.Discard, io.Discard); code != exitOK {
		b.Fatalf("compile exited %d", code)
	}
	args := []string{"run", "--workers", "1", "--source", "windows", "--plans", plans}
	for range times {
		args = append(args, windowsDatasets(b)...)
	}
	if times == 0 {
		empty := filepath.Join(b.TempDir(), "empty.jsonl")
		if err := os.WriteFile(empty, nil, 0o600); err != nil {
			b.Fatal(err)
		}
		args = append(args, empty)
	}
	b.ResetTimer()
	for b.Loop() {
		if code := Main(args, strings.NewReader(""), io.Discard, io.Discard); code != exitOK {
			b.Fatalf("run exited %d", code)
		}
	}
}

// BenchmarkDecodeWindowsDatasetsToMaps merely decodes the same lines into maps with
// encoding/json: the floor a JSON-reading tool cannot go below without lazy access.
func BenchmarkDecodeWindowsDatasetsToMaps(b *testing.B) { benchmarkDecodeWindows(b, 1) }

// BenchmarkDecodeWindowsDatasetsToMapsX10 is the baseline of BenchmarkRunWindowsDatasetsX10.
func BenchmarkDecodeWindowsDatasetsToMapsX10(b *testing.B) { benchmarkDecodeWindows(b, 10) }

func benchmarkDecodeWindows(b *testing.B, times int) {
	files := windowsDatasets(b)
	for b.Loop() {
		for range times {
			for _, name := range files {
				decodeToMaps(b, name)
			}
		}
	}
}

func decodeToMaps(b *testing.B, name string) {
	f, err := os.Open(name)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 64<<20)
	for sc.Scan() {
		var m map[string]any
		_ = json.Unmarshal(sc.Bytes(), &m)
	}
}
