package event

import (
	"bytes"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/google/cel-go/common/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/stixcel/stixcel/internal/jsonl"
	"github.com/stixcel/stixcel/internal/shared"
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

// TestFieldViewSlotsReadLikeGet: a view's numbered fields are the event's fields as Get reads
// them, event after event: the last of duplicate keys, keys with escapes, overrides (set and
// unset, the last of a name) before the line, map-backed events, and nothing left over from
// the event before, also when the view's epoch wraps.
func TestFieldViewSlotsReadLikeGet(t *testing.T) {
	raw := func(line string, overrides ...Override) *Event {
		ev, ok := NewRaw([]byte(line))
		require.True(t, ok, line)
		ev.Overrides = overrides
		return ev
	}
	events := []*Event{
		raw(`{"a":1,"b":"x","dup":1,"dup":{"z":[2]},"k\u00e9y":"v","other":true}`),
		raw(`{"b":"y"}`),
		raw(`{"a":1,"b":"x","c":null}`, Override{Name: "a", Value: "o", Set: true}, Override{Name: "b"},
			Override{Name: "c", Value: "first", Set: true}, Override{Name: "c", Value: int64(2), Set: true}),
		{Fields: map[string]any{"a": int64(3), "dup": "m"}},
		raw(`{"dup":"last","kéy":"w","dup":"first"}`),
	}
	slots := NewSlots()
	names := []string{"a", "b", "c", "dup", "kéy", "missing"}
	for _, name := range names {
		slots.Slot(name)
	}
	for _, wrap := range []bool{false, true} {
		v := NewFieldView(slots)
		if wrap { // reads of the epoch the second event after the wrap has, stale by then
			v.Reset(events[2])
			for i := range names {
				v.Slot(i)
			}
			v.epoch = ^uint32(0)
		}
		for round := range 2 { // the events again, their fields read in the other order
			for k, ev := range events {
				v.Reset(ev)
				for j := range names {
					i := j
					if round == 1 {
						i = len(names) - 1 - j
					}
					want, found := ev.Get(names[i])
					text, isText := v.SlotText(i)
					fv := v.Slot(i)
					assert.Equal(t, found, fv.Kind() != KindMissing, "event %d, %s", k, names[i])
					assert.Equal(t, want, fv.Native(), "event %d, %s", k, names[i])
					assert.Equal(t, found && ev.raw != "" && !v.overridden(names[i]), isText,
						"event %d, %s: a member's text, unless overridden", k, names[i])
					if isText {
						assert.Equal(t, want, rawNative(text), "event %d, %s: the text is the field's", k, names[i])
					}
				}
			}
		}
	}
}

// BenchmarkFieldViewSlots reads fields as a Sigma pack's routing and candidate scan read them
// (6, 24 or 53 fields, most of them missing from any one event) from each of the shared
// dataset's Windows events, through a Slots table as large as a pack's.
func BenchmarkFieldViewSlots(b *testing.B) {
	data, err := os.ReadFile(shared.Path(b, "datasets", "otrf-windows", "covenant_installutil.jsonl"))
	require.NoError(b, err)
	var events []*Event
	for line := range bytes.Lines(data) {
		if ev, ok := NewRaw(bytes.TrimSpace(line)); ok {
			events = append(events, ev)
		}
	}
	slots := NewSlots()
	for i := range 600 {
		slots.Slot(fmt.Sprintf("Field%d", i))
	}
	names := []string{"EventID", "Channel", "Image", "CommandLine", "ParentImage",
		"ParentCommandLine", "OriginalFileName", "Product", "Description", "Company",
		"TargetFilename", "TargetObject", "Details", "QueryName", "DestinationHostname",
		"DestinationPort", "ImageLoaded", "Signed", "PipeName", "ServiceName", "ScriptBlockText",
		"GrantedAccess", "SourceImage", "TargetImage"}
	for i := len(names); i < 53; i++ {
		names = append(names, fmt.Sprintf("Field%d", i*7))
	}
	for _, n := range []int{6, 24, 53} {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			var read []int
			for _, name := range names[:n] {
				read = append(read, slots.Slot(name))
			}
			v := NewFieldView(slots)
			b.ReportAllocs()
			for b.Loop() {
				for _, ev := range events {
					v.Reset(ev)
					for _, i := range read {
						v.Slot(i)
					}
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(events)), "ns/event")
		})
	}
}

// inLine reports whether s lies in line's memory.
func inLine(line, s string) bool { return len(s) > 0 && offsetIn(line, s) >= 0 }

// stringsIn gathers the strings a decoded JSON value holds, keys included.
func stringsIn(v any) []string {
	switch t := v.(type) {
	case string:
		return []string{t}
	case []any:
		var out []string
		for _, x := range t {
			out = append(out, stringsIn(x)...)
		}
		return out
	case map[string]any:
		var out []string
		for k, x := range t {
			out = append(append(out, k), stringsIn(x)...)
		}
		return out
	}
	return nil
}

// TestFieldViewLetsGoOfTheLine: what outlives an event keeps nothing of its line, which may
// be a slice of a chunk of a megabyte (a chunked Reader's): an object or array read as a Go
// value (Field.Native, as an alert's group keeps it), and a view shown no event after it
// (a decoder's, which lives as long as its Reader) holds no read of it.
func TestFieldViewLetsGoOfTheLine(t *testing.T) {
	line := `{"time":"2026-03-20T09:00:00Z","log_source":"x","user":"alice","obj":{"k":"v","l":["w"]},"esc":"a\"b","up":"ABC"}`
	ev, ok := NewRawString(line)
	require.True(t, ok)
	line = ev.Raw()
	slots := NewSlots()
	for _, name := range []string{"user", "obj", "esc"} {
		slots.Slot(name)
	}
	v := NewFieldView(slots)
	v.Reset(ev)
	for i := range 3 {
		v.Slot(i)
	}
	_, _ = v.Lower(v.field("up"))
	_, _ = v.Find(types.String("log_source"))

	native := v.Slot(1).Native()
	require.Equal(t, map[string]any{"k": "v", "l": []any{"w"}}, native)
	for _, s := range stringsIn(native) {
		assert.False(t, inLine(line, s), "Native's %q is a view into the line", s)
	}

	v.Reset(nil)
	for _, f := range append(v.cache, func() []Field {
		var out []Field
		for _, n := range v.named[:cap(v.named)] {
			out = append(out, n.Field)
		}
		return out
	}()...) {
		for _, s := range []string{f.str, f.raw, f.lower} {
			assert.False(t, inLine(line, s), "the view still holds %q of the line", s)
		}
	}
	require.Nil(t, v.ev)
}
