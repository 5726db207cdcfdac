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
func windowsDatasets(b *testing.B) []string {
	files, err := filepath.Glob(filepath.Join(shared.Path(b, "datasets", "otrf-windows"), "*.jsonl"))
	if err != nil || len(files) == 0 {
		b.Fatalf("no datasets: %v", err)
	}
	return files
}

// BenchmarkRunWindowsDatasets is `stixcel run --source windows --plans <enterprise plans>`
// over the shared Windows datasets, in process (start-up included, process exec excluded).
// Its baseline is BenchmarkDecodeWindowsDatasetsToMaps.
func BenchmarkRunWindowsDatasets(b *testing.B) {
	plans := filepath.Join(b.TempDir(), "plans.json")
	bundle := shared.Path(b, "attack", "enterprise-attack-18.1-detection.json")
	if code := Main([]string{"compile", bundle, "-o", plans}, strings.NewReader(""), io.Discard, io.Discard); code != exitOK {
		b.Fatalf("compile exited %d", code)
	}
	args := append([]string{"run", "--workers", "1", "--source", "windows", "--plans", plans}, windowsDatasets(b)...)
	b.ResetTimer()
	for b.Loop() {
		if code := Main(args, strings.NewReader(""), io.Discard, io.Discard); code != exitOK {
			b.Fatalf("run exited %d", code)
		}
	}
}

// BenchmarkDecodeWindowsDatasetsToMaps merely decodes the same lines into maps with
// encoding/json: the floor a JSON-reading tool cannot go below without lazy access.
func BenchmarkDecodeWindowsDatasetsToMaps(b *testing.B) {
	files := windowsDatasets(b)
	for b.Loop() {
		for _, name := range files {
			decodeToMaps(b, name)
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
