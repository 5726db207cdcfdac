package drift

import (
	"bytes"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestWriteTextEscapesControls: what two bundles say (names, channel texts, log sources)
// reaches the terminal of whoever runs stixcel diff with its control sequences and bidi
// controls escaped, the report's own line breaks kept.
func TestWriteTextEscapesControls(t *testing.T) {
	r := &Report{Summary: Summary{ChannelsBy: map[string]int{}}, Changed: []*AnalyticDrift{{
		ID: "AN0001", Name: "Evil\x1b[2J", Version: Changed{Old: "1.0", New: "1.0"}, ChannelChange: ChannelsText,
		Channels: []ChannelDrift{{ID: "c1",
			Old: &Channel{LogSource: "WinEventLog:Sysmon", Channel: "EventCode=1"},
			New: &Channel{LogSource: "WinEventLog:Sysmon", Channel: "EventCode=1\u202E\x1b]0;pwned\a"}}},
	}}}
	var out bytes.Buffer
	require.NoError(t, r.WriteText(&out))
	assert.Contains(t, out.String(), "\nAN0001 Evil\\x1b[2J (1.0 → 1.0): channels: text\n")
	assert.Contains(t, out.String(), "now `EventCode=1\\u202e\\x1b]0;pwned\\x07`\n")
	assert.NotContains(t, out.String(), "\x1b")
	assert.NotContains(t, out.String(), "\u202E")
}
