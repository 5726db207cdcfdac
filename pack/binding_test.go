package pack

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/stixcel/stixcel/diag"
)

const an1828File = "analytics/mobile/AN1828.yaml"

func parseFixture(t *testing.T) *Binding {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", "AN1828.yaml"))
	require.NoError(t, err)
	b, diags := ParseBinding(an1828File, data)
	require.Empty(t, diags)
	require.NotNil(t, b)
	return b
}

func values(ss []String) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = s.Value
	}
	return out
}

func at(line, col int) diag.Pos { return diag.Pos{File: an1828File, Line: line, Col: col} }

// TestBindingLevelAndReferences: a binding may give its alerts a severity and links.
func TestBindingLevelAndReferences(t *testing.T) {
	b, diags := ParseBinding("b.yaml", []byte("analytic: AN1\nlevel: high\nreferences: [https://example.org/a, https://example.org/b]\n"))
	require.Empty(t, diags)
	assert.Equal(t, "high", b.Level.Value)
	assert.Equal(t, []string{"https://example.org/a", "https://example.org/b"}, values(b.References))
}

func TestParseBindingGood(t *testing.T) {
	b := parseFixture(t)
	assert.Equal(t, an1828File, b.File)
	assert.Equal(t, "AN1828", b.Analytic.Value)
	assert.Equal(t, at(2, 11), b.Analytic.Pos)
	assert.Equal(t, "1.1", b.WrittenFor.Value)
	assert.Equal(t, StyleDoubleQuoted, b.WrittenFor.Style)
	assert.Equal(t, []string{"T1509"}, values(b.Techniques))
	assert.Equal(t, []string{"device_id"}, values(b.GroupBy))
	assert.Equal(t, at(5, 12), b.GroupBy[0].Pos)
	assert.Equal(t, "TimeWindow", b.Window.Value)
	assert.Equal(t, "c1 && (channels.c2.recurring(params.BeaconIntervalTolerance) || c4)", b.Condition.Value)

	t.Run("params", func(t *testing.T) {
		require.Len(t, b.Params, 5)
		names := make([]string, len(b.Params))
		for i, p := range b.Params {
			names[i] = p.Name.Value
		}
		assert.Equal(t, []string{"TimeWindow", "AllowedProtocolPortMappings", "BeaconIntervalTolerance",
			"EnterpriseExceptionList", "SupervisedRequired"}, names)
		tw := b.Params[0]
		assert.Equal(t, "duration", tw.Type.Value)
		assert.True(t, tw.HasDefault)
		assert.Equal(t, "10m", tw.Default)
		assert.Equal(t, at(8, 41), tw.DefaultPos)
		m := b.Params[1]
		assert.Equal(t, "map(string, list(int))", m.Type.Value)
		assert.Equal(t, map[string]any{"tls": []any{int64(443)}, "http": []any{int64(80), int64(8080)}}, m.Default)
		assert.Equal(t, at(9, 74), m.DefaultPos)
		assert.Equal(t, "5s", b.Params[2].Default)
		assert.Equal(t, at(12, 14), b.Params[2].DefaultPos)
		assert.Equal(t, []any{}, b.Params[3].Default)
		assert.Empty(t, b.Params[4].Type.Value, "no type keeps the inferred one")
		assert.Equal(t, true, b.Params[4].Default)
	})

	t.Run("channels", func(t *testing.T) {
		require.Len(t, b.Channels, 4)
		assert.Equal(t, []string{"c1", "c2", "c3", "c4"}, []string{b.Channels[0].ID.Value, b.Channels[1].ID.Value, b.Channels[2].ID.Value, b.Channels[3].ID.Value})
		assert.Equal(t, at(16, 3), b.Channels[0].ID.Pos)
		assert.Equal(t, "event.protocol in params.AllowedProtocolPortMappings\n&& !(event.dst_port in params.AllowedProtocolPortMappings[event.protocol])\n", b.Channels[0].When.Value)
		assert.Equal(t, StyleLiteral, b.Channels[0].When.Style)
		assert.Equal(t, `event.protocol == "tls"`, b.Channels[1].When.Value)
		assert.Equal(t, []string{"app_bundle_id", "dst_host", "dst_port"}, values(b.Channels[1].SeriesBy))
		assert.Equal(t, `!(event.app_bundle_id in params.AllowedManagedApps) && "x" != event.y`, b.Channels[2].When.Value)
		assert.Empty(t, b.Channels[3].SeriesBy)
	})

	t.Run("tests", func(t *testing.T) {
		require.Len(t, b.Tests, 2)
		tc := b.Tests[0]
		assert.Equal(t, "locked device beacons TLS on 4444", tc.Name.Value)
		assert.Equal(t, at(26, 5), tc.Pos)
		assert.Equal(t, "tests/an1828_locked_beacon.jsonl", tc.EventsFile.Value)
		assert.Equal(t, "analytics/mobile/tests/an1828_locked_beacon.jsonl", b.EventsPath(tc))
		assert.Equal(t, "windows", tc.Source.Value)
		require.Len(t, tc.Params, 1)
		assert.Equal(t, "TimeWindow", tc.Params[0].Name.Value)
		assert.Equal(t, "5m", tc.Params[0].Value)
		assert.Equal(t, at(29, 26), tc.Params[0].ValuePos)
		assert.Equal(t, []Expectation{{Analytic: tc.Expect[0].Analytic, Group: map[string]any{"device_id": "ios-1"}, Pos: at(30, 14)}}, tc.Expect)
		assert.Equal(t, "AN1828", tc.Expect[0].Analytic.Value)
		assert.False(t, tc.ExpectSilent)

		silent := b.Tests[1]
		assert.True(t, silent.ExpectSilent)
		assert.Empty(t, silent.EventsFile.Value)
		require.Len(t, silent.Inline, 2)
		assert.Equal(t, map[string]any{"time": "2026-01-01T00:00:00Z", "log_source": "VPN:MobileProxy",
			"device_id": "ios-1", "protocol": "tls", "dst_port": int64(443)}, silent.Inline[0].Fields)
		assert.Equal(t, at(33, 9), silent.Inline[0].Pos)
		assert.Equal(t, at(34, 9), silent.Inline[1].Pos)
		assert.JSONEq(t, `{"time":"2026-01-01T00:00:05Z","log_source":"MobileEDR:telemetry","device_id":"ios-1","DeviceLockState":"locked"}`,
			string(silent.Inline[1].JSON))
	})
}

// TestPosAt checks positions of cel-go style locations (1-based line and column inside the
// expression) against the fixture, counted by hand:
//
//	line 16 "  c1: |", line 18 "    && !(event.dst_port ...": block text 2:5 is "(" at col 9
//	line 20 "    when: event.protocol == \"tls\"": value starts at col 11
//	line 22 "  c3: \"!(event...": value starts at col 8, after the opening quote at col 7
//	line 24 "condition: c1 && (...": value starts at col 12
func TestPosAt(t *testing.T) {
	b := parseFixture(t)
	tests := []struct {
		name      string
		s         String
		line, col int
		want      diag.Pos
	}{
		{"plain condition, 1:1", b.Condition, 1, 1, at(24, 12)},
		{"plain condition, 1:7", b.Condition, 1, 7, at(24, 18)},
		{"plain condition, just past the end", b.Condition, 1, 68, at(24, 79)},
		{"plain condition, far past the end", b.Condition, 1, 500, at(24, 79)},
		{"plain when, 1:16", b.Channels[1].When, 1, 16, at(20, 26)},
		{"literal block, 1:1", b.Channels[0].When, 1, 1, at(17, 5)},
		{"literal block, 2:5", b.Channels[0].When, 2, 5, at(18, 9)},
		{"literal block, 2:1", b.Channels[0].When, 2, 1, at(18, 5)},
		{"double-quoted, 1:1", b.Channels[2].When, 1, 1, at(22, 8)},
		{"double-quoted, 1:3", b.Channels[2].When, 1, 3, at(22, 10)},
		{"double-quoted after an escape", b.Channels[2].When, 1, 57, at(22, 65)},
		{"double-quoted after two escapes", b.Channels[2].When, 1, 63, at(22, 72)},
		{"line 0 clamps to the first line", b.Condition, 0, 1, at(24, 12)},
		{"hand-built String without file text", String{Value: "a || b", Pos: at(3, 4)}, 1, 6, at(3, 9)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := tc.s.PosAt(tc.line, tc.col)
			assert.Equal(t, tc.want, got, "PosAt(%d, %d) of %q", tc.line, tc.col, tc.s.Value)
		})
	}
}

func TestScalarsAsText(t *testing.T) {
	src := "analytic: AN1828\nwritten_for: 1.10\nwindow: 600\nchannels: {c1: true}\ncondition: c1\n"
	b, diags := ParseBinding("f.yaml", []byte(src))
	require.Empty(t, diags)
	assert.Equal(t, "1.10", b.WrittenFor.Value, "a version written as a number keeps its text")
	assert.Equal(t, "600", b.Window.Value)
	assert.Equal(t, "true", b.Channels[0].When.Value)
	assert.Equal(t, diag.Pos{File: "f.yaml", Line: 4, Col: 16}, b.Channels[0].When.PosAt(1, 1))
}
