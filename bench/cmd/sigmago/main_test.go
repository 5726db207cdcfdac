package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const whoamiRule = `title: Whoami
id: 11111111-1111-1111-1111-111111111111
logsource:
  product: windows
  category: process_creation
detection:
  selection:
    Image|endswith: '\whoami.exe'
  condition: selection
`

// TestSigmagoRoutesAndMatches: the baseline meets an event with the rules of its log source
// and EventCode only, as stixcel's routing does, and counts what sigma-go matched: a whoami
// process creation matches, the same image in another event code or channel is not
// evaluated, and an empty line is no event.
func TestSigmagoRoutesAndMatches(t *testing.T) {
	dir := t.TempDir()
	rule := filepath.Join(dir, "whoami.yml")
	require.NoError(t, os.WriteFile(rule, []byte(whoamiRule), 0o600))
	artifact := `{"schema":"x","plans":[{"origin":"sigma","rule":{"path":` + quote(rule) + `},"channels":[` +
		`{"log_source":"WinEventLog:Sysmon","selector":"event.log_source == 'WinEventLog:Sysmon' && has(event.EventCode) && event.EventCode in [1]"},` +
		`{"log_source":"WinEventLog:Security","selector":"event.log_source == 'WinEventLog:Security' && has(event.EventCode) && event.EventCode in [4688]"}]},` +
		`{"channels":[{"log_source":"WinEventLog:Sysmon","selector":"true"}]}]}`
	plans := filepath.Join(dir, "plans.json")
	require.NoError(t, os.WriteFile(plans, []byte(artifact), 0o600))
	rules, err := loadRules(plans)
	require.NoError(t, err)
	assert.Equal(t, 1, rules.parsed)

	lines := strings.Join([]string{
		`{"Channel":"Microsoft-Windows-Sysmon/Operational","EventID":1,"Image":"C:\\Windows\\System32\\whoami.exe"}`,
		`{"Channel":"Security","EventID":4688,"Image":"C:\\Windows\\System32\\whoami.exe"}`,
		`{"Channel":"Microsoft-Windows-Sysmon/Operational","EventID":3,"Image":"C:\\Windows\\System32\\whoami.exe"}`,
		`{"Channel":"Microsoft-Windows-Sysmon/Operational","EventID":1,"Image":"C:\\Windows\\System32\\cmd.exe"}`,
		``,
	}, "\n")
	var c counts
	require.NoError(t, rules.run(strings.NewReader(lines), "events.jsonl", &c))
	assert.Equal(t, counts{events: 4, matches: 2}, c)
}

// TestSigmagoBadLine: a line that is not JSON stops the baseline, naming file and line.
func TestSigmagoBadLine(t *testing.T) {
	r := &routed{}
	var c counts
	err := r.run(strings.NewReader("{}\n\n{bad\n"), "events.jsonl", &c)
	assert.ErrorContains(t, err, "events.jsonl:3:")
}

func quote(s string) string { return `"` + strings.ReplaceAll(s, `\`, `\\`) + `"` }
