package event

import (
	"io"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

type readResult struct {
	events     []*Event
	rejections []*Rejection
	stats      ReadStats
}

func readAll(t *testing.T, input, name string, dec Decoder) readResult {
	t.Helper()
	r := NewReader(strings.NewReader(input), name, dec)
	var res readResult
	for {
		ev, rej, err := r.Next()
		if err == io.EOF {
			break
		}
		require.NoError(t, err)
		if rej != nil {
			res.rejections = append(res.rejections, rej)
		} else {
			res.events = append(res.events, ev)
		}
	}
	res.stats = r.Stats()
	return res
}

func TestReaderRejections(t *testing.T) {
	tests := []struct {
		name   string
		line   string
		reason string
	}{
		{name: "invalid JSON", line: `{"time": "2026-03-20T09:00:00Z",`, reason: ReasonInvalidJSON},
		{name: "trailing data", line: `{"time":"2026-03-20T09:00:00Z","log_source":"x"} {}`, reason: ReasonInvalidJSON},
		{name: "array", line: `[1, 2]`, reason: ReasonNotObject},
		{name: "string", line: `"event"`, reason: ReasonNotObject},
		{name: "missing time", line: `{"log_source":"x"}`, reason: ReasonMissingTime},
		{name: "null time", line: `{"time":null,"log_source":"x"}`, reason: ReasonMissingTime},
		{name: "numeric time", line: `{"time":1742461200,"log_source":"x"}`, reason: ReasonInvalidTime},
		{name: "not RFC 3339", line: `{"time":"20/03/2026 09:00","log_source":"x"}`, reason: ReasonInvalidTime},
		{name: "missing log_source", line: `{"time":"2026-03-20T09:00:00Z"}`, reason: ReasonMissingLogSource},
		{name: "numeric log_source", line: `{"time":"2026-03-20T09:00:00Z","log_source":4}`, reason: ReasonInvalidLogSource},
		{name: "empty log_source", line: `{"time":"2026-03-20T09:00:00Z","log_source":""}`, reason: ReasonInvalidLogSource},
		{name: "empty line", line: `   `, reason: ReasonEmptyLine},
		{name: "invalid UTF-8", line: "{\"time\":\"2026-03-20T09:00:00Z\",\"log_source\":\"x\",\"u\":\"caf\xe9\"}", reason: ReasonInvalidUTF8},
		{name: "invalid UTF-8 in a key", line: "{\"time\":\"2026-03-20T09:00:00Z\",\"log_source\":\"x\",\"\xff\":1}", reason: ReasonInvalidUTF8},
	}
	valid := `{"time":"2026-03-20T09:00:00Z","log_source":"VPN:MobileProxy"}`
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res := readAll(t, valid+"\n"+tc.line+"\n"+valid+"\n", "x.jsonl", nil)
			require.Len(t, res.rejections, 1)
			rej := res.rejections[0]
			assert.Equal(t, "x.jsonl", rej.File)
			assert.Equal(t, 2, rej.Line)
			assert.Equal(t, tc.reason, rej.Reason)
			assert.Contains(t, rej.Error(), "x.jsonl:2: "+tc.reason)
			assert.Equal(t, tc.line, string(rej.Raw), "the line, verbatim")
			require.Len(t, res.events, 2)
			assert.Equal(t, []int{1, 3}, []int{res.events[0].Line, res.events[1].Line})
			assert.Equal(t, ReadStats{Read: 3, Processed: 2, Rejected: map[string]int64{tc.reason: 1}}, res.stats)
		})
	}
}

func TestReaderCountsAddUp(t *testing.T) {
	input := strings.Join([]string{
		`{"time":"2026-03-20T09:00:00Z","log_source":"a","n":1}`,
		``,
		`not json`,
		`{"time":"2026-03-20T09:00:01+02:00","log_source":"b","n":1.5}`,
		`{"log_source":"a"}`,
		`{"time":"2026-03-20T09:00:02.123Z","log_source":"a"}` + "\r",
	}, "\n") // no final newline: the last line still counts
	res := readAll(t, input, "mixed.jsonl", nil)
	assert.Equal(t, int64(6), res.stats.Read)
	assert.Equal(t, int64(3), res.stats.Processed)
	assert.Equal(t, int64(3), res.stats.RejectedTotal())
	assert.Equal(t, res.stats.Read, res.stats.Processed+res.stats.RejectedTotal())
	assert.Equal(t, []string{ReasonEmptyLine, ReasonInvalidJSON, ReasonMissingTime}, res.stats.Reasons())
	var lines []int
	for _, r := range res.rejections {
		lines = append(lines, r.Line)
	}
	assert.Equal(t, []int{2, 3, 5}, lines)
	require.Len(t, res.events, 3)
	assert.Equal(t, 6, res.events[2].Line)
	assert.True(t, res.events[1].Time.Equal(time.Date(2026, 3, 20, 7, 0, 1, 0, time.UTC)))
}

// TestReaderEveryKind reads one stream with a line of every rejected kind between valid
// ones, a 5 MB valid line among them: every bad line is named, and the counts add up.
func TestReaderEveryKind(t *testing.T) {
	valid := `{"time":"2026-03-20T09:00:00Z","log_source":"x"}`
	lines := []struct {
		text   string
		reason string // "" for a valid line
	}{
		{valid, ""},
		{`{"time":`, ReasonInvalidJSON},
		{"{\"time\":\"2026-03-20T09:00:00Z\",\"log_source\":\"x\",\"b\":\"\xc3\x28\"}", ReasonInvalidUTF8},
		{`[{"time":"2026-03-20T09:00:00Z","log_source":"x"}]`, ReasonNotObject},
		{`{"log_source":"x"}`, ReasonMissingTime},
		{`{"time":"yesterday","log_source":"x"}`, ReasonInvalidTime},
		{`{"time":"2026-03-20T09:00:00Z"}`, ReasonMissingLogSource},
		{`{"time":"2026-03-20T09:00:00Z","log_source":["x"]}`, ReasonInvalidLogSource},
		{"", ReasonEmptyLine},
		{`{"time":"2026-03-20T09:00:00Z","log_source":"x","blob":"` + strings.Repeat("b", 5_000_000) + `"}`, ""},
		{strings.Repeat(" ", MaxLineBytes+1), ReasonLineTooLong},
		{valid, ""},
	}
	var input strings.Builder
	wantRejected := map[int]string{}
	for i, l := range lines {
		input.WriteString(l.text + "\n")
		if l.reason != "" {
			wantRejected[i+1] = l.reason
		}
	}
	res := readAll(t, input.String(), "mixed.jsonl", nil)
	gotRejected := map[int]string{}
	for _, rej := range res.rejections {
		gotRejected[rej.Line] = rej.Reason
	}
	assert.Equal(t, wantRejected, gotRejected)
	require.Len(t, res.events, 3)
	assert.Equal(t, []int{1, 10, 12}, []int{res.events[0].Line, res.events[1].Line, res.events[2].Line})
	assert.Equal(t, int64(len(lines)), res.stats.Read)
	assert.Equal(t, res.stats.Read, res.stats.Processed+res.stats.RejectedTotal())
}

func TestReaderNumbersAndFields(t *testing.T) {
	line := `{"time":"2026-03-20T09:00:00Z","log_source":"VPN:MobileProxy","dst_port":4444,"ratio":0.5,"big":1e3,` +
		`"nested":{"ids":[1,2.5]},"path":"C:\\Windows\\x.exe","dup":1,"dup":"last"}` + "\n"
	want := map[string]any{
		"log_source": "VPN:MobileProxy", "time": "2026-03-20T09:00:00Z", // kept in the object
		"dst_port": int64(4444), "ratio": 0.5, "big": 1000.0,
		"nested": map[string]any{"ids": []any{int64(1), 2.5}},
		"path":   `C:\Windows\x.exe`,
		"dup":    "last", // as encoding/json: the last of duplicate keys
	}
	tests := []struct {
		name   string
		dec    Decoder
		fields func(ev *Event) map[string]any
	}{
		{name: "raw-backed (default)", fields: func(ev *Event) map[string]any {
			assert.Nil(t, ev.Fields, "fields are read on use")
			assert.NotEmpty(t, ev.Raw())
			return ev.Map()
		}},
		{name: "decoded into Fields", dec: Normalized{Fields: true}, fields: func(ev *Event) map[string]any {
			assert.Empty(t, ev.Raw())
			return ev.Fields
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res := readAll(t, line, "n.jsonl", tc.dec)
			require.Len(t, res.events, 1)
			ev := res.events[0]
			assert.Equal(t, "VPN:MobileProxy", ev.LogSource)
			assert.Equal(t, want, tc.fields(ev))
			for name, v := range want {
				got, ok := ev.Get(name)
				assert.True(t, ok, name)
				assert.Equal(t, v, got, name)
			}
			_, ok := ev.Get("absent")
			assert.False(t, ok)
		})
	}
}

func TestReaderLongLine(t *testing.T) {
	blob := strings.Repeat("a", 5<<20)
	line := `{"time":"2026-03-20T09:00:00Z","log_source":"x","blob":"` + blob + `"}`
	res := readAll(t, line+"\n"+line+"\n", "big.jsonl", nil)
	require.Len(t, res.events, 2)
	got, _ := res.events[1].Get("blob")
	assert.Len(t, got, 5<<20)
	assert.Equal(t, 2, res.events[1].Line)
	assert.Equal(t, ReadStats{Read: 2, Processed: 2, Rejected: map[string]int64{}}, res.stats)
}

func TestReaderLineTooLong(t *testing.T) {
	valid := `{"time":"2026-03-20T09:00:00Z","log_source":"x"}`
	long := `{"time":"2026-03-20T09:00:00Z","log_source":"x","blob":"` + strings.Repeat("a", MaxLineBytes) + `"}`
	res := readAll(t, valid+"\n"+long+"\r\n"+valid+"\n", "long.jsonl", nil)
	require.Len(t, res.rejections, 1)
	rej := res.rejections[0]
	assert.Equal(t, 2, rej.Line)
	assert.Equal(t, ReasonLineTooLong, rej.Reason)
	assert.Equal(t, "long.jsonl:2: line too long: longer than 16777216 bytes (only the first 1048576 are kept)", rej.Error())
	assert.Equal(t, long[:MaxRejectedRaw], string(rej.Raw))
	require.Len(t, res.events, 2)
	assert.Equal(t, 3, res.events[1].Line)
	assert.Equal(t, ReadStats{Read: 3, Processed: 2, Rejected: map[string]int64{ReasonLineTooLong: 1}}, res.stats)
}

func TestReaderEmptyInput(t *testing.T) {
	for name, input := range map[string]string{"nothing": "", "one newline": "\n"} {
		t.Run(name, func(t *testing.T) {
			res := readAll(t, input, "e.jsonl", nil)
			if input == "" {
				assert.Equal(t, int64(0), res.stats.Read)
				return
			}
			assert.Equal(t, int64(1), res.stats.Read, "a lone newline ends one empty line")
			assert.Equal(t, map[string]int64{ReasonEmptyLine: 1}, res.stats.Rejected)
		})
	}
}

// maxMessageBytes bounds a rejection's message: values are quoted by jsonl.Quote.
const maxMessageBytes = 512

// columnRE finds the column a JSON error gives.
var columnRE = regexp.MustCompile(`at column (\d+)`)

// FuzzReader feeds arbitrary input to Reader: no panic, every line is an event or a
// rejection with its number, and the counts add up. (Lines over MaxLineBytes are tested by
// TestReaderLineTooLong: as seeds they would slow every fuzzing round.)
func FuzzReader(f *testing.F) {
	f.Add(`{"time":"2026-03-20T09:00:00Z","log_source":"a","n":1}` + "\n\n[1]\n{\"time\":5}")
	f.Add("\r\n{\"log_source\":\"x\",\"time\":\"2026-03-20T09:00:00+01:00\",\"v\":1e400}")
	f.Add("{\"time\":\"2026-03-20T09:00:00Z\",\"log_source\":\"a\",\"u\":\"\xff\xfe\"}\n\xed\xa0\x80\n")
	f.Add(`{"time":"2026-03-20T09:00:00Z","log_source":"a","big":"` + strings.Repeat("x", 1<<20) + `"}`)
	f.Add("\xef\xbb\xbf{\"time\":\"2026-03-20T09:00:00Z\",\"log_source\":\"a\"}\n\xef\xbb\xbf{}\n{\"é\": 1x}")
	f.Add(`{"time":"` + strings.Repeat("é", 200) + `","log_source":"a"}`)
	f.Fuzz(func(t *testing.T, input string) {
		r := NewReader(strings.NewReader(input), "fuzz.jsonl", nil)
		lines := 0
		for {
			ev, rej, err := r.Next()
			if err == io.EOF {
				break
			}
			require.NoError(t, err)
			lines++
			require.True(t, (ev == nil) != (rej == nil), "exactly one of event and rejection")
			if ev != nil {
				require.Equal(t, lines, ev.Line)
				require.NotEmpty(t, ev.LogSource)
			} else {
				require.Equal(t, lines, rej.Line)
				require.NotEmpty(t, rej.Reason)
				require.LessOrEqual(t, len(rej.Raw), MaxLineBytes)
				// A message never echoes a long value whole, and a column is inside the line.
				require.LessOrEqual(t, len(rej.Error()), maxMessageBytes, rej.Error())
				if m := columnRE.FindStringSubmatch(rej.Detail); m != nil {
					col, _ := strconv.Atoi(m[1])
					require.True(t, col >= 1 && col <= utf8.RuneCount(rej.Raw)+1, "column %d of %q", col, rej.Raw)
				}
			}
		}
		st := r.Stats()
		require.Equal(t, int64(lines), st.Read)
		require.Equal(t, st.Read, st.Processed+st.RejectedTotal())
	})
}

func BenchmarkReader(b *testing.B) {
	line := `{"time":"2026-03-20T09:08:01Z","log_source":"VPN:MobileProxy","device_id":"ios-beacon-7","app_bundle_id":"com.example.flashlight","session_id":"s-1029","dst_host":"cdn-sync.example.net","dst_ip":"203.0.113.66","dst_port":4444,"protocol":"tls","service_class":"unknown"}` + "\n"
	input := strings.Repeat(line, 1000)
	b.SetBytes(int64(len(input)))
	b.ReportAllocs()
	for b.Loop() {
		r := NewReader(strings.NewReader(input), "bench.jsonl", nil)
		for {
			if _, _, err := r.Next(); err != nil {
				break
			}
		}
	}
	b.ReportMetric(float64(b.N*1000)/b.Elapsed().Seconds(), "lines/s")
}
