package scaffold

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/stixcel/stixcel/compiler/attack"
	"github.com/stixcel/stixcel/pack"
)

func TestUpdateWrittenFor(t *testing.T) {
	a := &attack.Analytic{ID: "AN0001", Version: "1.0", LogSources: []attack.LogSourceRef{
		{Name: "WinEventLog:Sysmon", Channel: `EventCode=10 "quoted" \ back`},
		{Name: "WinEventLog:Security", Channel: "EventCode=4663"},
	}}
	block := WrittenFor(a)
	tests := []struct {
		name, in, want string
	}{
		{"short form replaced, comment and rest kept",
			"# AN0001: lsass\nanalytic: AN0001\nwritten_for: \"0.9\"   # old\ngroup_by: [host]\n",
			"# AN0001: lsass\nanalytic: AN0001\n" + block + "group_by: [host]\n"},
		{"long form replaced",
			"analytic: AN0001\nwritten_for:\n  version: \"0.9\"\n  fingerprint: \"0\"\n  channels:\n    c1: {log_source: x, channel: y}\nchannels:\n  c1: \"true\"\n",
			"analytic: AN0001\n" + block + "channels:\n  c1: \"true\"\n"},
		{"added after analytic", "analytic: AN0001\nchannels:\n  c1: \"true\"\n", "analytic: AN0001\n" + block + "channels:\n  c1: \"true\"\n"},
		{"analytic as the last line without a newline", "analytic: AN0001", "analytic: AN0001\n" + block},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out, err := UpdateWrittenFor([]byte(tc.in), a)
			require.NoError(t, err)
			assert.Equal(t, tc.want, string(out))
			b, diags := pack.ParseBinding("x.yaml", out)
			require.False(t, diags.HasErrors(), "%v", diags)
			assert.Equal(t, "1.0", b.WrittenFor.Value)
			require.Len(t, b.WrittenChannels, 2)
			assert.Equal(t, `EventCode=10 "quoted" \ back`, b.WrittenChannels[0].Channel.Value, "the text survives YAML quoting")
			assert.Len(t, b.Fingerprint.Value, 16)
		})
	}
	_, err := UpdateWrittenFor([]byte("channels: {}\n"), a)
	assert.Error(t, err)
}
