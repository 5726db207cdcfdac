package event

import (
	"strings"
	"testing"

	"github.com/google/cel-go/common/types"
	"github.com/stretchr/testify/require"

	"github.com/stixcel/stixcel/internal/jsonl"
)

// FuzzRawEvent checks that a line read lazily gives what decoding it into a map gives.
func FuzzRawEvent(f *testing.F) {
	for _, seed := range []string{
		`{"a":1,"b":"x\"y","c":[1,{"d":null}],"e":1.5e3,"f":true}`,
		`{"p":"C:\\Windows\\x.exe","u":"\u00e9\u4e2d","s":"\ud83d\ude00","k\"ey":1}`,
		`{"dup":1,"dup":2}`, ` {"a" : [ ] , "b":{}}`, `{"a":"\\ud800"}`, `[1]`, `{"a":1}x`, "{\"a\":\"\xff\"}",
		`{"a":-0,"b":1e400,"c":9223372036854775808,"d":-9223372036854775808}`,
		strings.Repeat(`{"a":`, 40) + "1" + strings.Repeat("}", 40),
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, line string) {
		ev, ok := NewRaw([]byte(line))
		if !ok {
			return
		}
		want, err := jsonl.Decode([]byte(line))
		require.NoError(t, err, "read lazily but not decodable: %q", line)
		got := ev.Map()
		require.Equal(t, want, got, "line %q", line)
		v := NewFieldView(nil)
		v.Reset(ev)
		for name, value := range want.(map[string]any) {
			gv, found := ev.Get(name)
			require.True(t, found, name)
			require.Equal(t, value, gv, name)
			cv, found := v.Find(types.String(name))
			require.True(t, found, name)
			require.Equal(t, types.DefaultTypeAdapter.NativeToValue(value).Equal(cv), types.True, name)
		}
	})
}
