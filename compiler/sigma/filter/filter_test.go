package filter

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/stixcel/stixcel/celenv"
	"github.com/stixcel/stixcel/compiler/sigma"
	sigmacel "github.com/stixcel/stixcel/compiler/sigma/cel"
	"github.com/stixcel/stixcel/compiler/sigma/mapping"
	"github.com/stixcel/stixcel/diag"
	"github.com/stixcel/stixcel/internal/shared"
)

const ruleText = `title: Whoami
id: 6f3e2987-db24-4c78-a860-b4f4095a7095
name: whoami_exec
logsource:
    category: process_creation
    product: windows
detection:
    selection:
        Image|endswith: '\whoami.exe'
    filter_system:
        User: SYSTEM
    condition: selection and not 1 of filter_*
`

const filterText = `title: Filter admin accounts
logsource:
    category: process_creation
    product: windows
filter:
    rules:
        - whoami_exec
        - 0e95725d-7320-415d-80f7-004da920fc11
    selection:
        User|startswith: 'adm_'
    filter_x:
        CommandLine|contains: 'keep'
    condition: selection and not filter_x
`

func decodeRule(t *testing.T, file, text string) *sigma.Rule {
	t.Helper()
	rules, diags := sigma.Decode(file, []byte(text))
	require.False(t, diags.HasErrors(), "%v", diags)
	require.Len(t, rules, 1)
	return rules[0]
}

func decodeFilter(t *testing.T, text string) *Filter {
	t.Helper()
	f, diags := Decode(decodeRule(t, "mf_admin.yml", text))
	require.Empty(t, diags)
	return f
}

// TestApplyCompiles applies a filter to a rule, compiles the result with sigmacel for the
// Sysmon and Security targets, and evaluates it: the filter's events no longer match, the
// rule's own filter still works, and a `1 of filter_*` of the rule does not reach the
// filter's searches.
func TestApplyCompiles(t *testing.T) {
	rule := decodeRule(t, "whoami.yml", ruleText)
	f := decodeFilter(t, filterText)
	got, err := Apply(rule, []*Filter{f})
	require.NoError(t, err)
	require.NotSame(t, rule, got)
	assert.Equal(t, "((selection and not (filter_system))) and not ((_filter1_selection and not _filter1_filter_x))", got.Detection.Conditions[0].Value)
	assert.Equal(t, rule.Detection.Conditions[0].Pos, got.Detection.Conditions[0].Pos)
	assert.Len(t, rule.Detection.Searches, 2, "the rule itself is unchanged")

	targets, ok := mapping.Builtin().Lookup("windows", "process_creation", "")
	require.True(t, ok)
	env, err := celenv.ChannelEnv(nil)
	require.NoError(t, err)
	for _, target := range targets {
		pred, err := sigmacel.Compile(got, target)
		require.NoError(t, err, target.LogSource)
		ast, iss := env.Compile(pred)
		require.NoError(t, iss.Err(), pred)
		prg, err := env.Program(ast)
		require.NoError(t, err)
		image, user := target.EventField("Image"), target.EventField("User")
		for _, tc := range []struct {
			name  string
			event map[string]any
			want  bool
		}{
			{"a user's whoami", map[string]any{image: `C:\Windows\whoami.exe`, user: "bob"}, true},
			{"an admin's whoami is filtered out", map[string]any{image: `C:\Windows\whoami.exe`, user: "ADM_bob"}, false},
			{"an admin's whoami the filter keeps", map[string]any{image: `C:\Windows\whoami.exe`, user: "adm_bob", "CommandLine": "whoami keep"}, true},
			{"SYSTEM, the rule's own filter", map[string]any{image: `C:\Windows\whoami.exe`, user: "SYSTEM"}, false},
		} {
			out, _, err := prg.Eval(map[string]any{"event": tc.event, "params": map[string]any{}})
			require.NoError(t, err)
			assert.Equal(t, tc.want, out.Value(), "%s on %s: %s", tc.name, target.LogSource, pred)
		}
	}
}

// TestApplyOnlyWhereItApplies: a filter applies to a rule it names (by id or name) whose
// logsource it matches, and to no other.
func TestApplyOnlyWhereItApplies(t *testing.T) {
	f := decodeFilter(t, filterText)
	for _, tc := range []struct {
		name, text string
		applies    bool
	}{
		{"by name", ruleText, true},
		{"by id", `title: x
id: 0e95725d-7320-415d-80f7-004da920fc11
logsource: {category: PROCESS_CREATION, product: windows}
detection: {sel: {Image: a}, condition: sel}
`, true},
		{"not named", `title: x
id: 11111111-7320-415d-80f7-004da920fc11
logsource: {category: process_creation, product: windows}
detection: {sel: {Image: a}, condition: sel}
`, false},
		{"named, other logsource", `title: x
name: whoami_exec
logsource: {category: file_event, product: windows}
detection: {sel: {Image: a}, condition: sel}
`, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rule := decodeRule(t, "r.yml", tc.text)
			got, err := Apply(rule, []*Filter{f})
			require.NoError(t, err)
			assert.Equal(t, !tc.applies, got == rule)
		})
	}
}

// TestDecodeErrors: every misuse of a filter's body is an error at its position.
func TestDecodeErrors(t *testing.T) {
	head := "title: f\nlogsource: {category: process_creation, product: windows}\n"
	for _, tc := range []struct {
		name, body, want string
	}{
		{"no rules", "filter:\n  selection: {User: a}\n  condition: selection\n", "f.yml:4:3: error: filter has no \"rules\" key"},
		{"empty rules", "filter:\n  rules: []\n  selection: {User: a}\n  condition: selection\n", "f.yml:4:10: error: filter rules is empty"},
		{"no condition", "filter:\n  rules: [r]\n  selection: {User: a}\n", "f.yml:4:3: error: detection has no \"condition\" key"},
		{"no search", "filter:\n  rules: [r]\n  condition: selection\n", "f.yml:4:3: error: filter has no search"},
		{"unknown search in condition", "filter:\n  rules: [r]\n  selection: {User: a}\n  condition: selection and not other\n", "f.yml:6:32: error: filter condition:"},
		{"empty body", "filter:\n", "f.yml:3:8: error: filter must be a mapping, not null"},
		{"not a map", "filter: [r]\n", "f.yml:3:9: error: filter must be a mapping"},
		{"bad modifier", "filter:\n  rules: [r]\n  selection: {User|contans: a}\n  condition: selection\n", "f.yml:5:"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rules, diags := sigma.Decode("f.yml", []byte(head+tc.body))
			if !diags.HasErrors() {
				require.Len(t, rules, 1)
				_, diags = Decode(rules[0])
			}
			require.True(t, diags.HasErrors())
			assert.Contains(t, diags.Error(), tc.want)
		})
	}
}

// TestCheck warns of a filter's names that no rule has, and of named rules whose
// logsource it does not match, at the name.
func TestCheck(t *testing.T) {
	f := decodeFilter(t, filterText)
	other := decodeRule(t, "o.yml", "title: o\nid: 0e95725d-7320-415d-80f7-004da920fc11\nlogsource: {category: file_event, product: windows}\ndetection: {sel: {a: b}, condition: sel}\n")
	diags := Check([]*Filter{f}, []*sigma.Rule{decodeRule(t, "whoami.yml", ruleText), other})
	require.Len(t, diags, 1)
	assert.Equal(t, diag.Pos{File: "mf_admin.yml", Line: 8, Col: 11}, diags[0].Pos)
	assert.Contains(t, diags[0].Msg, "whose logsource it does not match")
	corr := decodeRule(t, "c.yml", "title: c\nname: whoami_exec\ncorrelation: {type: temporal, rules: [a], group-by: [u], timespan: 1m}\n")
	diags = Check([]*Filter{f}, []*sigma.Rule{corr})
	require.Len(t, diags, 2)
	assert.Contains(t, diags[0].Msg, `names "whoami_exec" (c.yml:1:1), a correlation rule: a filter applies to detection rules only`)
	diags = Check([]*Filter{f}, nil)
	require.Len(t, diags, 2)
	assert.Equal(t, diag.SeverityWarning, diags[0].Severity)
	assert.Contains(t, diags[0].Msg, `names "whoami_exec", which no loaded Sigma rule has`)
}

// TestSpecificationExamples decodes the specification's filter examples.
func TestSpecificationExamples(t *testing.T) {
	dir := shared.Path(t, "sigma", "specification", "tests", "schema", "filter")
	files, err := filepath.Glob(filepath.Join(dir, "*.yml"))
	require.NoError(t, err)
	require.NotEmpty(t, files)
	for _, file := range files {
		data, err := os.ReadFile(file)
		require.NoError(t, err)
		rules, diags := sigma.Decode(file, data)
		require.False(t, diags.HasErrors(), "%v", diags)
		f, diags := Decode(rules[0])
		require.Empty(t, diags, file)
		assert.Len(t, f.Rules, 2, file)
		assert.Len(t, f.Detection.Searches, 1, file)
	}
}
