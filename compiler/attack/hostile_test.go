package attack

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// repeatReader yields its bytes over and over, without end.
type repeatReader struct {
	b []byte
	i int
}

func (r *repeatReader) Read(p []byte) (int, error) {
	for n := range p {
		p[n] = r.b[r.i%len(r.b)]
		r.i++
	}
	return len(p), nil
}

// hostileFile writes data to a file in t's temp dir and returns its path.
func hostileFile(t *testing.T, name string, data []byte) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	require.NoError(t, os.WriteFile(path, data, 0o600))
	return path
}

// danglingDetects is a bundle of one strategy and n detects relationships whose targets
// are not in it.
func danglingDetects(n int) []byte {
	strategy := `{"type": "x-mitre-detection-strategy", "id": "x-mitre-detection-strategy--22222222-3333-4444-8555-000000000033", "name": "s",
		"created": "2025-01-01T00:00:00.000Z", "modified": "2025-01-01T00:00:00.000Z",
		"external_references": [{"source_name": "mitre-attack", "external_id": "DET9001"}]}`
	objs := []string{strategy}
	for i := range n {
		objs = append(objs, fmt.Sprintf(`{"type": "relationship", "id": "relationship--22222222-3333-4444-8555-%012d", "relationship_type": "detects",
			"created": "2025-01-01T00:00:00.000Z", "modified": "2025-01-01T00:00:00.000Z",
			"source_ref": "x-mitre-detection-strategy--22222222-3333-4444-8555-000000000033", "target_ref": "attack-pattern--22222222-3333-4444-8555-%012d"}`, i, i))
	}
	return bundle(objs...)
}

// TestHostileBundles feeds generated hostile bundles to the loader: each ends in a clear
// error naming the limit, file and offset, or in a summarised warning, instead of a stack
// overflow, a read without end or a million lines. Time and memory are logged, not checked.
func TestHostileBundles(t *testing.T) {
	tests := []struct {
		name  string
		input func(t *testing.T) ([]string, io.Reader) // paths, stdin
		want  string                                   // the error; "" for none
		check func(t *testing.T, ix *Index, warnings []Warning)
	}{{
		name: "16 MB of nested arrays",
		input: func(t *testing.T) ([]string, io.Reader) {
			return []string{hostileFile(t, "deep.json", append(bytes.Repeat([]byte("["), 8<<20), bytes.Repeat([]byte("]"), 8<<20)...))}, nil
		},
		want: "deep.json: JSON nested deeper than the depth limit of 64 at offset 64 (line 1, column 65)",
	}, {
		name: "nested objects",
		input: func(t *testing.T) ([]string, io.Reader) {
			return []string{hostileFile(t, "deep.json", bytes.Repeat([]byte(`{"a":`), 2<<20))}, nil
		},
		want: "deep.json: JSON nested deeper than the depth limit of 64 at offset 320 (line 1, column 321)",
	}, {
		name: "a 2 GiB sparse file",
		input: func(t *testing.T) ([]string, io.Reader) {
			path := hostileFile(t, "huge.json", nil)
			require.NoError(t, os.Truncate(path, 2<<30))
			return []string{path}, nil
		},
		want: "huge.json: the file is larger than the bundle size limit of 512 MiB at offset 536870912",
	}, {
		name:  "endless zeros on stdin",
		input: func(*testing.T) ([]string, io.Reader) { return []string{"-"}, &repeatReader{b: []byte{0}} },
		want:  `<stdin>: not valid JSON: invalid character '\x00' looking for beginning of value`,
	}, {
		name:  "endless brackets on stdin",
		input: func(*testing.T) ([]string, io.Reader) { return []string{"-"}, &repeatReader{b: []byte("[")} },
		want:  "<stdin>: JSON nested deeper than the depth limit of 64 at offset 64",
	}, {
		name: "a bundle after a byte order mark",
		input: func(t *testing.T) ([]string, io.Reader) {
			data := bundle(analytic(analyticID, "AN9001", "2026-01-01T00:00:00.000Z", "a", ""))
			return []string{hostileFile(t, "bom.json", append([]byte("\xEF\xBB\xBF"), data...))}, nil
		},
		check: func(t *testing.T, ix *Index, _ []Warning) { assert.NotNil(t, ix.Analytic("AN9001")) },
	}, {
		name: "50,000 dangling relationships",
		input: func(t *testing.T) ([]string, io.Reader) {
			return []string{hostileFile(t, "dangling.json", danglingDetects(50000))}, nil
		},
		check: func(t *testing.T, _ *Index, warnings []Warning) {
			require.Len(t, warnings, 21)
			assert.Contains(t, warnings[0].String(), "dangling.json: relationship--22222222-3333-4444-8555-000000000000: detects target attack-pattern--22222222-3333-4444-8555-000000000000 is not loaded")
			assert.Contains(t, warnings[20].String(), "dangling.json: ... and 49,980 more dangling relationships (detects targets not loaded)")
		},
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			paths, stdin := tc.input(t)
			var before, after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			start := time.Now()
			ix, warnings, err := LoadPaths(paths, Options{Stdin: stdin})
			elapsed := time.Since(start)
			runtime.ReadMemStats(&after)
			t.Logf("%s: %v, %d MiB allocated", tc.name, elapsed.Round(time.Millisecond), (after.TotalAlloc-before.TotalAlloc)>>20)
			if tc.want != "" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tc.want)
				assert.NotContains(t, err.Error(), "\n")
				return
			}
			require.NoError(t, err)
			tc.check(t, ix, warnings)
		})
	}
}

// TestBOMPositions checks that positions in a bundle after a byte order mark are those an
// editor shows (the mark is not a column).
func TestBOMPositions(t *testing.T) {
	_, _, err := Load([]Source{{Name: "bom.json", Data: []byte("\xEF\xBB\xBF[\n  1]")}}, Options{})
	require.Error(t, err)
	var lerr *LoadError
	require.ErrorAs(t, err, &lerr)
	assert.Equal(t, "bom.json: object 0: is a number, want a JSON object", strings.TrimSpace(err.Error()))
	assert.Equal(t, 2, lerr.Pos.Line)
	assert.Equal(t, 3, lerr.Pos.Col)
}

// TestEchoedValuesStayOnOneLine checks that ids and values from a bundle that hold newlines
// or run to megabytes are quoted and cut in errors (FuzzLoad found the newline).
func TestEchoedValuesStayOnOneLine(t *testing.T) {
	tests := []struct{ name, object, want string }{
		{"a newline in an id", `{"type": "relationship", "id": "relati\nship--11111111-2222-4333-8444-000000000007"}`,
			`f.json: object 0 ("relati\nship--11111111-2222-4333-8444-000000000007"): "id" is not of the form relationship--<uuid>`},
		{"a megabyte timestamp", `{"type": "relationship", "id": "relationship--11111111-2222-4333-8444-000000000007", "modified": "` + strings.Repeat("9", 1<<20) + `"}`,
			`"modified" "` + strings.Repeat("9", 100) + `"... (1048576 bytes) is not an RFC 3339 timestamp`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := Load([]Source{{Name: "f.json", Data: bundle(tc.object)}}, Options{})
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
			assert.Less(t, len(err.Error()), 400)
		})
	}
}

// TestBOMDepthOffset checks that a depth error after a byte order mark gives the same file
// offset whether the bundle is read from a file or handed to Load.
func TestBOMDepthOffset(t *testing.T) {
	data := append([]byte("\xEF\xBB\xBF"), bytes.Repeat([]byte("["), 100)...)
	_, _, fromFile := LoadPaths([]string{hostileFile(t, "bom.json", data)}, Options{})
	_, _, inMemory := Load([]Source{{Name: "bom.json", Data: data}}, Options{})
	require.Error(t, fromFile)
	require.Error(t, inMemory)
	want := "JSON nested deeper than the depth limit of 64 at offset 67 (line 1, column 65)"
	assert.Contains(t, fromFile.Error(), want)
	assert.Contains(t, inMemory.Error(), want)
}
