package alertfmt_test

import (
	"bytes"
	"encoding/json"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/TcM1911/stix2"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/stixcel/stixcel/alertfmt"
	"github.com/stixcel/stixcel/plan"
	"github.com/stixcel/stixcel/runtime"
)

var t0 = time.Date(2026, 3, 20, 9, 0, 0, 0, time.UTC)

// sample is an alert with every part a format shows: a cut value, a multi-line one, tactics.
func sample() *runtime.Alert {
	return &runtime.Alert{
		ID: "0123456789abcdef0123456789abcdef", Analytic: "AN1030",
		StixID: "x-mitre-analytic--11111111-2222-4333-8444-000000000001", Name: "Analytic 1030",
		DetectionStrategy: runtime.Strategy{ID: "DET0363", Name: "Detection of LSASS access"},
		Techniques:        []plan.Technique{{ID: "T1003.001", Name: "OS Credential Dumping: LSASS Memory", Tactics: []string{"credential-access"}}},
		Platforms:         []string{"Windows"},
		Group:             map[string]any{"host": "ws-1"},
		FirstSeen:         t0, LastSeen: t0.Add(1500 * time.Millisecond),
		Channels: []runtime.AlertChannel{{
			ID: "c1", LogSource: "WinEventLog:Sysmon", Channel: "EventCode=10", Count: 3,
			DataComponent: plan.DataComponent{ID: "DC0035", Name: "Process Access"},
			Events: []*runtime.Evidence{{
				Time: t0, Source: "a.jsonl", Line: 7,
				Fields: runtime.EvidenceFields{
					{Name: "EventCode", Value: int64(10)},
					{Name: "CommandLine", Value: strings.Repeat("x", 20), Cut: 4000},
					{Name: "Script", Value: "line one\nline two"},
				},
			}},
		}},
		Params: map[string]any{"TimeWindow": "5m", "AccessMask": []any{"0x1410"}},
	}
}

func render(t *testing.T, f alertfmt.Format, opts alertfmt.Options, outs ...runtime.Output) string {
	t.Helper()
	var b bytes.Buffer
	w, err := alertfmt.New(f, &b, opts)
	require.NoError(t, err)
	for _, o := range outs {
		require.NoError(t, w.Write(o))
	}
	require.NoError(t, w.Close())
	return b.String()
}

func TestParse(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want alertfmt.Format
		err  string
	}{
		{"json", alertfmt.JSON, ""},
		{"text", alertfmt.Text, ""},
		{"stix", alertfmt.STIX, ""},
		{"yaml", "", `unknown format "yaml" (want json, text, stix, ocsf)`},
	} {
		got, err := alertfmt.Parse(tc.in)
		if tc.err != "" {
			assert.EqualError(t, err, tc.err)
			continue
		}
		require.NoError(t, err)
		assert.Equal(t, tc.want, got)
	}
}

func TestJSONIsOneLinePerOutput(t *testing.T) {
	out := render(t, alertfmt.JSON, alertfmt.Options{}, sample(), sample())
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	require.Len(t, lines, 2)
	var a map[string]any
	require.NoError(t, json.Unmarshal([]byte(lines[0]), &a))
	assert.Equal(t, "0123456789abcdef0123456789abcdef", a["id"])
	assert.Contains(t, lines[0], `"fields":{"EventCode":10,"CommandLine":"xxxxxxxxxxxxxxxxxxxx","Script":"line one\nline two"},"truncated":{"CommandLine":4000}`,
		"fields keep the channel's order; a cut value gives its length")
}

func TestText(t *testing.T) {
	plain := render(t, alertfmt.Text, alertfmt.Options{}, sample())
	assert.Equal(t, `ALERT AN1030  Detection of LSASS access
  id          0123456789abcdef0123456789abcdef
  strategy    DET0363  Detection of LSASS access
  technique   T1003.001  OS Credential Dumping: LSASS Memory  [credential-access]
  platforms   Windows
  group       host=ws-1
  seen        2026-03-20T09:00:00Z .. 2026-03-20T09:00:01.5Z (1.5s)
  c1          WinEventLog:Sysmon · Process Access (DC0035) · 3 matches
              channel: EventCode=10
              2026-03-20T09:00:00Z  a.jsonl:7  EventCode=10 CommandLine=xxxxxxxxxxxxxxxxxxxx… (4000 bytes) Script="line one\nline two"
  params      AccessMask = ["0x1410"]
              TimeWindow = "5m"

`, plain)
	assert.NotContains(t, plain, "\x1b[", "no colour unless asked")
	assert.Contains(t, render(t, alertfmt.Text, alertfmt.Options{Color: true}, sample()), "\x1b[36mid\x1b[0m")
}

func TestTextHunt(t *testing.T) {
	h := &runtime.Hunt{Time: t0, Analytic: "AN0001", Channel: "c2", Source: "a.jsonl", Line: 3,
		Group:  map[string]any{"host": "ws-1"},
		Fields: runtime.EvidenceFields{{Name: "EventCode", Value: int64(1)}}}
	assert.Equal(t, "HUNT  2026-03-20T09:00:00Z  AN0001  c2  a.jsonl:3  host=ws-1  EventCode=1\n",
		render(t, alertfmt.Text, alertfmt.Options{}, h))
}

// TestSTIXReadsBack parses the bundle with github.com/TcM1911/stix2: one identity, the
// extension definition, and a sighting of the analytic carrying the alert.
func TestSTIXReadsBack(t *testing.T) {
	out := render(t, alertfmt.STIX, alertfmt.Options{}, sample())
	col, err := stix2.FromJSON([]byte(out))
	require.NoError(t, err)
	require.Len(t, col.Identities(), 1)
	assert.Equal(t, "stixcel", col.Identities()[0].Name)
	require.Len(t, col.ExtensionDefinitions(), 1)
	sightings := col.Sightings()
	require.Len(t, sightings, 1)
	s := sightings[0]
	assert.Equal(t, stix2.Identifier("x-mitre-analytic--11111111-2222-4333-8444-000000000001"), s.SightingOf)
	assert.Equal(t, int64(1), s.Count)
	assert.True(t, s.FirstSeen.Equal(t0))
	assert.True(t, s.LastSeen.Equal(t0.Add(1500*time.Millisecond)))
	assert.Equal(t, stix2.Identifier(alertfmt.ProducerID), s.CreatedBy)
	ext, ok := s.Extensions[alertfmt.ExtensionID].(*stix2.CustomObject)
	require.True(t, ok, "the alert extension reads back")
	alert, ok := ext.Get("alert").(map[string]any)
	require.True(t, ok)
	assert.Equal(t, "0123456789abcdef0123456789abcdef", alert["id"])
	assert.Equal(t, out, render(t, alertfmt.STIX, alertfmt.Options{}, sample()), "the same alert gives the same bytes")
}

func TestSTIXStream(t *testing.T) {
	out := render(t, alertfmt.STIX, alertfmt.Options{Stream: true}, sample(), sample())
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	require.Len(t, lines, 4, "identity, extension definition, then one sighting per alert")
	for i, typ := range []string{"identity", "extension-definition", "sighting", "sighting"} {
		var obj struct{ Type string }
		require.NoError(t, json.Unmarshal([]byte(lines[i]), &obj))
		assert.Equal(t, typ, obj.Type, "line %d", i+1)
	}
	assert.Empty(t, render(t, alertfmt.STIX, alertfmt.Options{Stream: true}), "no alert, nothing written")
}

func TestSTIXRefusesHunts(t *testing.T) {
	w, err := alertfmt.New(alertfmt.STIX, &bytes.Buffer{}, alertfmt.Options{})
	require.NoError(t, err)
	assert.ErrorIs(t, w.Write(&runtime.Hunt{}), alertfmt.ErrHuntSTIX)
}

// TestTextEscapesControls: what events, bundles and packs hold reaches the terminal with its
// control sequences and bidi controls escaped, also inside an object-valued group (JSON
// leaves U+202E as it is) and in field names, while --color's own styles stay.
func TestTextEscapesControls(t *testing.T) {
	a := sample()
	a.DetectionStrategy.Name = "Analytic\x1b]0;pwned\a"
	a.Group = map[string]any{"host\x1b[2J": map[string]any{"name": "ws\u202E1"}}
	a.Channels[0].Channel = "EventCode=10\x1b[1A"
	a.Channels[0].Events[0].Fields = append(a.Channels[0].Events[0].Fields, runtime.EvidenceField{Name: "F\u2066", Value: []any{"\u009b2J"}})
	hunt := &runtime.Hunt{Time: t0, Analytic: "AN0001", Channel: "c2", Source: "evil\x1b[2J.jsonl", Line: 3,
		Group: map[string]any{"user": map[string]any{"n": "a\u202Eb"}}}
	for _, color := range []bool{false, true} {
		out := render(t, alertfmt.Text, alertfmt.Options{Color: color}, a, hunt)
		assert.Contains(t, out, `Analytic\x1b]0;pwned\x07`)
		assert.Contains(t, out, `host\x1b[2J={"name":"ws\u202e1"}`)
		assert.Contains(t, out, `channel: EventCode=10\x1b[1A`)
		assert.Regexp(t, `\n {16}F\\u2066 {6}\["\\u009b2J"\]\n`, out, "escaped, and aligned as escaped")
		assert.Contains(t, out, `evil\x1b[2J.jsonl:3  user={"n":"a\u202eb"}`)
		for _, bad := range []string{"\x1b]", "\x1b[2J", "\x1b[1A", "\a", "\u202E", "\u2066", "\u009b"} {
			assert.NotContains(t, out, bad, "color %v", color)
		}
		if color {
			assert.Contains(t, out, "\x1b[36mid\x1b[0m")
		}
	}
}

// TestSTIXDictionaryKeys: every object key in a sighting is one STIX 2.1 allows
// ([a-zA-Z0-9_-]{1,250}, §2.8) however the events and packs name theirs (before, a group
// value {"a.b": …} or a map parameter keyed "tls/1.3" was written as it is and the bundle
// failed validation); valid keys are kept, keys that collide once mapped stay distinct,
// and the same alert gives the same bytes.
func TestSTIXDictionaryKeys(t *testing.T) {
	long := strings.Repeat("k", 300)
	a := sample()
	a.Group = map[string]any{"host name": map[string]any{"a.b": 1, "a_b": 2, "a b": 3, "": 4, long: 5, long + "x": 6, "ключ": 7}}
	a.Channels[0].Events[0].Fields = append(a.Channels[0].Events[0].Fields,
		runtime.EvidenceField{Name: "Data", Value: map[string]any{"Event/Data": "x", "ok-key_1": "y"}})
	a.Params["Mappings"] = map[string]any{"tls/1.3": []any{443}, "http": []any{80}}
	out := render(t, alertfmt.STIX, alertfmt.Options{}, a)
	assert.Equal(t, out, render(t, alertfmt.STIX, alertfmt.Options{}, a), "deterministic")
	var bundle any
	require.NoError(t, json.Unmarshal([]byte(out), &bundle))
	valid := regexp.MustCompile(`^[a-zA-Z0-9_-]{1,250}$`)
	var walk func(v any)
	walk = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			for k, e := range x {
				assert.Regexp(t, valid, k)
				walk(e)
			}
		case []any:
			for _, e := range x {
				walk(e)
			}
		}
	}
	walk(bundle)
	alert := bundle.(map[string]any)["objects"].([]any)[2].(map[string]any)["extensions"].(map[string]any)[alertfmt.ExtensionID].(map[string]any)["alert"].(map[string]any)
	group := alert["group"].(map[string]any)["host_name"].(map[string]any)
	assert.Len(t, group, 7, "no two keys merged")
	assert.Equal(t, float64(2), group["a_b"], "a valid key keeps its name")
	assert.Equal(t, float64(7), group["____"])
	assert.Equal(t, float64(4), group["_"])
	fields := alert["channels"].([]any)[0].(map[string]any)["events"].([]any)[0].(map[string]any)["fields"].(map[string]any)
	assert.Equal(t, map[string]any{"Event_Data": "x", "ok-key_1": "y"}, fields["Data"])
	assert.Contains(t, alert["params"].(map[string]any)["Mappings"], "tls_1_3")
}
