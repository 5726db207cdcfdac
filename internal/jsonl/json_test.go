package jsonl

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/stixcel/stixcel/internal/shared"
)

func TestDecode(t *testing.T) {
	tests := []struct {
		name    string
		line    string
		want    any
		wantErr string
	}{
		{"whole numbers are int64", `{"a":1,"b":-0,"c":9223372036854775807}`, map[string]any{"a": int64(1), "b": int64(0), "c": int64(9223372036854775807)}, ""},
		{"other numbers are float64", `{"a":1.0,"b":1e2,"c":9223372036854775808,"d":1e-400}`, map[string]any{"a": 1.0, "b": 100.0, "c": 9223372036854775808.0, "d": 0.0}, ""},
		{"a number too large for a float64", `{"d":1e400}`, nil, "number 1e400 is out of range for a float64"},
		{"a number too long for a float64", `{"d":` + strings.Repeat("9", 400) + `}`, nil, "is out of range for a float64"},
		{"escapes", `{"k\"ey":"C:\\Windows\u00e9\n"}`, map[string]any{`k"ey`: "C:\\Windowsé\n"}, ""},
		{"nested", `{"a":[1,{"b":null}],"c":[],"d":{}}`, map[string]any{"a": []any{int64(1), map[string]any{"b": nil}}, "c": []any{}, "d": map[string]any{}}, ""},
		{"last duplicate key wins", `{"a":1,"a":2}`, map[string]any{"a": int64(2)}, ""},
		{"invalid UTF-8 is replaced", "{\"a\":\"\xff\"}", map[string]any{"a": "\ufffd"}, ""},
		{"a lone surrogate is replaced", `{"a":"\ud800"}`, map[string]any{"a": "\ufffd"}, ""},
		{"deep nesting", strings.Repeat("[", 40) + strings.Repeat("]", 40), nest(40), ""},
		{"not an object", `"x"`, "x", ""},
		{"trailing data", `{} {}`, nil, "trailing data after the JSON value"},
		{"truncated", `{"a":`, nil, "unexpected EOF"},
		{"bad token", `{"a":tru}`, nil, "invalid character"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Decode([]byte(tc.line))
			if tc.wantErr != "" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tc.wantErr)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.want, got)
		})
	}
}

func nest(depth int) any {
	v := []any{}
	for range depth - 1 {
		v = []any{v}
	}
	return v
}

func TestSimple(t *testing.T) {
	tests := []struct {
		name string
		line string
		want bool
	}{
		{"flat", `{"a":1}`, true},
		{"at the limit", `{"a":[[1]]}`, true},
		{"too deep", `{"a":[[[1]]]}`, false},
		{"brackets in strings do not count", `{"a":"[[[[{{{{"}`, true},
		{"escaped quote keeps the string open", `{"a":"\"[[[["}`, true},
		{"escaped backslash closes it", `{"a":"\\","b":[[[1]]]}`, false},
		{"surrogate escape", `{"a":"\uD83D\uDE00"}`, false},
		{"other escapes", `{"a":"\u00e9\n"}`, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.want, simple([]byte(tc.line), 3))
		})
	}
}

func TestKind(t *testing.T) {
	for v, want := range map[any]string{nil: "null", true: "a boolean", int64(1): "a number", 1.5: "a number", "x": "a string"} {
		assert.Equal(t, want, Kind(v), "%#v", v)
	}
	assert.Equal(t, "an array", Kind([]any{}))
	assert.Equal(t, "an object", Kind(map[string]any{}))
}

// FuzzDecode checks that the gjson path decodes exactly what encoding/json decodes.
func FuzzDecode(f *testing.F) {
	for _, s := range []string{`{"a":1}`, `{"a":[1.5,"x\u00e9",null,true]}`, `{"a":"\ud800"}`, `[1,2`, `{"a":1} x`, `1e400`, `{"":{}}`, "{\"a\":\"\xff\"}"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, line []byte) {
		fast, errFast := Decode(line)
		std, errStd := decodeStd(line)
		if (errFast == nil) != (errStd == nil) {
			t.Fatalf("gjson path error %v, encoding/json error %v", errFast, errStd)
		}
		if errStd == nil && !reflect.DeepEqual(fast, std) {
			t.Fatalf("gjson path %#v, encoding/json %#v", fast, std)
		}
	})
}

// TestDecodeAgreesOnDatasets checks the gjson path against encoding/json on the shared
// Windows datasets.
func TestDecodeAgreesOnDatasets(t *testing.T) {
	dir := shared.Path(t, "datasets", "otrf-windows")
	files, err := filepath.Glob(filepath.Join(dir, "*.jsonl"))
	require.NoError(t, err)
	require.NotEmpty(t, files, "no datasets in %s", dir)
	for _, path := range files {
		f, err := os.Open(path)
		require.NoError(t, err)
		r := NewReader(f, path)
		for {
			line, err := r.Next()
			if errors.Is(err, io.EOF) {
				break
			}
			require.NoError(t, err)
			fast, errFast := Decode(line.Text)
			std, errStd := decodeStd(line.Text)
			require.Equal(t, errStd == nil, errFast == nil, "%s:%d", filepath.Base(path), line.Number)
			require.Equal(t, std, fast, "%s:%d", filepath.Base(path), line.Number)
		}
		require.NoError(t, f.Close())
	}
}
