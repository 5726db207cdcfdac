package runtime

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
	"unsafe"

	"github.com/stretchr/testify/require"

	"github.com/stixcel/stixcel/event"
	"github.com/stixcel/stixcel/plan"
)

// TestAlertsKeepNothingOfTheLines: the events of a batch are backed by slices of a chunk of
// their file (a megabyte of lines, event.NewRawString); the alerts and hunt records made of
// them keep no string inside it (group values, objects among them, evidence, correlation
// state), so that an alert held to the end of a run does not keep a megabyte alive.
func TestAlertsKeepNothingOfTheLines(t *testing.T) {
	var lines []string
	for i := range 40 {
		lines = append(lines, fmt.Sprintf(`{"time":"2026-03-20T09:00:%02dZ","log_source":"x","key":"k%d","n":%d,`+
			`"obj":{"a":"v%d","l":["w"]},"what":"%s","long":"%s"}`, i, i%3, i, i%2, []string{"open", "close"}[i%2], strings.Repeat("x", 300)))
	}
	chunk := strings.Join(lines, "\n")
	var events []*event.Event
	start := 0
	for i, line := range lines {
		ev, ok := event.NewRawString(chunk[start : start+len(line)])
		require.True(t, ok)
		ev, bad := event.Normalized{}.DecodeRaw(ev)
		require.Nil(t, bad)
		ev.Source, ev.Line = "chunk.jsonl", i+1
		events = append(events, ev)
		start += len(line) + 1
	}
	fields := []string{"key", "n", "obj", "what", "long"}
	set := &plan.Set{Schema: plan.Schema, Plans: []*plan.Plan{
		{ID: "AN0001", Kind: plan.KindDetection,
			Channels: []*plan.Channel{
				{ID: "c1", LogSource: "x", Predicate: `event.what == "open"`, Fields: fields, SeriesBy: []string{"key"}},
				{ID: "c2", LogSource: "x", Predicate: `event.what == "close"`, Fields: fields}},
			Correlation: plan.Correlation{GroupBy: []string{"key", "obj", "long"}, WindowLiteral: "1h", Condition: "c1 && c2"}},
		{ID: "AN0002", Kind: plan.KindDetection,
			Channels:    []*plan.Channel{{ID: "c1", LogSource: "x", Predicate: "event.n >= 0", Fields: fields}},
			Correlation: plan.Correlation{GroupBy: []string{"obj", "key"}}},
		{ID: "AN0003", Kind: plan.KindSelector, Hunt: true,
			Channels: []*plan.Channel{{ID: "c1", LogSource: "x", Selector: `event.n >= 0`, Selects: plan.SelectsContent,
				Fields: fields, Origin: plan.OriginDerived}}},
	}}
	out, _ := run(t, set, events, WithHunt(true))
	require.NotEmpty(t, out)
	base, end := uintptr(unsafe.Pointer(unsafe.StringData(chunk))), uintptr(len(chunk))
	strs := 0
	var walk func(path string, v reflect.Value)
	walk = func(path string, v reflect.Value) {
		switch v.Kind() {
		case reflect.String:
			s := v.String()
			if p := uintptr(unsafe.Pointer(unsafe.StringData(s))); len(s) > 0 && p >= base && p < base+end {
				t.Errorf("%s: %q is a view into the events' chunk", path, s)
			}
			strs++
		case reflect.Pointer, reflect.Interface:
			if !v.IsNil() {
				walk(path, v.Elem())
			}
		case reflect.Struct:
			for i := range v.NumField() {
				walk(path+"."+v.Type().Field(i).Name, v.Field(i))
			}
		case reflect.Slice, reflect.Array:
			if v.Kind() == reflect.Slice && v.Type().Elem().Kind() == reflect.Uint8 {
				b := v.Bytes()
				if p := uintptr(unsafe.Pointer(unsafe.SliceData(b))); len(b) > 0 && p >= base && p < base+end {
					t.Errorf("%s: %q is a view into the events' chunk", path, b)
				}
				return
			}
			for i := range v.Len() {
				walk(fmt.Sprintf("%s[%d]", path, i), v.Index(i))
			}
		case reflect.Map:
			for it := v.MapRange(); it.Next(); {
				walk(path+"{key}", it.Key())
				walk(fmt.Sprintf("%s[%v]", path, it.Key()), it.Value())
			}
		}
	}
	kinds := map[string]bool{}
	for i, o := range out {
		kinds[fmt.Sprintf("%T", o)] = true
		walk(fmt.Sprintf("output %d", i), reflect.ValueOf(o))
	}
	require.Len(t, kinds, 2, "alerts and hunt records: %v", kinds)
	require.Greater(t, strs, 100)
}
