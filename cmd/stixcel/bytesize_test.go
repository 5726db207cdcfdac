package main

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestByteSizes: a size flag takes a number of bytes or a size with a unit, as a user
// copies it from the help ("32 MiB"), and refuses anything else with what it wants.
func TestByteSizes(t *testing.T) {
	tests := []struct {
		in   string
		want int64
	}{
		{"33554432", 33554432},
		{"96MiB", 96 << 20},
		{"96 MiB", 96 << 20},
		{"96mib", 96 << 20},
		{"96M", 96 << 20},
		{"1.5GiB", 3 << 29},
		{"64MB", 64_000_000},
		{"2KB", 2000},
		{"512KiB", 512 << 10},
		{"1GB", 1_000_000_000},
		{"0", 0},
		{"-1", -1},
		{"7B", 7},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			got, err := parseByteSize(tc.in)
			require.NoError(t, err)
			assert.Equal(t, tc.want, got)
		})
	}
	for _, bad := range []string{"", "MiB", "96Mix", "12.5.1MB", "9e99GB", "abc"} {
		t.Run("refused "+bad, func(t *testing.T) {
			_, err := parseByteSize(bad)
			assert.ErrorContains(t, err, "want a number of bytes")
		})
	}
	assert.Equal(t, "32 MiB", formatByteSize(32<<20))
	assert.Equal(t, "1 GiB", formatByteSize(1<<30))
	assert.Equal(t, "1000", formatByteSize(1000))
}

// TestSizeFlagsTakeUnits: `run --max-held 1KiB` holds 1 KiB of a batch, as its summary says,
// where the flag took only a number of bytes; a size it cannot read is a usage error.
func TestSizeFlagsTakeUnits(t *testing.T) {
	events := filepath.Join(t.TempDir(), "e.jsonl")
	var text strings.Builder
	for i := range 40 {
		fmt.Fprintf(&text, `{"time":"2026-03-20T09:00:%02dZ","log_source":"x","n":%d}`+"\n", 59-i, i)
	}
	writeFile(t, events, text.String())
	r := runCLI(t, nil, "run", "--max-held", "1KiB", "--max-state", "1 MiB", events)
	require.Equal(t, 0, r.code, r.stderr)
	assert.Contains(t, r.stderr, "past 1.0 KiB held in memory")
	r = runCLI(t, nil, "run", "--max-held", "1 parsec", events)
	assert.Equal(t, 2, r.code)
	assert.Contains(t, r.stderr, `"1 parsec": want a number of bytes`)
}
