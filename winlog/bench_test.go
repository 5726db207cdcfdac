package winlog

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"os"
	"testing"

	"www.velocidex.com/golang/evtx"
)

// loadRegression reads the shared regression .evtx files into memory.
func loadRegression(b *testing.B) (files [][]byte, size int64) {
	for _, path := range regressionPairs(b) {
		data, err := os.ReadFile(path)
		if err != nil {
			b.Fatal(err)
		}
		files = append(files, data)
		size += int64(len(data))
	}
	return files, size
}

// BenchmarkEVTX reads the 202 regression .evtx files (one 64 KiB chunk each, 238 records)
// to JSON lines with winlog, and with the velocidex library's own parse and JSON dump
// (evtx.GetChunks, Chunk.Parse, json.Marshal of each record), in the same run: as 202 files,
// and as one file of their 202 chunks (no per-file cost). Metrics: MB/s of EVTX, records/s.
func BenchmarkEVTX(b *testing.B) {
	files, size := loadRegression(b)
	joined := bytes.Clone(files[0][:fileHeaderSize])
	for _, data := range files {
		joined = append(joined, data[fileHeaderSize:]...)
	}
	inputs := []struct {
		name  string
		files [][]byte
	}{{"202 files", files}, {"one file", [][]byte{joined}}}
	for _, in := range inputs {
		b.Run(in.name+"/winlog", func(b *testing.B) { benchEVTX(b, in.files, size, readWinlog) })
		b.Run(in.name+"/velocidex", func(b *testing.B) { benchEVTX(b, in.files, size, readVelocidex) })
	}
}

func benchEVTX(b *testing.B, files [][]byte, size int64, read func(testing.TB, []byte) int) {
	b.SetBytes(size)
	records := 0
	for range b.N {
		for _, data := range files {
			records += read(b, data)
		}
	}
	b.ReportMetric(float64(records)/b.Elapsed().Seconds(), "records/s")
}

func readWinlog(tb testing.TB, data []byte) int {
	lines := NewLines(bytes.NewReader(data), "x.evtx")
	for n := 0; ; n++ {
		line, err := lines.Next()
		if errors.Is(err, io.EOF) {
			return n
		}
		if err != nil || line.Reason != "" {
			tb.Fatal(err, line.Detail)
		}
	}
}

func readVelocidex(tb testing.TB, data []byte) int {
	chunks, err := evtx.GetChunks(bytes.NewReader(data))
	if err != nil {
		tb.Fatal(err)
	}
	n := 0
	for _, c := range chunks {
		recs, err := c.Parse(0)
		if err != nil {
			tb.Fatal(err)
		}
		for _, r := range recs {
			if _, err := json.Marshal(r.Event); err != nil {
				tb.Fatal(err)
			}
			n++
		}
	}
	return n
}
