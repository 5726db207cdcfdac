package sigmacel

import (
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/stixcel/stixcel/celenv"
)

// longListsRule has value lists as long as SigmaHQ's longest (hundreds of paths, hosts and
// hashes): written one test per value, its predicate is over celenv's cost limit.
func longListsRule(n int) string {
	var b strings.Builder
	b.WriteString("  sel_contains:\n    CommandLine|contains:\n      - 'Ärger'\n      - 'inner*wild'\n")
	for i := range n {
		fmt.Fprintf(&b, "      - 'Token-%04d.Exe'\n", i)
	}
	b.WriteString("  sel_ends:\n    Image|endswith:\n")
	for i := range n {
		fmt.Fprintf(&b, "      - '\\Tool%04d.EXE'\n", i)
	}
	b.WriteString("  sel_starts:\n    ParentImage|startswith:\n")
	for i := range n {
		fmt.Fprintf(&b, "      - 'C:\\Dir%04d\\'\n", i)
	}
	b.WriteString("  sel_equal:\n    Hostname:\n      - ''\n")
	for i := range n {
		fmt.Fprintf(&b, "      - 'Pool%04d.Example.COM'\n", i)
	}
	b.WriteString("  filter:\n    CommandLine|cased|contains:\n")
	for i := range n {
		fmt.Fprintf(&b, "      - 'Cased%04d'\n", i)
	}
	b.WriteString("  condition: 1 of sel_* and not filter\n")
	return b.String()
}

// TestCompactLongLists: a detection over the cost limit written one test per value compiles
// to its compact form (one membership test or RE2 alternation per field and kind), which
// celenv accepts and which answers as the one-test-per-value form does.
func TestCompactLongLists(t *testing.T) {
	rule := decodeRule(t, longListsRule(100))
	env, err := celenv.ChannelEnv(nil)
	require.NoError(t, err)

	expr, err := Compile(rule, testTarget)
	require.NoError(t, err)
	require.NoError(t, check(env, expr), "the compiled detection is within celenv's limits")

	node, err := parseCondition(rule.Detection)
	require.NoError(t, err)
	plain, err := (&compiler{det: rule.Detection, target: testTarget, lacked: map[string]bool{}}).node(node, true)
	require.NoError(t, err)
	require.ErrorContains(t, check(env, plain.text), "too expensive", "one test per value is over the limit")

	events := []map[string]any{
		{"CommandLine": "run TOKEN-0042.exe now"}, {"CommandLine": "token-0042.ex"}, {"CommandLine": "so ein ÄRGER"},
		{"CommandLine": "inner and wild"}, {"CommandLine": "token-0001.exe Cased0001"}, {"CommandLine": "token-0001.exe cased0001"},
		{"NewProcessName": `C:\x\tool0099.exe`}, {"NewProcessName": `C:\x\tool0099.exe.bak`}, {"NewProcessName": `tool0099.exe`},
		{"ParentImage": `c:\dir0007\a.exe`}, {"ParentImage": `x:\dir0007\`},
		{"Hostname": "pool0123.example.com"}, {"Hostname": "x.pool0123.example.com"}, {"Hostname": ""},
		{"CommandLine": "(token-0003.exe)", "Hostname": "other"}, {},
	}
	matches := 0
	for _, ev := range events {
		want := eval(t, plain.text, ev)
		assert.Equal(t, want, eval(t, expr, ev), "%v", ev)
		if want {
			matches++
		}
	}
	assert.Equal(t, 8, matches, "the events exercise both answers")
}
