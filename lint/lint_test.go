package lint_test

import (
	"testing"
	"testing/fstest"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/stixcel/stixcel"
	"github.com/stixcel/stixcel/compiler/attack"
	"github.com/stixcel/stixcel/lint"
	"github.com/stixcel/stixcel/pack"
)

// seed loads the embedded seed bundle, as a plain `stixcel lint` does.
func seed(t *testing.T) *attack.Index {
	l, err := stixcel.Inputs{NoBuiltin: true}.Load()
	require.NoError(t, err)
	return l.Index
}

func lintFiles(t *testing.T, files map[string]string, opts lint.Options) []string {
	t.Helper()
	fsys := fstest.MapFS{}
	for name, body := range files {
		fsys[name] = &fstest.MapFile{Data: []byte(body)}
	}
	bs, diags := pack.LoadDir(fsys, ".")
	got := lint.Check(seed(t), []*pack.Pack{{Bindings: bs, Diagnostics: diags, FS: fsys}}, opts)
	out := make([]string, len(got))
	for i, d := range got {
		out[i] = d.Error()
	}
	return out
}

func TestCheck(t *testing.T) {
	tests := []struct {
		name  string
		files map[string]string
		opts  lint.Options
		want  []string
	}{
		{
			name:  "analytic missing from the default seed is a warning with a hint",
			files: map[string]string{"AN1.yaml": "analytic: AN0001\nchannels:\n  c1: event.EventCode == 1\n"},
			want:  []string{"AN1.yaml:1:11: warning: analytic AN0001 is not in the loaded bundles; binding ignored (lint checked syntax only; pass --bundle with the ATT&CK bundle that has it)"},
		},
		{
			name:  "strict makes the warning an error",
			files: map[string]string{"AN1.yaml": "analytic: AN0001\nchannels:\n  c1: event.EventCode == 1\n"},
			opts:  lint.Options{Strict: true},
			want:  []string{"AN1.yaml:1:11: error: analytic AN0001 is not in the loaded bundles; binding ignored (lint checked syntax only; pass --bundle with the ATT&CK bundle that has it)"},
		},
		{
			name:  "analytic missing from bundles the user named is an error",
			files: map[string]string{"AN1.yaml": "analytic: AN0001\nchannels:\n  c1: event.EventCode == 1\n"},
			opts:  lint.Options{BundlesGiven: true},
			want:  []string{"AN1.yaml:1:11: error: analytic AN0001 is not in the loaded bundles"},
		},
		{
			name:  "the hint names the bundle of the domain the binding's directory names",
			files: map[string]string{"pack/enterprise/AN1.yaml": "analytic: AN0001\nchannels:\n  c1: event.EventCode == 1\n"},
			want:  []string{"pack/enterprise/AN1.yaml:1:11: warning: analytic AN0001 is not in the loaded bundles; binding ignored (lint checked syntax only; pass --bundle enterprise-attack-….json, the ATT&CK bundle that has it)"},
		},
		{
			name:  "missing from named bundles: the error names the bundle to add",
			files: map[string]string{"mobile/AN1.yaml": "analytic: AN0001\nchannels:\n  c1: event.EventCode == 1\n"},
			opts:  lint.Options{BundlesGiven: true},
			want:  []string{"mobile/AN1.yaml:1:11: error: analytic AN0001 is not in the loaded bundles (add --bundle mobile-attack-….json)"},
		},
		{
			name:  "syntax is still checked without the analytic",
			files: map[string]string{"AN1.yaml": "analytic: AN0001\nchannels:\n  c1: event.EventCode == \n"},
			want: []string{
				"AN1.yaml:1:11: warning: analytic AN0001 is not in the loaded bundles; binding ignored (lint checked syntax only; pass --bundle with the ATT&CK bundle that has it)",
				"AN1.yaml:3:25: error: analytic AN0001: Syntax error: mismatched input '<EOF>' expecting {'[', '{', '(', '.', '-', '!', 'true', 'false', 'null', NUM_FLOAT, NUM_INT, NUM_UINT, STRING, BYTES, IDENTIFIER}",
			},
		},
		{
			name:  "no condition while a derived channel stays unbound",
			files: map[string]string{"AN1828.yaml": "analytic: AN1828\nchannels:\n  c1: event.dst_port == 4444\n"},
			want: []string{
				"AN1828.yaml:1:11: warning: analytic AN1828: no condition, so derived channels c4 alert on every event their selectors match; add a condition naming the channels that should alert",
			},
		},
		{
			name: "test override of an unknown parameter and of a wrong type",
			files: map[string]string{"AN1828.yaml": `analytic: AN1828
channels:
  c4: event.DeviceLockState == "locked"
tests:
  - name: t
    events: [{time: "2026-01-01T00:00:00Z", log_source: "MobileEDR:telemetry"}]
    params: {TimeWindw: 5m, TimeWindow: 5}
    expect: []
`},
			want: []string{
				`AN1828.yaml:7:14: error: test "t": analytic AN1828 has no parameter TimeWindw`,
				`AN1828.yaml:7:41: error: test "t": param TimeWindow (duration): want duration such as "10m", got number 5`,
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.want, lintFiles(t, tc.files, tc.opts))
		})
	}
}
