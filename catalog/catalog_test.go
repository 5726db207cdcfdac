package catalog

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/stixcel/stixcel/compiler/attack"
	"github.com/stixcel/stixcel/plan"
)

var (
	lsassDump = &plan.Plan{
		ID: "AN1030", StixID: "x-mitre-analytic--1030", Name: "LSASS access", Kind: plan.KindDetection, DetectionStrategy: "DET0363",
		Platforms:  []string{"Windows"},
		Techniques: []plan.Technique{{ID: "T1003.001", Name: "LSASS Memory", Tactics: []string{"credential-access"}}},
		Channels: []*plan.Channel{
			{LogSource: "WinEventLog:Sysmon", Channel: "EventCode=10", Origin: plan.OriginBound,
				DataComponent: plan.DataComponent{ID: "DC0035", Name: "Process Access"}},
			{LogSource: "WinEventLog:Sysmon", Channel: "EventCode=1", DataComponent: plan.DataComponent{ID: "DC0032", Name: "Process Creation"}},
		},
	}
	bashHistory = &plan.Plan{
		ID: "AN0500", StixID: "x-mitre-analytic--0500", Name: "Shell history cleared", Kind: plan.KindSelector,
		Platforms:  []string{"Linux", "macOS"},
		Techniques: []plan.Technique{{ID: "T1070.003", Name: "Clear Command History", Tactics: []string{"defense-evasion"}}},
		Channels:   []*plan.Channel{{LogSource: "auditd:SYSCALL", Channel: "unlink of .bash_history"}},
	}
	lsassAnalytic = &attack.Analytic{ID: "AN1030", StixID: "x-mitre-analytic--1030", Description: "Reads of lsass.exe memory by unusual processes",
		Strategy: &attack.Strategy{ID: "DET0363", Name: "Detection of Credential Dumping"}}
)

// TestFind: each criterion as search documents it, and all of them together; the text is
// also looked up in the analytic the index holds (description, strategy name).
func TestFind(t *testing.T) {
	tests := []struct {
		name string
		q    Query
		want []string // ids of lsassDump, bashHistory that match
	}{
		{"no criterion", Query{}, []string{"AN1030", "AN0500"}},
		{"text in the description, any case", Query{Text: "LSASS.EXE"}, []string{"AN1030"}},
		{"text in the strategy name", Query{Text: "detection of credential"}, []string{"AN1030"}},
		{"text in a channel", Query{Text: "bash_history"}, []string{"AN0500"}},
		{"technique includes its sub-techniques", Query{Technique: "t1003"}, []string{"AN1030"}},
		{"a sub-technique is exact", Query{Technique: "T1003.002"}, nil},
		{"technique id is not a prefix", Query{Technique: "T100"}, nil},
		{"tactic by name", Query{Tactic: "Credential Access"}, []string{"AN1030"}},
		{"tactic by short name", Query{Tactic: "defense-evasion"}, []string{"AN0500"}},
		{"platform any case", Query{Platform: "MACOS"}, []string{"AN0500"}},
		{"platform is not a substring", Query{Platform: "mac"}, nil},
		{"log source substring", Query{LogSource: "sysmon"}, []string{"AN1030"}},
		{"data component by id", Query{DataComponent: "dc0032"}, []string{"AN1030"}},
		{"data component by name", Query{DataComponent: "process access"}, []string{"AN1030"}},
		{"every criterion must hold", Query{Text: "lsass", Platform: "Linux"}, nil},
	}
	ix := attack.NewIndex([]*attack.Analytic{lsassAnalytic})
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var got []string
			for _, h := range Find([]*plan.Plan{lsassDump, bashHistory}, ix, tc.q) {
				got = append(got, h.ID)
			}
			assert.Equal(t, tc.want, got, "Find(%+v)", tc.q)
		})
	}
}

// TestWriteText: one line per hit in columns: id, kind, bound, techniques, platforms and
// strategy (its id alone when the analytic is unknown, "none" without one).
func TestWriteText(t *testing.T) {
	hits := Find([]*plan.Plan{lsassDump, bashHistory}, nil, Query{})
	require.Len(t, hits, 2)
	assert.True(t, hits[0].Bound)
	assert.Equal(t, []string{"WinEventLog:Sysmon"}, hits[0].LogSources, "each log source once")
	var b bytes.Buffer
	require.NoError(t, WriteText(&b, hits))
	assert.Equal(t, ""+
		"AN1030  detection bound   T1003.001              Windows            DET0363\n"+
		"AN0500  selector  unbound T1070.003              Linux,macOS        none\n", b.String())
}

// TestFindNothing: no match is an empty list, which search --json prints as [], not null.
func TestFindNothing(t *testing.T) {
	out, err := json.Marshal(Find([]*plan.Plan{lsassDump}, nil, Query{Technique: "T9999"}))
	require.NoError(t, err)
	assert.Equal(t, "[]", string(out))
}

// TestFindSigmaRules: Sigma rules are found beside analytics by their title, level and file,
// technique and log source, and a hit says it is a rule: title, level, file.
func TestFindSigmaRules(t *testing.T) {
	rule := &plan.Plan{
		ID: "0b9ad457-2554-44c1-82c2-d56a99c42377", Name: "Anydesk Temporary Artefact", Kind: plan.KindDetection, Origin: plan.OriginSigma, Level: "medium",
		Platforms:  []string{"Windows"},
		Techniques: []plan.Technique{{ID: "T1219.002", Tactics: []string{"command-and-control"}}},
		Channels:   []*plan.Channel{{LogSource: "WinEventLog:Sysmon", Channel: "EventCode=11", Origin: plan.OriginSigma}},
		Rule:       &plan.Rule{ID: "0b9ad457-2554-44c1-82c2-d56a99c42377", Title: "Anydesk Temporary Artefact", Level: "medium", Path: "rules/windows/file_event_win_anydesk_artefact.yml"},
	}
	plans := []*plan.Plan{lsassDump, bashHistory, rule}
	tests := []struct {
		name string
		q    Query
		want []string
	}{
		{name: "title", q: Query{Text: "anydesk temporary"}, want: []string{rule.ID}},
		{name: "file", q: Query{Text: "file_event_win_anydesk"}, want: []string{rule.ID}},
		{name: "technique with its sub-techniques", q: Query{Technique: "T1219"}, want: []string{rule.ID}},
		{name: "log source, beside analytics", q: Query{LogSource: "sysmon"}, want: []string{"AN1030", rule.ID}},
		{name: "tactic", q: Query{Tactic: "Command and Control"}, want: []string{rule.ID}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var got []string
			for _, h := range Find(plans, nil, tc.q) {
				got = append(got, h.ID)
			}
			assert.Equal(t, tc.want, got)
		})
	}
	hits := Find(plans, nil, Query{Text: "anydesk"})
	require.Len(t, hits, 1)
	assert.True(t, hits[0].IsRule())
	assert.Equal(t, "medium", hits[0].Level)
	assert.Equal(t, rule.Rule.Path, hits[0].Path)
	var text bytes.Buffer
	require.NoError(t, WriteText(&text, hits))
	assert.Equal(t, "0b9ad457-2554-44c1-82c2-d56a99c42377 sigma     medium  T1219.002              Windows            Anydesk Temporary Artefact (rules/windows/file_event_win_anydesk_artefact.yml)\n", text.String())
	data, err := json.Marshal(hits[0])
	require.NoError(t, err)
	assert.Contains(t, string(data), `"origin":"sigma","level":"medium","path":"rules/windows/file_event_win_anydesk_artefact.yml"`)
}
