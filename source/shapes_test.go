package source

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/stixcel/stixcel/event"
	"github.com/stixcel/stixcel/internal/jsonl"
	"github.com/stixcel/stixcel/internal/shared"
	"github.com/stixcel/stixcel/internal/winshapes"
)

// shapeCase is one Windows event written in one shape.
type shapeCase struct {
	shape string
	line  []byte
}

// shapesOf writes e in every shape the windows profile reads.
func shapesOf(t testing.TB, e winshapes.Event) []shapeCase {
	return []shapeCase{
		{"flat", compact(t, e.Flat())},
		{"evtx_dump", compact(t, e.EvtxDump(false))},
		{"evtx_dump with Qualifiers", compact(t, e.EvtxDump(true))},
		{"Winlogbeat 7", compact(t, e.ECS(winshapes.Winlogbeat7))},
		{"Winlogbeat 8", compact(t, e.ECS(winshapes.Winlogbeat8))},
		{"Elastic Agent", compact(t, e.ECS(winshapes.ElasticAgent))},
	}
}

func compact(t testing.TB, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	require.NoError(t, err)
	return b
}

// normalizedViews is what every shape of e must agree on: the profile's fields and the event
// data, through the lazy decoder and, with all, the map decoder and Profile.Normalize.
func normalizedViews(t *testing.T, p *Profile, e winshapes.Event, line []byte, all bool) []map[string]any {
	t.Helper()
	names := []string{"time", "log_source", "EventCode", "host", "Channel"}
	for k := range e.Data {
		names = append(names, k)
	}
	project := func(get func(string) (any, bool)) map[string]any {
		out := map[string]any{}
		for _, n := range names {
			if v, ok := get(n); ok {
				out[n] = v
			}
		}
		return out
	}
	var views []map[string]any
	modes := []bool{true}
	if all {
		modes = append(modes, false)
	}
	for _, lazy := range modes {
		ev, bad := NewDecoder(p, LazyEvents(lazy)).Decode(line)
		require.Nil(t, bad, "%s", line)
		assert.Equal(t, e.Time, ev.Time)
		views = append(views, project(ev.Get))
	}
	if !all {
		return views
	}
	raw, err := jsonl.Decode(line)
	require.NoError(t, err)
	m, err := p.Normalize(raw.(map[string]any))
	require.NoError(t, err)
	views = append(views, project(func(n string) (any, bool) { v, ok := m[n]; return v, ok }))
	return views
}

// assertShapesAgree checks that every shape of e normalizes to the flat shape's event, with
// the event data as strings.
func assertShapesAgree(t *testing.T, p *Profile, e winshapes.Event, all bool) {
	t.Helper()
	var want map[string]any
	for _, sc := range shapesOf(t, e) {
		for _, got := range normalizedViews(t, p, e, sc.line, all) {
			if want == nil {
				want = got
				for k, v := range e.Data {
					require.Equal(t, v, want[k], "flat %s", k)
				}
				require.Equal(t, e.EventID, want["EventCode"])
				require.Equal(t, e.Computer, want["host"])
				require.Equal(t, e.Channel, want["Channel"])
				continue
			}
			if !assert.Equal(t, want, got, "%s: %s", sc.shape, sc.line) {
				return
			}
		}
	}
}

// TestWindowsShapesFromEvtxDump: every real evtx_dump record of the shared Sigma regression
// data, written in each shape (evtx_dump as it is, flat, ECS), is the same normalized event.
func TestWindowsShapesFromEvtxDump(t *testing.T) {
	p := windows(t)
	files, err := filepath.Glob(filepath.Join(shared.Path(t, "sigma", "regression_data"), "*", "*", "*", "*", "*.json"))
	require.NoError(t, err)
	more, _ := filepath.Glob(filepath.Join(shared.Path(t, "sigma", "regression_data"), "*", "*", "*", "*", "*", "*.json"))
	files = append(files, more...)
	require.NotEmpty(t, files)
	records := 0
	for _, f := range files {
		for _, obj := range jsonObjects(t, f) {
			records++
			e, err := winshapes.FromEvtxDump(obj)
			require.NoError(t, err, f)
			// The record exactly as evtx_dump wrote it.
			line := compact(t, obj)
			views := normalizedViews(t, p, e, line, true)
			want := map[string]any{"time": e.Time.Format(time.RFC3339Nano), "EventCode": e.EventID, "host": e.Computer,
				"log_source": views[0]["log_source"], "Channel": e.Channel}
			for k, v := range e.Data {
				want[k] = v
			}
			for _, got := range views {
				require.Equal(t, want, got, f)
			}
			assertShapesAgree(t, p, e, true)
		}
	}
	t.Logf("%d records in %d files", records, len(files))
	assert.Greater(t, records, 200)
}

// jsonObjects reads the JSON objects of an evtx_dump file, one after another, numbers as
// int64 where whole.
func jsonObjects(t *testing.T, path string) []map[string]any {
	t.Helper()
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	dec := json.NewDecoder(bytes.NewReader(data))
	var out []map[string]any
	for {
		var raw json.RawMessage
		if err := dec.Decode(&raw); err == io.EOF {
			return out
		} else {
			require.NoError(t, err, path)
		}
		var buf bytes.Buffer
		require.NoError(t, json.Compact(&buf, raw))
		v, err := jsonl.Decode(buf.Bytes())
		require.NoError(t, err)
		out = append(out, v.(map[string]any))
	}
}

// TestWindowsShapesFromOTRF: every event of the shared OTRF exports, written in each shape,
// is the same normalized event as the flat export's line itself (through the lazy decoder;
// every 20th also through the map decoder and Profile.Normalize).
func TestWindowsShapesFromOTRF(t *testing.T) {
	p := windows(t)
	for _, path := range otrfFiles(t) {
		f, err := os.Open(path)
		require.NoError(t, err)
		sc := bufio.NewScanner(f)
		sc.Buffer(nil, event.MaxLineBytes)
		n := 0
		for sc.Scan() {
			line := bytes.Clone(sc.Bytes())
			e, ok := fromFlatLine(t, p, line)
			if !ok {
				continue
			}
			n++
			// The export's own line agrees with the flat shape written from it.
			all := n%20 == 0
			orig := normalizedViews(t, p, e, line, all)
			again := normalizedViews(t, p, e, compact(t, e.Flat()), all)
			require.Equal(t, orig, again, "%s: %s", filepath.Base(path), line)
			assertShapesAgree(t, p, e, all)
		}
		require.NoError(t, sc.Err())
		f.Close()
		assert.Positive(t, n, path)
	}
}

// fromFlatLine reads an OTRF line as a winshapes.Event, its time the windows profile's.
func fromFlatLine(t *testing.T, p *Profile, line []byte) (winshapes.Event, bool) {
	t.Helper()
	if strings.TrimSpace(string(line)) == "" {
		return winshapes.Event{}, false
	}
	ev, bad := NewDecoder(p).Decode(line)
	if bad != nil {
		return winshapes.Event{}, false
	}
	raw, err := jsonl.Decode(line)
	require.NoError(t, err)
	e, err := winshapes.FromFlat(raw.(map[string]any), ev.Time)
	require.NoError(t, err)
	return e, true
}
