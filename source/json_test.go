package source

import (
	"bufio"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestDecodeJSON(t *testing.T) {
	tests := []struct {
		name    string
		line    string
		want    any
		wantErr string
	}{
		{"whole numbers are int64", `{"a":1,"b":-0,"c":9223372036854775807}`, map[string]any{"a": int64(1), "b": int64(0), "c": int64(9223372036854775807)}, ""},
		{"other numbers are float64", `{"a":1.0,"b":1e2,"c":9223372036854775808,"d":1e400}`, map[string]any{"a": 1.0, "b": 100.0, "c": 9223372036854775808.0, "d": inf}, ""},
		{"escapes", `{"k\"ey":"C:\\Windows\u00e9\n"}`, map[string]any{`k"ey`: "C:\\Windowsé\n"}, ""},
		{"nested", `{"a":[1,{"b":null}],"c":[],"d":{}}`, map[string]any{"a": []any{int64(1), map[string]any{"b": nil}}, "c": []any{}, "d": map[string]any{}}, ""},
		{"last duplicate key wins", `{"a":1,"a":2}`, map[string]any{"a": int64(2)}, ""},
		{"invalid UTF-8 is replaced", "{\"a\":\"\xff\"}", map[string]any{"a": "\ufffd"}, ""},
		{"not an object", `"x"`, "x", ""},
		{"trailing data", `{} {}`, nil, "trailing data after the JSON value"},
		{"truncated", `{"a":`, nil, "unexpected EOF"},
		{"bad token", `{"a":tru}`, nil, "invalid character"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := decodeJSON([]byte(tc.line))
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

var inf = func() float64 { f, _ := number("1e400").(float64); return f }()

// TestDecodeJSONAgrees checks the fast path against encoding/json on the shared datasets.
func TestDecodeJSONAgrees(t *testing.T) {
	for _, path := range otrfFiles(t) {
		f, err := os.Open(path)
		require.NoError(t, err)
		sc := bufio.NewScanner(f)
		sc.Buffer(nil, 1<<24)
		for n := 1; sc.Scan(); n++ {
			fast, errFast := decodeJSON(sc.Bytes())
			std, errStd := decodeStd(sc.Bytes())
			require.Equal(t, errStd == nil, errFast == nil, "%s:%d", filepath.Base(path), n)
			require.Equal(t, std, fast, "%s:%d", filepath.Base(path), n)
		}
		require.NoError(t, sc.Err())
		f.Close()
	}
}

func TestShallow(t *testing.T) {
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
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.want, shallow([]byte(tc.line), 3))
		})
	}
}
