package event

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
	"unicode/utf8"
	"unsafe"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/tidwall/gjson"

	"github.com/stixcel/stixcel/internal/jsonl"
)

// threePassReadable is the verdict validObject replaces: three passes with the libraries.
func threePassReadable(line []byte) bool {
	trimmed := bytes.TrimLeft(line, " \t\r\n")
	return len(trimmed) > 0 && trimmed[0] == '{' && jsonl.Simple(line) && utf8.Valid(line) && gjson.ValidBytes(line)
}

var validObjectCases = []struct {
	line string
	want bool
}{
	{`{}`, true},
	{` {"a":1} `, true},
	{`{"a":[1,2,{"b":null}],"c":true,"d":false,"e":-0.5e+10}`, true},
	{`{"a":"\u00e9\n\"\\\/"}`, true},
	{`{"a":"é"}`, true},
	{`{"a":1e99,"b":1E-007,"c":0e0}`, true},
	{`[1]`, false},
	{`{"a":1}x`, false},
	{`{"a":1,}`, false},
	{`{"a" 1}`, false},
	{`{"a":01}`, false},
	{`{"a":1.}`, false},
	{`{"a":1e}`, false},
	{`{"a":1e400}`, false},
	{`{"a":-}`, false},
	{`{"a":tru}`, false},
	{`{"a":"\ud83d\ude00"}`, false}, // a surrogate pair: encoding/json's reading, not lazy
	{`{"a":"\x"}`, false},
	{"{\"a\":\"\x01\"}", false},
	{"{\"a\":\"\xff\"}", false},
	{`{"a":"open}`, false},
	{`{"a":[1,2}`, false},
	{`{"a":{"b":1]}`, false},
}

func repeat(s string, n int) string { return strings.Repeat(s, n) }

func TestValidObjectAgreesWithThreePasses(t *testing.T) {
	deep := `{"a":` + repeat("[", 40) + repeat("]", 40) + `}`
	long := `{"a":1` + repeat("0", 301) + `}`
	cases := append(validObjectCases, struct {
		line string
		want bool
	}{deep, false}, struct {
		line string
		want bool
	}{long, false})
	for _, tc := range cases {
		assert.Equal(t, tc.want, validObject(tc.line), "validObject(%q)", tc.line)
		assert.Equal(t, threePassReadable([]byte(tc.line)), validObject(tc.line), "three passes disagree on %q", tc.line)
	}
}

// FuzzValidObject: the one-pass scan gives the three-pass verdict on any line.
func FuzzValidObject(f *testing.F) {
	for _, tc := range validObjectCases {
		f.Add([]byte(tc.line))
	}
	f.Add([]byte(`{"a":` + repeat("[", 33) + repeat("]", 33) + `}`))
	f.Fuzz(func(t *testing.T, line []byte) {
		if got, want := validObject(string(line)), threePassReadable(line); got != want {
			t.Fatalf("validObject(%q) = %v, three passes say %v", line, got, want)
		}
	})
}

// TestValidObjectEveryOffset puts each kind of byte that ends plain string text at every
// offset of a long string, across the eight-byte steps of the scan.
func TestValidObjectEveryOffset(t *testing.T) {
	for _, special := range []string{`"`, `\n`, "\x01", "\x1f", "é", "\xff", `\`, `\u0041`, `\ud800`, "\x7f", " "} {
		for at := range 24 {
			line := `{"k":"` + strings.Repeat("a", at) + special + strings.Repeat("b", 24-at) + `"}`
			assert.Equal(t, threePassReadable([]byte(line)), validObject(line), "%q", line)
		}
	}
}

func TestLongestString(t *testing.T) {
	tests := []struct {
		line string
		want int
	}{
		{`{"a":1}`, 1},
		{`{"k":"` + strings.Repeat("x", 100) + `"}`, 100},
		{`{"k":{"deep":["` + strings.Repeat("é", 50) + `"]}}`, 100},
		{`{"k":{"deep":["` + strings.Repeat(`\u00e9`, 50) + `"]}}`, 100},
		{`{"k":"` + strings.Repeat(`\u20ac`, 10) + `"}`, 30},
		{`{"k":"` + strings.Repeat(`\u0041`, 10) + `\/\"\\\b"}`, 14},
		{`{"k":"a\nb"}`, 3},
	}
	for _, tc := range tests {
		ev, ok := NewRaw([]byte(tc.line))
		require.True(t, ok, tc.line)
		assert.Equal(t, tc.want, ev.LongestString(), tc.line)
		m, err := jsonl.Decode([]byte(tc.line))
		require.NoError(t, err)
		assert.Equal(t, tc.want, (&Event{Fields: m.(map[string]any)}).LongestString(), "the decoded length, however the line escapes it: %s", tc.line)
	}
	ev, _ := NewRaw([]byte(`{"a":"b"}`))
	ev.Overrides = []Override{{Name: "x", Value: strings.Repeat("y", 500), Set: true}}
	assert.Equal(t, 500, ev.LongestString(), "overrides count")
}

// TestRawArenaGivesWhatNewRawGives: an arena's events are NewRawString's, their members
// gathered one after the other in a shared array (each list closed: appending to one never
// writes the next), lines of more members than the room holds and lines that are not
// events included.
func TestRawArenaGivesWhatNewRawGives(t *testing.T) {
	wide := `{"time":"2026-03-20T09:00:00Z"`
	for i := range 3 * arenaMembers {
		wide += fmt.Sprintf(`,"f%d":%d`, i, i)
	}
	wide += "}"
	lines := []string{wide, `{"a":1}`, `not json`, `{}`, `{"a":1`}
	for i := range 200 {
		lines = append(lines, fmt.Sprintf(`{"time":"2026-03-20T09:00:00Z","log_source":"x","n":%d,"k\u00e9y":"v"}`, i))
	}
	lines = append(lines, wide, `{"b":[1,{"c":2}]}`)
	var arena RawArena
	var prev *Event
	shared := 0
	for _, line := range lines {
		want, wantOK := NewRawString(line)
		got, ok := arena.NewRawString(line)
		require.Equal(t, wantOK, ok, line)
		if !ok {
			continue
		}
		require.Equal(t, want, got, line)
		require.Equal(t, len(got.members), cap(got.members), "a list open to appends")
		if prev != nil && len(prev.members) > 0 && len(got.members) > 0 &&
			uintptr(unsafe.Pointer(&prev.members[len(prev.members)-1]))+unsafe.Sizeof(member{}) == uintptr(unsafe.Pointer(&got.members[0])) {
			shared++
		}
		prev = got
	}
	require.Greater(t, shared, 150, "events whose members follow the event's before in one array")
}

// TestRawArenaLetsGoOfABadLine: a line that is not an event leaves nothing of itself in the
// arena, which outlives it (what its scan gathered before it failed is cleared).
func TestRawArenaLetsGoOfABadLine(t *testing.T) {
	var arena RawArena
	_, ok := arena.NewRawString(`{"a":1}`)
	require.True(t, ok)
	bad := `{"a":1,"b":2,"c":[3],"d":`
	_, ok = arena.NewRawString(bad)
	require.False(t, ok)
	for _, m := range arena.room[:cap(arena.room)] {
		require.False(t, inLine(bad, m.key) || inLine(bad, m.raw), "the arena keeps %q of the bad line", m.key)
	}
}
