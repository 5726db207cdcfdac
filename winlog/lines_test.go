package winlog

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"io"
	"testing"
	"unicode/utf16"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/stixcel/stixcel/event"
)

func gzipped(t *testing.T, data []byte) []byte {
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	_, err := zw.Write(data)
	require.NoError(t, err)
	require.NoError(t, zw.Close())
	return b.Bytes()
}

func utf16LE(s string) []byte {
	out := []byte{0xff, 0xfe}
	for _, u := range utf16.Encode([]rune(s)) {
		out = append(out, byte(u), byte(u>>8))
	}
	return out
}

// readLines reads every record of an input; it fails on a rejection.
func readLines(t *testing.T, data []byte) (records []any, numbers []int, lines *Lines) {
	lines = NewLines(bytes.NewReader(data), "input")
	for {
		line, err := lines.Next()
		if errors.Is(err, io.EOF) {
			return records, numbers, lines
		}
		require.NoError(t, err)
		require.Empty(t, line.Reason, line.Detail)
		records = append(records, stringified(decodeAll(t, line.Text)[0]))
		numbers = append(numbers, line.Number)
	}
}

// TestFormats: the same seven events as EVTX, JSON lines, evtx_dump's pretty JSON (with and
// without its "Record N" lines), a JSON array, XML in UTF-8 and UTF-16, and gzipped, are
// recognised by their content and read as the same records, numbered as the package says.
func TestFormats(t *testing.T) {
	evtx := sevenRecords(t)
	var compact [][]byte
	lines := NewLines(bytes.NewReader(evtx), "x.evtx")
	for {
		line, err := lines.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		require.NoError(t, err)
		compact = append(compact, bytes.Clone(line.Text))
	}
	require.Len(t, compact, 7)
	var jsonLines, pretty, dump, array, xmlDoc bytes.Buffer
	array.WriteString("[\n")
	for i, c := range compact {
		jsonLines.Write(append(c, '\n'))
		var indented bytes.Buffer
		require.NoError(t, json.Indent(&indented, c, "", "  "))
		pretty.Write(append(indented.Bytes(), '\n'))
		dump.WriteString("Record " + string(rune('1'+i)) + "\n")
		dump.Write(append(indented.Bytes(), '\n'))
		if i > 0 {
			array.WriteString(",\n")
		}
		array.Write(indented.Bytes())
		renderXML(&xmlDoc, "Event", decodeAll(t, c)[0].(map[string]any)["Event"], "", 0)
		xmlDoc.WriteString("\n")
	}
	array.WriteString("\n]\n")
	prettyStarts := []int{1}
	for i := range 6 {
		prettyStarts = append(prettyStarts, prettyStarts[i]+countLines(compact[i]))
	}
	tests := []struct {
		name    string
		data    []byte
		format  Format
		gzipped bool
		numbers []int
	}{
		{"EVTX", evtx, FormatEVTX, false, []int{1, 2, 3, 4, 5, 6, 7}},
		{"gzipped EVTX", gzipped(t, evtx), FormatEVTX, true, []int{1, 2, 3, 4, 5, 6, 7}},
		{"JSON lines", jsonLines.Bytes(), FormatJSONLines, false, []int{1, 2, 3, 4, 5, 6, 7}},
		{"gzipped JSON lines", gzipped(t, jsonLines.Bytes()), FormatJSONLines, true, []int{1, 2, 3, 4, 5, 6, 7}},
		{"pretty JSON", pretty.Bytes(), FormatJSONStream, false, prettyStarts},
		{"evtx_dump output", dump.Bytes(), FormatJSONStream, false, nil},
		{"a JSON array", array.Bytes(), FormatJSONStream, false, nil},
		{"XML", xmlDoc.Bytes(), FormatXML, false, []int{1, 2, 3, 4, 5, 6, 7}},
		{"UTF-16 XML", utf16LE(xmlDoc.String()), FormatXML, false, []int{1, 2, 3, 4, 5, 6, 7}},
		{"gzipped UTF-16 XML", gzipped(t, utf16LE(xmlDoc.String())), FormatXML, true, []int{1, 2, 3, 4, 5, 6, 7}},
	}
	want, _, _ := readLines(t, jsonLines.Bytes())
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, numbers, lines := readLines(t, tc.data)
			assert.Equal(t, tc.format, lines.Format())
			assert.Equal(t, tc.gzipped, lines.Gzipped())
			assert.Equal(t, want, got)
			if tc.numbers != nil {
				assert.Equal(t, tc.numbers, numbers, "line numbers")
			}
			format, gz, err := Detect(bufio.NewReader(bytes.NewReader(tc.data)))
			require.NoError(t, err)
			assert.Equal(t, tc.format, format, "Detect")
			assert.Equal(t, tc.gzipped, gz, "Detect: gzipped")
		})
	}
}

// countLines is how many lines the pretty form of a compact object takes.
func countLines(compact []byte) int {
	var b bytes.Buffer
	_ = json.Indent(&b, compact, "", "  ")
	return bytes.Count(b.Bytes(), []byte("\n")) + 1
}

// TestDetectUnknown: content that is no log is unknown, whatever its name would say.
func TestDetectUnknown(t *testing.T) {
	for _, data := range []string{"# README\n", "\x89PNG\r\n\x1a\n", "ElfFilX\x00", "", "   \n\n", "Recorder\n"} {
		format, _, err := Detect(bufio.NewReader(bytes.NewReader([]byte(data))))
		require.NoError(t, err)
		assert.Equal(t, FormatUnknown, format, "%q", data)
	}
}

// pausing gives its parts one read each, with event.ErrIdle between them, as a live stdin
// that falls silent does.
type pausing struct {
	parts [][]byte
	idle  bool
}

func (p *pausing) Read(b []byte) (int, error) {
	if len(p.parts) == 0 {
		return 0, io.EOF
	}
	if p.idle {
		p.idle = false
		return 0, event.ErrIdle
	}
	n := copy(b, p.parts[0])
	if p.parts[0] = p.parts[0][n:]; len(p.parts[0]) == 0 {
		p.parts, p.idle = p.parts[1:], true
	}
	return n, nil
}

// TestLiveInputPauses: a pause of a live input in the middle of an EVTX (gzipped or not) or
// of an XML event is waited out; JSON lines report it between lines and go on.
func TestLiveInputPauses(t *testing.T) {
	evtx := sevenRecords(t)
	var xmlDoc bytes.Buffer
	renderXML(&xmlDoc, "Event", map[string]any{"System": map[string]any{"EventID": json.Number("4624")}}, "  ", 0)
	tests := []struct {
		name        string
		data        []byte
		records     int
		idleReports int
	}{
		{"EVTX", evtx, 7, 0},
		{"gzipped EVTX", gzipped(t, evtx), 7, 0},
		{"XML", xmlDoc.Bytes(), 1, 0},
		{"JSON lines", []byte("{\"a\":1}\n{\"a\":2}\n{\"a\":3}\n"), 3, 2},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var parts [][]byte
			for i := 0; i < len(tc.data); i += 8 {
				parts = append(parts, bytes.Clone(tc.data[i:min(i+8, len(tc.data))]))
			}
			if tc.name == "JSON lines" { // a live input pauses at line ends
				parts = bytes.SplitAfter(tc.data, []byte("\n"))[:3]
			}
			lines := NewLines(&pausing{parts: parts}, "<stdin>")
			records, idle := 0, 0
			for n := 0; ; n++ {
				require.Less(t, n, 10000, "Next never ends")
				line, err := lines.Next()
				if errors.Is(err, io.EOF) {
					break
				}
				if errors.Is(err, event.ErrIdle) {
					idle++
					continue
				}
				require.NoError(t, err)
				require.Empty(t, line.Reason, line.Detail)
				records++
			}
			assert.Equal(t, tc.records, records)
			assert.Equal(t, tc.idleReports, idle, "pauses reported")
		})
	}
}
