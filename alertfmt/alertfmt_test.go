package alertfmt_test

import (
	"bytes"
	"encoding/json"
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
		{"yaml", "", `unknown format "yaml" (want json, text, stix)`},
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
	assert.Equal(t, `ALERT AN1030  Analytic 1030
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
