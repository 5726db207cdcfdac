package plan

import (
	"bytes"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestWriteTextEscapesControls: stixcel explain prints what a bundle or a pack wrote (names,
// channel texts, predicates, parameter descriptions) with control sequences and bidi
// controls as visible escapes, and keeps its own layout (a predicate's lines indented).
func TestWriteTextEscapesControls(t *testing.T) {
	p := &Plan{ID: "AN0001", Name: "Title\x1b]0;pwned\a", Kind: KindDetection,
		Channels: []*Channel{{ID: "c1", LogSource: "x\u202Eyz", Channel: "EventCode=1\r\x1b[2K", Predicate: "a\n&& b", Origin: OriginBound}},
		Params:   []*Param{{Name: "P", Description: "set \u2066this\u2069 \u009b2J"}},
	}
	var out bytes.Buffer
	require.NoError(t, p.WriteText(&out))
	text := out.String()
	assert.Contains(t, text, "AN0001  Title\\x1b]0;pwned\\x07  (")
	assert.Contains(t, text, "  c1  x\\u202eyz  [")
	assert.Contains(t, text, "      channel:   EventCode=1\\x0d\\x1b[2K\n")
	assert.Contains(t, text, "      predicate: a\n                 && b\n")
	assert.Contains(t, text, "      set \\u2066this\\u2069 \\u009b2J\n")
	for _, bad := range []string{"\x1b", "\r", "\a", "\u202E", "\u2066", "\u009b"} {
		assert.NotContains(t, text, bad)
	}
}

// TestWriteTextSigmaPlan: explain shows a Sigma plan as a rule (title, file, status) with
// its level, the ATT&CK analytics it is linked to, and its references.
func TestWriteTextSigmaPlan(t *testing.T) {
	p := &Plan{ID: "3b4b232a", Name: "CMSTP", Kind: KindDetection, Origin: OriginSigma, Level: "high",
		Rule:       &Rule{ID: "3b4b232a", Title: "CMSTP Execution", Path: "rules/cmstp.yml", Status: "stable", FalsePositives: []string{"unlikely"}},
		Analytics:  []AnalyticRef{{ID: "AN0932", DetectionStrategy: "DET0328", DetectionStrategyName: "CMSTP abuse"}},
		References: []string{"https://example.org/cmstp"},
		Channels:   []*Channel{{ID: "c1", LogSource: "WinEventLog:Sysmon", Selector: "true", Predicate: "p", Origin: OriginSigma}},
	}
	var out bytes.Buffer
	require.NoError(t, p.WriteText(&out))
	text := out.String()
	for _, want := range []string{
		"3b4b232a  CMSTP Execution  (Sigma rule, modified none)\n",
		"  file:        rules/cmstp.yml\n", "  status:      stable\n", "  level:       high\n",
		"  analytics:   AN0932  DET0328  CMSTP abuse\n", "  references:  https://example.org/cmstp\n",
		"  c1  WinEventLog:Sysmon  []  sigma\n",
	} {
		assert.Contains(t, text, want)
	}
}

// TestWriteTextChannelGroupBy: explain shows the fields a channel reads the group from
// when they are its own.
func TestWriteTextChannelGroupBy(t *testing.T) {
	p := &Plan{ID: "x", Kind: KindDetection, Correlation: Correlation{GroupBy: []string{"ip"}, WindowLiteral: "1m", Condition: "c1 && c2"},
		Channels: []*Channel{{ID: "c1", LogSource: "a", GroupBy: []string{"destination.ip"}}, {ID: "c2", LogSource: "b"}}}
	var out bytes.Buffer
	require.NoError(t, p.WriteText(&out))
	assert.Contains(t, out.String(), "      group by:  destination.ip\n")
	assert.Equal(t, 1, bytes.Count(out.Bytes(), []byte("      group by:  ")), "the channel without its own fields shows none")
}
