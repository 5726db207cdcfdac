package source

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stixcel/stixcel/diag"
	"github.com/stixcel/stixcel/event"
)

// FuzzNormalize feeds arbitrary input through the windows profile: no panic, and every line
// read is processed or rejected.
func FuzzNormalize(f *testing.F) {
	fixture, err := os.ReadFile(filepath.Join("testdata", "windows.jsonl"))
	if err != nil {
		f.Fatal(err)
	}
	for _, line := range bytes.Split(fixture, []byte("\n")) {
		f.Add(line)
	}
	f.Add([]byte(`{"Channel":{"a":1},"TimeCreated":["x"],"EventID":1e400}`))
	f.Add([]byte(`{"Channel":"Security","TimeCreated":"9999-12-31 23:59:59.999999999","EventID":18446744073709551616}`))
	f.Add([]byte("{\"Channel\":\"Security\",\"EventID\":4624,\"TimeCreated\":\"2020-10-18 07:50:06\",\"User\":\"caf\xe9\"}\n\xff\n"))
	f.Add([]byte(`{"Channel":"Security","EventID":4688,"TimeCreated":"2020-10-18 07:50:06","CommandLine":"` + strings.Repeat("A", 1<<20) + `"}`))
	f.Add([]byte(`{"Event":{"System":{"Channel":"Security","EventID":{"#text":4688,"#attributes":{"Qualifiers":0}},"Computer":"ws","TimeCreated":{"#attributes":{"SystemTime":"2020-10-18T07:50:06.1234567Z"}}},"EventData":{"#attributes":{"Name":"x"},"ProcessId":4460,"Big":18446744073709551616,"F":1e300,"N":null,"B":true},"UserData":{"X":{"User":"u"},"Y":[1]}}}`))
	f.Add([]byte(`{"@timestamp":"2020-10-18T07:50:06.123Z","winlog":{"channel":"Security","event_id":"4688","computer_name":"ws","event_data":{"A":"1"},"user_data":{"xml_name":"X","B":"2"}},"event":{"code":4688},"host":{"name":"ws"}}`))
	f.Add([]byte(`{"Event":{"System":{"Channel":7,"EventID":[],"TimeCreated":{"#attributes":{"SystemTime":null}}},"EventData":"x","UserData":{"a":"b"}},"winlog":{"event_data":[{"a":1}]}}`))
	p := windows(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		r := event.NewReader(bytes.NewReader(data), "fuzz.jsonl", NewDecoder(p))
		for {
			ev, rej, err := r.Next()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			if (ev == nil) == (rej == nil) {
				t.Fatalf("want an event or a rejection, got %v and %v", ev, rej)
			}
			if ev != nil && (ev.LogSource == "" || eventField(ev, "time") == nil) {
				t.Fatalf("event without time or log source: %v", ev.Map())
			}
		}
		st := r.Stats()
		if st.Read != st.Processed+st.RejectedTotal() {
			t.Fatalf("read %d != processed %d + rejected %d", st.Read, st.Processed, st.RejectedTotal())
		}
	})
}

// FuzzImplied feeds arbitrary lines to the decoder of runs without --source: no panic, an
// event or a rejection, and a line without a Windows shape is read exactly as a normalized
// event is.
func FuzzImplied(f *testing.F) {
	f.Add([]byte(`{"time":"2020-10-18T07:50:06Z","log_source":"x"}`))
	f.Add([]byte(`{"Channel":"Security","EventID":4624,"TimeCreated":"2020-10-18T07:50:06Z"}`))
	f.Add([]byte(`{"Event":{"System":{"Channel":"Security","EventID":{"#text":1},"TimeCreated":{"#attributes":{"SystemTime":"2020-10-18T07:50:06Z"}}}}}`))
	f.Add([]byte(`{"winlog":{"channel":"x","event_data":{"a":1}},"@timestamp":"2020-10-18T07:50:06Z","t\u0069me":1}`))
	p := windows(f)
	f.Fuzz(func(t *testing.T, line []byte) {
		if len(bytes.TrimSpace(line)) == 0 || !utf8.Valid(line) || bytes.ContainsAny(line, "\r\n") {
			return
		}
		ev, bad := NewImplied(p).Decode(line)
		if (ev == nil) == (bad == nil) {
			t.Fatalf("want an event or a rejection, got %v and %v", ev, bad)
		}
		if ev != nil && ev.LogSource == "" {
			t.Fatalf("event without a log source: %v", ev.Map())
		}
	})
}

// FuzzLoad feeds arbitrary YAML to Load: no panic, and an error is always positioned
// diagnostics.
func FuzzLoad(f *testing.F) {
	windowsYAML, err := builtinFS.ReadFile("profiles/windows.yaml")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(windowsYAML)
	f.Add([]byte("name: p\nfields:\n  time: parse_time(raw.t)\n  log_source: |\n    raw.src +\n"))
	f.Add([]byte("name: [\n"))
	f.Add([]byte("name: p\nfields:\n  time: parse_time(raw.t)\n  log_source: raw.s\nlift: [raw.a, 'raw.b.map(k, raw.b[k])']\nlift_values: strings\nshapes:\n  a: has(raw.a)\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		_, err := Load("fuzz.yaml", data)
		var diags diag.Diagnostics
		if err != nil && !errors.As(err, &diags) {
			t.Fatalf("error is %T, want diag.Diagnostics: %v", err, err)
		}
	})
}
