package yamlpos

import (
	"fmt"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/stixcel/stixcel/diag"
)

// manyKeys is a block mapping of n keys.
func manyKeys(n int) string {
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, "k%d: v\n", i)
	}
	return b.String()
}

// TestHostileYAML feeds generated hostile YAML to the one parser entry point of packs,
// profiles, source profiles and the taxonomy: each fails fast with the limit it breaks, at
// its line and column, before goccy's time and memory blow up. Time and memory are logged,
// not checked.
func TestHostileYAML(t *testing.T) {
	nested := func(n int) string { return strings.Repeat("[", n) + strings.Repeat("]", n) }
	tests := []struct {
		name, src string
		wantPos   diag.Pos
		wantMsg   string // "" for no error
	}{
		{"64 KB of nested flow lists", nested(32 << 10), diag.Pos{File: "f", Line: 1, Col: 65}, "YAML nested deeper than the depth limit of 64 at offset 64"},
		{"200 KB of nested flow lists", nested(100 << 10), diag.Pos{File: "f", Line: 1, Col: 65}, "YAML nested deeper than the depth limit of 64 at offset 64"},
		{"nested block lists", strings.Repeat("- ", 100<<10) + "x\n", diag.Pos{File: "f", Line: 1, Col: 129}, "YAML nested deeper than the depth limit of 64 at offset 128"},
		{"40,000 mapping keys", manyKeys(40000), diag.Pos{File: "f", Line: 5001, Col: 1}, "more keys in one mapping than the limit of 5000 at offset 43890"},
		{"a flow list of 200,000 numbers", "[" + strings.Repeat("0,", 200000) + "0]", diag.Pos{File: "f", Line: 1, Col: 50001}, "more YAML nodes than the limit of 50000 at offset 50000"},
		{"a byte order mark", "\xEF\xBB\xBFa: b\n", diag.Pos{}, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var before, after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			start := time.Now()
			body, _, err := Document([]byte(tc.src))
			var v any
			uerr := Unmarshal([]byte(tc.src), &v)
			elapsed := time.Since(start)
			runtime.ReadMemStats(&after)
			t.Logf("%s (%d bytes): %v, %d MiB allocated", tc.name, len(tc.src), elapsed.Round(time.Millisecond), (after.TotalAlloc-before.TotalAlloc)>>20)
			if tc.wantMsg == "" {
				require.NoError(t, err)
				require.NoError(t, uerr)
				values, ok := MappingValues(body)
				require.True(t, ok)
				assert.Equal(t, "a", values[0].Key.String())
				assert.Equal(t, map[string]any{"a": "b"}, v)
				return
			}
			for _, err := range []error{err, uerr} {
				require.Error(t, err)
				pos, msg := SyntaxError("f", err)
				assert.Equal(t, tc.wantPos, pos)
				assert.Equal(t, tc.wantMsg, msg)
			}
		})
	}
}

// BenchmarkWorstWithinLimits parses the costliest files the limits let through: block
// mappings of as many keys as allowed (goccy's time is quadratic in them), and a flow list
// of as many nodes as allowed.
func BenchmarkWorstWithinLimits(b *testing.B) {
	var wide strings.Builder
	for m := range 3 {
		fmt.Fprintf(&wide, "m%d:\n", m)
		wide.WriteString(strings.ReplaceAll(manyKeys(5000), "k", "  k"))
	}
	for _, bc := range []struct{ name, src string }{
		{"3x5000keys", wide.String()},
		{"flow49999", "[" + strings.Repeat("0,", 24998) + "0]"},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := Parse([]byte(bc.src)); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
