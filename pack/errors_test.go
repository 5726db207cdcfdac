package pack

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/stixcel/stixcel/diag"
)

func TestParseBindingErrors(t *testing.T) {
	tests := []struct {
		name string
		src  string
		want string // "line:col: code: message substring"
	}{
		{"unknown top-level key", "analytic: A\ncondtion: c1\n",
			`2:1: stixcel_unknown_key: unknown key "condtion" in binding; did you mean "condition"?`},
		{"unknown key without a near name", "analytic: A\nzzz: 1\n",
			`2:1: stixcel_unknown_key: unknown key "zzz" in binding (want one of analytic, written_for, techniques, group_by, window, params, channels, condition, tests, level, references)`},
		{"level outside the levels", "analytic: A\nlevel: severe\n",
			`2:8: stixcel_bad_value: level "severe": want one of informational, low, medium, high, critical`},
		{"unknown key inside params", "analytic: A\nparams:\n  T: {type: duration, defualt: 10m}\n",
			`3:23: stixcel_unknown_key: unknown key "defualt" in params.T; did you mean "default"?`},
		{"unknown key inside tests", "analytic: A\ntests:\n  - name: x\n    events: e.jsonl\n    expect: []\n    expects: []\n",
			`6:5: stixcel_unknown_key: unknown key "expects" in tests[0]; did you mean "expect"?`},
		{"channel id cx", "analytic: A\nchannels:\n  cx: event.a\n",
			`3:3: stixcel_bad_value: channel id "cx": want c1, c2, ...`},
		{"written_for without a fingerprint", "analytic: A\nwritten_for:\n  version: \"1.0\"\n",
			`3:3: stixcel_missing_key: written_for has no "fingerprint" key`},
		{"written_for channel id", "analytic: A\nwritten_for: {version: \"1\", fingerprint: f, channels: {x1: {log_source: a}}}\n",
			`2:56: stixcel_bad_value: written_for channel id "x1": want c1, c2, ...`},
		{"written_for channel without a log source", "analytic: A\nwritten_for: {version: \"1\", fingerprint: f, channels: {c1: {channel: a}}}\n",
			`stixcel_missing_key: written_for channel c1 has no "log_source" key`},
		{"condition that is a list", "analytic: A\ncondition: [c1, c2]\n",
			`2:12: stixcel_bad_shape: condition must be a string, not a list`},
		{"condition that is empty", "analytic: A\ncondition:\n",
			`2:11: stixcel_bad_shape: condition needs a value`},
		{"params that is a list", "analytic: A\nparams: [TimeWindow]\n",
			`2:9: stixcel_bad_shape: params must be a mapping, not a list`},
		{"YAML syntax error", "analytic: A\ncondition: \"c1 && c2\n",
			`2:12: stixcel_yaml_syntax: invalid YAML: could not find end character of double-quoted text`},
		{"unclosed flow list", "analytic: A\ngroup_by: [device_id\n",
			`2:11: stixcel_yaml_syntax: invalid YAML: sequence end token ']' not found`},
		{"empty file", "",
			`1:1: stixcel_bad_shape: empty binding: want a mapping starting with analytic:`},
		{"only comments", "# nothing yet\n",
			`1:1: stixcel_bad_shape: empty binding`},
		{"tab indentation", "analytic: A\nparams:\n\tT: {}\n",
			`3:1: stixcel_yaml_syntax: invalid YAML: found character '\t' that cannot start any token (indent YAML with spaces, not tabs)`},
		{"duplicate key", "analytic: A\nwindow: 1m\nwindow: 2m\n",
			`3:1: stixcel_duplicate_key: duplicate key "window" (first at f.yaml:2:1)`},
		{"duplicate key in a flow mapping", "analytic: A\nparams: {T: {type: int, type: string}}\n",
			`2:25: stixcel_duplicate_key: duplicate key "type" (first at f.yaml:2:14)`},
		{"missing analytic", "window: 1m\n",
			`1:1: stixcel_missing_key: binding has no "analytic" key`},
		{"not a mapping", "- analytic: A\n",
			`1:1: stixcel_bad_shape: binding must be a mapping, not a list`},
		{"two documents", "analytic: A\n---\nanalytic: B\n",
			`3:1: stixcel_yaml_syntax: the file holds 2 YAML documents; want one`},
		{"analytic with spaces", "analytic: AN 1828\n",
			`1:11: stixcel_bad_value: analytic "AN 1828": want an ATT&CK id`},
		{"alias", "analytic: A\nwindow: *w\n",
			`2:9: stixcel_bad_shape: window: YAML aliases are not supported`},
		{"duplicate test name", "analytic: A\ntests:\n- {name: t, events: e.jsonl, expect: []}\n- {name: t, events: e.jsonl, expect: []}\n",
			`4:10: stixcel_duplicate: test "t" is already defined at f.yaml:3:10`},
		{"expect null", "analytic: A\ntests:\n- {name: t, events: e.jsonl, expect: }\n",
			`needs a list (use [] for a test that must stay silent)`},
		{"inline event with NaN", "analytic: A\ntests:\n- {name: t, events: [{x: .nan}], expect: []}\n",
			`3:22: stixcel_bad_value: tests[0].events[0] cannot be written as JSON`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, diags := ParseBinding("f.yaml", []byte(tc.src))
			require.NotEmpty(t, diags, "ParseBinding(%q) gave no diagnostics", tc.src)
			got := renderDiag(diags[0])
			assert.Contains(t, got, strings.TrimPrefix(tc.want, "f.yaml:"), "ParseBinding(%q) = %v", tc.src, diags)
			assert.Len(t, diags, 1, "ParseBinding(%q) = %v", tc.src, diags)
		})
	}
}

func renderDiag(d diag.Diagnostic) string {
	return strings.TrimPrefix(d.Pos.String(), d.Pos.File+":") + ": " + d.Code + ": " + d.Msg
}

var errorComment = regexp.MustCompile(`#\s*ERROR\s+"(.*)"\s*$`)

// TestErrorComments checks the bad fixtures go/parser style: each line of testdata/bad with a
// comment # ERROR "text" must draw a diagnostic containing text on that line, and no line
// without one may draw a diagnostic.
func TestErrorComments(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "bad", "*.yaml"))
	require.NoError(t, err)
	require.NotEmpty(t, files)
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) {
			data, err := os.ReadFile(file)
			require.NoError(t, err)
			var diags diag.Diagnostics
			if strings.HasPrefix(filepath.Base(file), "profile") {
				_, diags = ParseProfile(file, data)
			} else {
				_, diags = ParseBinding(file, data)
			}
			want := map[int]string{}
			for i, line := range strings.Split(string(data), "\n") {
				if m := errorComment.FindStringSubmatch(line); m != nil {
					want[i+1] = m[1]
				}
			}
			got := map[int][]string{}
			for _, d := range diags {
				assert.Equal(t, file, d.Pos.File)
				got[d.Pos.Line] = append(got[d.Pos.Line], d.Msg)
			}
			for line, msg := range want {
				assert.True(t, containsAny(got[line], msg), "%s:%d: want an error containing %q, got %q", file, line, msg, got[line])
			}
			for line, msgs := range got {
				_, ok := want[line]
				assert.True(t, ok, "%s:%d: unexpected errors %q", file, line, msgs)
			}
		})
	}
}

func containsAny(msgs []string, sub string) bool {
	for _, m := range msgs {
		if strings.Contains(m, sub) {
			return true
		}
	}
	return false
}
