package bounded

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// endless yields b forever.
type endless byte

func (e endless) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = byte(e)
	}
	return len(p), nil
}

// oneByte hands out its reader's bytes one at a time, as a slow pipe may.
type oneByte struct{ r io.Reader }

func (o oneByte) Read(p []byte) (int, error) { return o.r.Read(p[:min(1, len(p))]) }

func TestRead(t *testing.T) {
	json := func(file string) func([]byte) error { return NewJSON(file, MaxJSONDepth).Write }
	tests := []struct {
		name  string
		r     io.Reader
		check func([]byte) error
		want  string // error; "" for none
	}{
		{"endless spaces stop at the limit", endless(' '), nil, "in: the file is larger than the bundle size limit of 1 MiB at offset 1048576"},
		{"endless spaces with the JSON check", endless(' '), json("in"), "size limit of 1 MiB"},
		{"endless zeros stop at the first byte", endless(0), json("in"), `in: not valid JSON: invalid character '\x00' at offset 0 (line 1, column 1)`},
		{"endless brackets stop at the depth limit", endless('['), json("in"), "in: JSON nested deeper than the depth limit of 64 at offset 64 (line 1, column 65)"},
		{"a limit-sized input is fine", strings.NewReader(strings.Repeat(" ", 1<<20)), nil, ""},
		{"one byte at a time", oneByte{strings.NewReader(`{"a": "\"[[", "b": [1, 2]}`)}, json("in"), ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			start := time.Now()
			data, err := Read("in", tc.r, 1<<20, "bundle", tc.check)
			t.Logf("%s: %v", tc.name, time.Since(start))
			if tc.want == "" {
				require.NoError(t, err)
				assert.NotEmpty(t, data)
				return
			}
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
		})
	}
}

func TestReadFileRefusesAHugeFileBeforeReadingIt(t *testing.T) {
	path := filepath.Join(t.TempDir(), "huge.json")
	require.NoError(t, os.WriteFile(path, nil, 0o600))
	require.NoError(t, os.Truncate(path, 2<<30))
	start := time.Now()
	_, err := ReadFile(path, MaxBundleSize, "bundle", nil)
	t.Logf("2 GiB sparse file refused in %v", time.Since(start))
	require.Error(t, err)
	assert.Equal(t, path+": the file is larger than the bundle size limit of 512 MiB at offset 536870912", err.Error())
}

func TestCheckJSON(t *testing.T) {
	tests := []struct {
		name, in string
		want     string // error; "" for none
	}{
		{"flat", `{"objects": [{"a": 1}, [true, false, null, -1.5e3]]}`, ""},
		{"brackets in strings do not nest", `["` + strings.Repeat("[", 100) + `\"` + strings.Repeat("{", 100) + `\\"]`, ""},
		{"a byte order mark is skipped", "\xEF\xBB\xBF[1]", ""},
		{"64 levels are allowed", strings.Repeat("[", 64) + strings.Repeat("]", 64), ""},
		{"65 arrays are too deep", strings.Repeat("[", 65), "f: JSON nested deeper than the depth limit of 64 at offset 64 (line 1, column 65)"},
		{"65 objects are too deep", strings.Repeat(`{"a":`, 65), "depth limit of 64 at offset 320 (line 1, column 321)"},
		{"the position counts lines", "[\n [\n" + strings.Repeat("[", 70), "at offset 67 (line 3, column 63)"},
		{"after a byte order mark columns start at the next byte", "\xEF\xBB\xBFx", `f: not valid JSON: invalid character 'x' at offset 3 (line 1, column 1)`},
		{"a broken byte order mark is a byte out of place", "\xEF\xBBx", `invalid character '\xef' at offset 0`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := CheckJSON("f", []byte(tc.in), MaxJSONDepth)
			// Fed a byte at a time, the verdict is the same.
			j := NewJSON("f", MaxJSONDepth)
			var stepErr error
			for i := 0; i < len(tc.in) && stepErr == nil; i++ {
				stepErr = j.Write([]byte{tc.in[i]})
			}
			if tc.want == "" {
				require.NoError(t, err)
				require.NoError(t, stepErr)
				return
			}
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
			require.Error(t, stepErr)
			assert.Equal(t, err.Error(), stepErr.Error())
		})
	}
}

func TestSize(t *testing.T) {
	assert.Equal(t, "512 MiB", Size(512<<20))
	assert.Equal(t, "64 KiB", Size(64<<10))
	assert.Equal(t, "1000 B", Size(1000))
}

// jsonDepth is the deepest nesting of a valid JSON document, by encoding/json's tokens.
func jsonDepth(t *testing.T, data []byte) int {
	dec := json.NewDecoder(bytes.NewReader(data))
	depth, deepest := 0, 0
	for {
		tok, err := dec.Token()
		if err != nil {
			return deepest
		}
		switch tok {
		case json.Delim('['), json.Delim('{'):
			depth++
			deepest = max(deepest, depth)
		case json.Delim(']'), json.Delim('}'):
			depth--
		}
	}
}

// FuzzCheckJSON checks the JSON check against encoding/json: valid JSON within the depth
// limit passes, valid JSON past it fails on depth, and the verdict does not depend on how
// the input is split into writes.
func FuzzCheckJSON(f *testing.F) {
	for _, s := range []string{`{"a": [1, "\"]"]}`, `"\\\\"`, "\xEF\xBB\xBF[]", `[[[[]]]]`, `{"a\\`, "[\x00]"} {
		f.Add([]byte(s), uint8(3))
	}
	f.Fuzz(func(t *testing.T, data []byte, step uint8) {
		const depth = 4
		whole := CheckJSON("f", data, depth)
		j := NewJSON("f", depth)
		var split error
		for i := 0; i < len(data) && split == nil; i += int(step%7) + 1 {
			split = j.Write(data[i:min(len(data), i+int(step%7)+1)])
		}
		require.Equal(t, fmt.Sprint(whole), fmt.Sprint(split))
		trimmed := TrimBOM(data)
		if !json.Valid(trimmed) {
			return
		}
		if jsonDepth(t, trimmed) <= depth {
			require.NoError(t, whole)
			return
		}
		var lerr *LimitError
		require.ErrorAs(t, whole, &lerr)
		require.False(t, lerr.Syntax, "%v", whole)
	})
}
