package source

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/stixcel/stixcel/diag"
	"github.com/stixcel/stixcel/event"
)

func TestBuiltin(t *testing.T) {
	assert.Equal(t, []string{"windows"}, Builtins())
	p, err := Builtin("windows")
	require.NoError(t, err)
	assert.Equal(t, "windows", p.Name)
	assert.True(t, p.KeepRaw)
	assert.NotEmpty(t, p.Description)

	_, err = Builtin("linux")
	assert.EqualError(t, err, `no built-in source profile "linux"; built-in profiles: windows`)
	_, err = Builtin("../profiles/windows")
	assert.Error(t, err)
}

const minimalFields = "fields:\n  time: parse_time(raw.t)\n  log_source: raw.src\n"

func TestLoadErrors(t *testing.T) {
	tests := []struct {
		name string
		yaml string
		want string // the whole error
	}{
		{
			name: "CEL error in a plain scalar",
			yaml: "name: p\n" + minimalFields + "  EventCode: int(rw.EventID)\n",
			want: "p.yaml:5:18: error: field EventCode: undeclared reference to 'rw' (in container '')",
		},
		{
			name: "CEL error in a quoted scalar",
			yaml: "name: p\n" + minimalFields + "  host: 'raw.Hostname +'\n",
			want: "p.yaml:5:24: error: field host: Syntax error: mismatched input '<EOF>' expecting",
		},
		{
			name: "CEL error on the second line of a literal block",
			yaml: "name: p\n" + minimalFields + "  host: |\n    has(raw.Hostname)\n      ? raw.Hostnme2(1) : raw.host\n",
			want: "p.yaml:7:21: error: field host: undeclared reference to 'Hostnme2'",
		},
		{
			name: "CEL error in one alternative of a list",
			yaml: "name: p\nfields:\n  time:\n    - parse_time(raw.t)\n    - parse_tim(raw.u)\n  log_source: raw.src\n",
			want: "p.yaml:5:16: error: field time: undeclared reference to 'parse_tim'",
		},
		{
			name: "time of the wrong type",
			yaml: "name: p\nfields:\n  time: 1 + 2\n  log_source: raw.src\n",
			want: "p.yaml:3:9: error: field time: the expression gives int; want a timestamp (parse_time) or an RFC 3339 string",
		},
		{
			name: "log_source of the wrong type",
			yaml: "name: p\nfields:\n  time: parse_time(raw.t)\n  log_source: raw.src == 'x'\n",
			want: "p.yaml:4:15: error: field log_source: the expression gives bool; want a string",
		},
		{
			name: "no log_source field",
			yaml: "name: p\nfields:\n  time: parse_time(raw.t)\n",
			want: "p.yaml:1:1: error: profile p gives no log_source field; every event needs one",
		},
		{
			name: "no fields",
			yaml: "name: p\n",
			want: "p.yaml:1:1: error: the profile has no fields",
		},
		{
			name: "unknown key",
			yaml: "name: p\n" + minimalFields + "keepraw: true\n",
			want: "p.yaml:5:1: error: unknown key \"keepraw\" in the profile; did you mean \"keep_raw\"?",
		},
		{
			name: "unknown key, nothing close",
			yaml: "name: p\n" + minimalFields + "colour: red\n",
			want: "p.yaml:5:1: error: unknown key \"colour\" in the profile (want one of name, description, maps, fields, keep_raw, lift, lift_values, shapes)",
		},
		{
			name: "keep_raw not a boolean",
			yaml: "name: p\n" + minimalFields + "keep_raw: yes please\n",
			want: "p.yaml:5:11: error: keep_raw must be true or false, not a string",
		},
		{
			name: "empty expression",
			yaml: "name: p\n" + minimalFields + "  host:\n",
			want: "p.yaml:5:3: error: field host: want a CEL expression, not null",
		},
		{
			name: "map value not a string",
			yaml: "name: p\nmaps:\n  t:\n    a: [1]\n" + minimalFields,
			want: "p.yaml:4:8: error: maps.t[\"a\"] must be a string, not a list",
		},
		{
			name: "duplicate field",
			yaml: "name: p\n" + minimalFields + "  time: parse_time(raw.u)\n",
			want: "p.yaml:5:3: error: duplicate key \"time\" (first at p.yaml:3:3)",
		},
		{
			name: "lift not a list",
			yaml: "name: p\n" + minimalFields + "lift: raw.data\n",
			want: "p.yaml:5:7: error: lift must be a list, not a string",
		},
		{
			name: "lift of a string",
			yaml: "name: p\n" + minimalFields + "lift:\n  - raw.data\n  - raw.name + 'x'\n",
			want: "p.yaml:7:5: error: lift[1]: the expression gives string; want an object (a map) or a list of objects",
		},
		{
			name: "CEL error in a lift",
			yaml: "name: p\n" + minimalFields + "lift:\n  - raw.a\n  - raw.b.filter(x, x.startsWith(1))\n",
			want: "p.yaml:7:33: error: lift[1]: found no matching overload for 'startsWith'",
		},
		{
			name: "empty lift",
			yaml: "name: p\n" + minimalFields + "lift: []\n",
			want: "p.yaml:5:7: error: lift: the list is empty; want CEL expressions",
		},
		{
			name: "null in a lift",
			yaml: "name: p\n" + minimalFields + "lift:\n  - raw.a\n  -\n",
			want: "p.yaml:7:4: error: lift[1]: want a CEL expression, not null",
		},
		{
			name: "too expensive a lift",
			yaml: "name: p\n" + minimalFields + "lift: ['raw.l.map(x, raw.l.map(y, raw.l.map(z, {\"k\": x + y + z})))']\n",
			want: "p.yaml:5:9: error: lift[0]: expression too expensive",
		},
		{
			name: "lift_values unknown",
			yaml: "name: p\n" + minimalFields + "lift_values: text\n",
			want: "p.yaml:5:14: error: lift_values must be json or strings, not \"text\"",
		},
		{
			name: "shape not a bool",
			yaml: "name: p\n" + minimalFields + "shapes:\n  mine: raw.kind\n  other: 'raw.kind + 1'\n",
			want: "p.yaml:7:11: error: shape other: the expression gives int; want a bool",
		},
		{
			name: "shape without an expression",
			yaml: "name: p\n" + minimalFields + "shapes:\n  mine:\n",
			want: "p.yaml:6:3: error: shape mine: want a CEL expression, not null",
		},
		{
			name: "YAML syntax",
			yaml: "name: p\nfields: [\n",
			want: "p.yaml:2:9: error: invalid YAML:",
		},
		{
			name: "empty file",
			yaml: "# nothing\n",
			want: "p.yaml:1:1: error: the profile is empty; want name and fields",
		},
		{
			name: "not a mapping",
			yaml: "- a\n",
			want: "p.yaml:1:1: error: the profile must be a mapping, not a list",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Load("p.yaml", []byte(tc.yaml))
			require.Error(t, err)
			var diags diag.Diagnostics
			require.ErrorAs(t, err, &diags)
			assert.Contains(t, err.Error(), tc.want)
		})
	}
}

func TestLoadedProfile(t *testing.T) {
	p, err := Load("auth.yaml", []byte(`
name: auth
description: an app's auth log
maps:
  outcomes: {ok: success, ko: failure}
fields:
  time: parse_time(raw.ts, "02/Jan/2006:15:04:05 -0700")
  log_source: '"App:" + raw.app'
  outcome: maps.outcomes[?raw.result].orValue("unknown")
  port: raw.port + 1
  ratio: double(raw.port) / 2.0
  admin: raw.user == "root"
  parts: '[raw.user, raw.path]'
  seen: parse_time(raw.ts, "02/Jan/2006:15:04:05 -0700")
  later: duration("90s")
  nested: '{"user": raw.user, "n": [1, 2u]}'
  nothing: "null"
`))
	require.NoError(t, err)
	out, err := p.Normalize(map[string]any{
		"ts": "18/Oct/2020:09:50:06 +0200", "app": "sshd", "result": "ko", "port": int64(22), "user": "root", "path": "a/b",
	})
	require.NoError(t, err)
	assert.Equal(t, map[string]any{
		"time":       "2020-10-18T07:50:06Z",
		"log_source": "App:sshd",
		"outcome":    "failure",
		"port":       int64(23),
		"ratio":      11.0,
		"admin":      true,
		"parts":      []any{"root", "a/b"},
		"seen":       "2020-10-18T07:50:06Z",
		"later":      "1m30s",
		"nested":     map[string]any{"user": "root", "n": []any{int64(1), int64(2)}},
	}, out, "keep_raw is off: only output fields; null leaves a field out")
}

// TestLift: lifted members become fields under their own names, in both lift modes and both
// decoders; raw fields lose to them, and they lose to output fields and to later lifts.
func TestLift(t *testing.T) {
	const body = `
fields:
  time: parse_time(raw.t)
  log_source: raw.src
  host: raw.h
  h2: raw.h2
lift:
  - raw.a
  - raw.missing
  - raw.s.map(k, raw.s[k])
  - raw.b
  - raw.notobject
keep_raw: true
`
	line := `{"t":"2020-10-18T07:50:06Z","src":"x","h":"ws1","h2":"raw-h2","Image":"raw","notobject":"str",` +
		`"a":{"Image":"a","h2":"a-h2","n":4460,"f":1.5,"ok":true,"null":null,"host":"a-host","obj":{"k":1},"list":[1]},` +
		`"s":{"Inner":{"#attributes":{"xmlns":"u"},"User":"s"}},"b":{"Image":"b"}}`
	tests := []struct {
		mode string
		want map[string]any
	}{
		{"strings", map[string]any{"Image": "b", "n": "4460", "f": "1.5", "ok": "true", "null": "", "host": "ws1", "h2": "raw-h2", "User": "s"}},
		{"json", map[string]any{"Image": "b", "n": int64(4460), "f": 1.5, "ok": true, "null": nil, "host": "ws1", "h2": "raw-h2", "User": "s",
			"obj": map[string]any{"k": int64(1)}, "list": []any{int64(1)}, "#attributes": map[string]any{"xmlns": "u"}}},
	}
	for _, tc := range tests {
		p, err := Load("p.yaml", []byte("name: p\nlift_values: "+tc.mode+body))
		require.NoError(t, err)
		for _, lazy := range []bool{true, false} {
			ev, bad := NewDecoder(p, LazyEvents(lazy)).Decode([]byte(line))
			require.Nil(t, bad)
			got := ev.Map()
			for k, v := range tc.want {
				assert.Equal(t, v, got[k], "%s, lazy %v: %s", tc.mode, lazy, k)
				one, _ := ev.Get(k)
				assert.Equal(t, v, one, "%s, lazy %v: Get(%s)", tc.mode, lazy, k)
			}
			if tc.mode == "strings" {
				assert.NotContains(t, got, "obj", "objects are not lifted as strings")
				assert.NotContains(t, got, "#attributes")
			}
			assert.Equal(t, "str", got["notobject"], "a string lifts nothing; the raw field stays")
		}
	}
}

// TestShapes: a profile names the shapes it reads; an error counts as not having the shape.
func TestShapes(t *testing.T) {
	p := windows(t)
	tests := []struct {
		line, want string
	}{
		{`{"Channel":"Security","EventID":4624}`, "flat"},
		{`{"Event":{"System":{"Channel":"Security"}}}`, "evtx_dump"},
		{`{"winlog":{"channel":"Security"},"event":{"code":"4624"}}`, "ecs"},
		{`{"Event":"x","winlog":{"channel":"Security"}}`, "ecs"},
		{`{"EventID":4624}`, ""},
		{`{"winlog":"Security"}`, ""},
		{`{"time":"2020-10-18T07:50:06Z","log_source":"x"}`, ""},
	}
	for _, tc := range tests {
		ev, ok := event.NewRaw([]byte(tc.line))
		require.True(t, ok)
		view := event.NewFieldView(nil)
		view.Reset(ev)
		got, _ := newNormalizer(p).matchShape(view)
		assert.Equal(t, tc.want, got, tc.line)
	}
}

func TestNormalizeErrors(t *testing.T) {
	p, err := Load("p.yaml", []byte("name: p\nfields:\n  time: raw.t\n  log_source: raw.src\n"))
	require.NoError(t, err)
	tests := []struct {
		name string
		raw  map[string]any
		want string
	}{
		{"time string not RFC 3339", map[string]any{"t": "2020-10-18 07:50:06", "src": "x"}, `invalid time: "2020-10-18 07:50:06" is not RFC 3339`},
		{"a 5 MB time is quoted by its first 80 bytes", map[string]any{"t": strings.Repeat("7", 5<<20), "src": "x"},
			`invalid time: "` + strings.Repeat("7", 80) + `"… (5,242,880 bytes) is not RFC 3339`},
		{"time a number", map[string]any{"t": int64(5), "src": "x"}, "invalid time: the profile gives a value of type int, want a timestamp"},
		{"time missing", map[string]any{"src": "x"}, "missing time: no such key: t"},
		{"log_source empty", map[string]any{"t": "2020-10-18T07:50:06Z", "src": ""}, "invalid log_source: the profile gives a value of type string, want a non-empty string"},
		{"log_source null", map[string]any{"t": "2020-10-18T07:50:06Z", "src": nil}, "missing log_source: the profile's log_source is null or none"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := p.Normalize(tc.raw)
			var nerr *event.Invalid
			require.ErrorAs(t, err, &nerr)
			assert.EqualError(t, err, tc.want)
		})
	}
}
