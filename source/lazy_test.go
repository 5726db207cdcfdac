package source_test

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/stixcel/stixcel/event"
	"github.com/stixcel/stixcel/internal/shared"
	"github.com/stixcel/stixcel/source"
)

// TestLazySourceEvents reads raw Windows events through the windows profile twice, decoded
// into maps (source.LazyEvents(false)) and backed by their lines (the default), and wants the
// same events and rejections.
func TestLazySourceEvents(t *testing.T) {
	p, err := source.Builtin("windows")
	require.NoError(t, err)
	files := map[string][]byte{}
	fixture, err := os.ReadFile(filepath.Join("testdata", "windows.jsonl"))
	require.NoError(t, err)
	files["fixture"] = append(fixture, []byte("{\"Channel\":\"Security\"}\nnot json\n[1]\n"+
		`{"Channel":"Security","EventID":"x","TimeCreated":"2026-03-20T09:00:00Z","Hostname":null,"Image":"C:\\a.exe"}`+"\n")...)
	dir := shared.Path(t, "datasets", "otrf-windows")
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	for _, e := range entries {
		data, err := os.ReadFile(filepath.Join(dir, e.Name()))
		require.NoError(t, err)
		files[e.Name()] = data
	}
	for name, data := range files {
		t.Run(name, func(t *testing.T) {
			eager := readSource(t, event.NewReader(bytes.NewReader(data), name, source.NewDecoder(p, source.LazyEvents(false))))
			lazy := readSource(t, event.NewReader(bytes.NewReader(data), name, source.NewDecoder(p))) // lazy by default
			require.Equal(t, len(eager), len(lazy))
			for i := range eager {
				e, l := eager[i], lazy[i]
				assert.Equal(t, e.rej, l.rej, "line %d", i+1)
				if e.ev == nil || l.ev == nil {
					assert.Equal(t, e.ev == nil, l.ev == nil, "line %d", i+1)
					continue
				}
				assert.Nil(t, l.ev.Fields, "line %d: lazy", i+1)
				assert.Equal(t, e.ev.Fields, l.ev.Map(), "line %d", i+1)
				assert.True(t, e.ev.Time.Equal(l.ev.Time), "line %d", i+1)
				assert.Equal(t, [3]any{e.ev.LogSource, e.ev.Source, e.ev.Line}, [3]any{l.ev.LogSource, l.ev.Source, l.ev.Line})
			}
		})
	}
}

type sourceResult struct {
	ev  *event.Event
	rej *event.Rejection
}

func readSource(t *testing.T, r *event.Reader) []sourceResult {
	t.Helper()
	var out []sourceResult
	for {
		ev, rej, err := r.Next()
		if err == io.EOF {
			return out
		}
		require.NoError(t, err)
		out = append(out, sourceResult{ev, rej})
	}
}

// TestDecodeStringDecodesAsDecode: the windows profile and the implied decoder give, for a
// line handed as a string they may keep (a chunked Reader's), the event or rejection they
// give for the line as bytes; the events of one decoder, kept to the end, stay what they
// were (those of later lines write nothing of theirs).
func TestDecodeStringDecodesAsDecode(t *testing.T) {
	p, err := source.Builtin("windows")
	require.NoError(t, err)
	fixture, err := os.ReadFile(filepath.Join("testdata", "windows.jsonl"))
	require.NoError(t, err)
	lines := append(bytes.Split(bytes.TrimSpace(fixture), []byte("\n")),
		[]byte(`{"Channel":"Security"}`), []byte(`not json`), []byte(`[1]`), []byte(`{"time":"2026-03-20T09:00:00Z","log_source":"x"}`))
	decoders := map[string]func() event.StringDecoder{
		"windows": func() event.StringDecoder { return source.NewDecoder(p) },
		"implied": func() event.StringDecoder { return source.NewImplied(p) },
	}
	for name, newDecoder := range decoders {
		t.Run(name, func(t *testing.T) {
			bytesDecoder, stringDecoder := newDecoder(), newDecoder()
			var want, got []*event.Event
			for range 50 { // many lines for one decoder
				for _, line := range lines {
					w, wantBad := bytesDecoder.Decode(line)
					g, gotBad := stringDecoder.DecodeString(string(line))
					require.Equal(t, wantBad, gotBad, "%s", line)
					want, got = append(want, w), append(got, g)
				}
			}
			for i := range want {
				if want[i] == nil {
					continue
				}
				assert.Equal(t, want[i].Map(), got[i].Map(), "event %d", i)
				assert.Equal(t, want[i].Time, got[i].Time)
				assert.Equal(t, want[i].LogSource, got[i].LogSource)
			}
		})
	}
}
