package winlog

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// renderXML writes an evtx_dump record as Windows renders the event in XML: attributes from
// "#attributes", EventData members as <Data Name='…'>, "#text" as text; indent, when set,
// puts each element on its own line (wevtutil qe /f:xml), else the event is one line
// (Splunk's XmlWinEventLog).
func renderXML(w *bytes.Buffer, name string, v any, indent string, depth int) {
	pad := ""
	if indent != "" {
		pad = "\n" + strings.Repeat(indent, depth)
	}
	obj, _ := v.(map[string]any)
	tag, attrs := name, obj["#attributes"]
	if strings.HasPrefix(name, "Data\x00") { // an EventData member
		tag, attrs = "Data", map[string]any{"Name": strings.TrimPrefix(name, "Data\x00")}
	}
	fmt.Fprintf(w, "%s<%s", pad, tag)
	if m, ok := attrs.(map[string]any); ok {
		for _, k := range sortedKeys(m) {
			fmt.Fprintf(w, " %s='%s'", k, escapeXML(text(m[k])))
		}
	}
	if v == nil || (len(obj) == 1 && attrs != nil) {
		w.WriteString("/>")
		return
	}
	w.WriteString(">")
	if obj == nil {
		w.WriteString(escapeXML(text(v)))
		fmt.Fprintf(w, "</%s>", tag)
		return
	}
	for _, k := range sortedKeys(obj) {
		switch {
		case k == "#attributes":
		case k == "#text":
			w.WriteString(escapeXML(text(obj[k])))
		case name == "EventData":
			renderXML(w, "Data\x00"+k, obj[k], indent, depth+1)
		default:
			renderXML(w, k, obj[k], indent, depth+1)
		}
	}
	fmt.Fprintf(w, "%s</%s>", pad, tag)
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func text(v any) string {
	if n, ok := v.(json.Number); ok {
		return n.String()
	}
	return fmt.Sprint(v)
}

func escapeXML(s string) string {
	var b bytes.Buffer
	_ = xml.EscapeText(&b, []byte(s))
	return b.String()
}

// withMicroseconds is a record with its SystemTime as evtx_dump writes it, in microseconds
// (one regression file has 9 decimals).
func withMicroseconds(t *testing.T, rec any) any {
	attrs := rec.(map[string]any)["Event"].(map[string]any)["System"].(map[string]any)["TimeCreated"].(map[string]any)["#attributes"].(map[string]any)
	at, err := time.Parse(time.RFC3339Nano, attrs["SystemTime"].(string))
	require.NoError(t, err)
	attrs["SystemTime"] = formatTime(at)
	return rec
}

// stringified is v with every number as its text, as XML carries it.
func stringified(v any) any {
	switch v := v.(type) {
	case map[string]any:
		out := map[string]any{}
		for k, x := range v {
			out[k] = stringified(x)
		}
		return out
	case json.Number:
		return v.String()
	}
	return v
}

// TestXMLLayouts: the events of the regression JSON, rendered as XML one per line, indented
// back to back, and inside an <Events> export, read as the same records (their values as the
// XML's text; System's numbers as numbers), each numbered by the line its <Event> starts on.
func TestXMLLayouts(t *testing.T) {
	var records []any
	for _, path := range regressionPairs(t) {
		data, err := os.ReadFile(strings.TrimSuffix(path, ".evtx") + ".json")
		require.NoError(t, err)
		records = append(records, decodeAll(t, data)...)
	}
	layouts := []struct {
		name           string
		indent, header string
		footer         string
	}{
		{"one per line", "", "", ""},
		{"indented back to back", "  ", "", ""},
		{"an Events export", "  ", "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Events>", "</Events>\n"},
	}
	for _, tc := range layouts {
		t.Run(tc.name, func(t *testing.T) {
			var doc bytes.Buffer
			doc.WriteString(tc.header)
			var starts []int
			for _, rec := range records {
				if tc.indent == "" || doc.Len() > 0 {
					doc.WriteString("\n")
				}
				starts = append(starts, bytes.Count(doc.Bytes(), []byte("\n"))+1)
				renderXML(&doc, "Event", rec.(map[string]any)["Event"], tc.indent, 0)
			}
			doc.WriteString("\n" + tc.footer)
			lines := NewLines(bytes.NewReader(bytes.TrimPrefix(doc.Bytes(), []byte("\n"))), "events.xml")
			var got []any
			var numbers []int
			for {
				line, err := lines.Next()
				if errors.Is(err, io.EOF) {
					break
				}
				require.NoError(t, err)
				require.Empty(t, line.Reason, line.Detail)
				got = append(got, decodeAll(t, line.Text)...)
				numbers = append(numbers, line.Number)
			}
			assert.Equal(t, FormatXML, lines.Format())
			require.Len(t, got, len(records))
			for i := range records {
				id := got[i].(map[string]any)["Event"].(map[string]any)["System"].(map[string]any)["EventID"]
				assert.IsType(t, json.Number(""), id, "EventID is a number")
				assert.Equal(t, stringified(withMicroseconds(t, records[i])), stringified(got[i]), "record %d", i)
			}
			if tc.header == "" {
				offset := 0
				if tc.indent == "" {
					offset = -1 // the leading newline was trimmed
				}
				for i := range starts {
					starts[i] += offset
				}
				assert.Equal(t, starts, numbers, "line numbers")
			}
		})
	}
}
