package planner_test

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/stixcel/stixcel/compiler/sigma/planner"
	"github.com/stixcel/stixcel/diag"
	"github.com/stixcel/stixcel/plan"
)

// lsassRule is a process-access rule tagged with a technique the analytics below detect and
// one no analytic detects.
const lsassRule = `title: LSASS Access
id: 0b8e1a5c-2f3d-4e5f-8a9b-1c2d3e4f5a6b
name: lsass_access
status: test
level: high
author: someone
references: [https://example.org/lsass]
falsepositives: [Backup tools]
tags: [attack.credential-access, attack.t1003.001, attack.t9999]
logsource: {product: windows, category: process_access}
detection:
  selection:
    TargetImage|endswith: '\lsass.exe'
    GrantedAccess: '0x1410'
  condition: selection
`

const procRule = `title: Whoami
id: 11111111-2222-3333-4444-555555555555
level: low
tags: [attack.discovery, attack.t1033]
logsource: {product: windows, category: process_creation}
detection:
  selection:
    Image|endswith: '\whoami.exe'
  condition: selection
`

// analytics are compiled ATT&CK plans: AN1030 reads Sysmon process access (DC0035) for
// T1003.001; AN9000 detects the same technique on other telemetry.
func analytics() []*plan.Plan {
	tech := plan.Technique{ID: "T1003.001", Name: "OS Credential Dumping: LSASS Memory", Tactics: []string{"credential-access"}}
	return []*plan.Plan{
		{ID: "AN1030", Name: "Analytic 1030", DetectionStrategy: "DET0363", DetectionStrategyName: "LSASS", Techniques: []plan.Technique{tech},
			Channels: []*plan.Channel{{ID: "c1", LogSource: "WinEventLog:Sysmon", DataComponent: plan.DataComponent{ID: "DC0035", Name: "Process Access"},
				Route: &plan.Route{Field: "EventCode", Values: []any{int64(10)}}}}},
		{ID: "AN9000", Name: "Analytic 9000", Techniques: []plan.Technique{tech},
			Channels: []*plan.Channel{{ID: "c1", LogSource: "WinEventLog:Security", DataComponent: plan.DataComponent{ID: "DC0001", Name: "Other"},
				Route: &plan.Route{Field: "EventCode", Values: []any{int64(4663)}}}}},
	}
}

func compile(t *testing.T, opts planner.Options, files ...planner.File) *planner.Result {
	t.Helper()
	if opts.Attack == nil {
		opts.Attack = analytics()
	}
	return planner.Compile(files, opts)
}

func codes(ds diag.Diagnostics) []string {
	var out []string
	for _, d := range ds {
		out = append(out, string(d.Severity)+" "+d.Code)
	}
	return out
}

func TestRuleBecomesPlan(t *testing.T) {
	res := compile(t, planner.Options{Suppress: time.Hour, WarnUnknownTechniques: true}, planner.File{Path: "rules/lsass.yml", Data: []byte(lsassRule)})
	require.Len(t, res.Plans, 1)
	p := res.Plans[0]
	assert.Equal(t, "0b8e1a5c-2f3d-4e5f-8a9b-1c2d3e4f5a6b", p.ID)
	assert.Equal(t, "LSASS Access", p.Name)
	assert.Equal(t, plan.OriginSigma, p.Origin)
	assert.Equal(t, plan.KindDetection, p.Kind)
	assert.Equal(t, "high", p.Level)
	assert.Equal(t, &plan.Rule{ID: p.ID, Name: "lsass_access", Title: "LSASS Access", Level: "high", Status: "test", Path: "rules/lsass.yml",
		Author: "someone", References: []string{"https://example.org/lsass"}, FalsePositives: []string{"Backup tools"}}, p.Rule)
	assert.Equal(t, []plan.Technique{
		{ID: "T1003.001", Name: "OS Credential Dumping: LSASS Memory", Tactics: []string{"credential-access"}},
		{ID: "T9999", Tactics: []string{"credential-access"}},
	}, p.Techniques, "known ids take the analytics' names; unknown ones are kept with the rule's tactics")
	assert.Equal(t, []plan.AnalyticRef{{ID: "AN1030", Name: "Analytic 1030", DetectionStrategy: "DET0363", DetectionStrategyName: "LSASS"}}, p.Analytics,
		"only the analytic that reads the same log source and data component")
	require.Len(t, p.Channels, 1)
	ch := p.Channels[0]
	assert.Equal(t, "WinEventLog:Sysmon", ch.LogSource)
	assert.Equal(t, "DC0035", ch.DataComponent.ID)
	assert.Equal(t, &plan.Route{Field: "EventCode", Values: []any{int64(10)}}, ch.Route)
	assert.Equal(t, plan.OriginSigma, ch.Origin)
	assert.Contains(t, ch.Fields, "TargetImage")
	assert.Equal(t, plan.Correlation{GroupBy: []string{"host"}, WindowLiteral: "1h0m0s", Condition: "c1"}, p.Correlation)
	assert.Equal(t, []string{"warning " + planner.CodeUnknownTechnique}, codes(res.Diagnostics))
	assert.Equal(t, planner.Stats{Files: 1, Rules: 1, Planned: 1}, res.Stats)
}

func TestOptions(t *testing.T) {
	lsass := planner.File{Path: "lsass.yml", Data: []byte(lsassRule)}
	proc := planner.File{Path: "proc.yml", Data: []byte(procRule)}
	tests := []struct {
		name    string
		opts    planner.Options
		files   []planner.File
		plans   []string
		stats   planner.Stats
		diags   []string
		channel int // channels of the last plan
	}{
		{name: "every target of the log source, one alert per match", files: []planner.File{proc}, plans: []string{"11111111-2222-3333-4444-555555555555"},
			stats: planner.Stats{Files: 1, Rules: 1, Planned: 1}, channel: 2},
		{name: "level keeps rules at or above it", opts: planner.Options{MinLevel: "medium"}, files: []planner.File{lsass, proc},
			plans: []string{"0b8e1a5c-2f3d-4e5f-8a9b-1c2d3e4f5a6b"}, stats: planner.Stats{Files: 2, Rules: 2, Planned: 1, BelowLevel: 1}, channel: 1},
		{name: "a duplicate id is refused", files: []planner.File{proc, {Path: "again.yml", Data: []byte(procRule)}},
			plans: []string{"11111111-2222-3333-4444-555555555555"}, stats: planner.Stats{Files: 2, Rules: 2, Planned: 1, Refused: 1},
			diags: []string{"error " + planner.CodeDuplicateRule}, channel: 2},
		{name: "an unmapped log source is a warning", files: []planner.File{{Path: "linux.yml", Data: []byte(strings.Replace(procRule, "product: windows", "product: plan9", 1))}},
			stats: planner.Stats{Files: 1, Rules: 1, Uncovered: 1}, diags: []string{"warning " + planner.CodeUncovered}},
		{name: "a rule without an id gets a stable one", files: []planner.File{{Path: "noid.yml", Data: []byte(strings.Replace(procRule, "id: 11111111-2222-3333-4444-555555555555\n", "", 1))}},
			plans: []string{"sigma-"}, stats: planner.Stats{Files: 1, Rules: 1, Planned: 1}, channel: 2},
		{name: "a target whose events lack a field is left out, said", files: []planner.File{{Path: "never.yml", Data: []byte(strings.Replace(procRule, "Image|endswith", "OriginalFileName|endswith", 1))}},
			stats: planner.Stats{Files: 1, Rules: 1, Planned: 1}, plans: []string{"11111111-2222-3333-4444-555555555555"},
			diags: []string{"warning " + planner.CodeNeverMatches}, channel: 1},
		{name: "a construct not compiled is an error", files: []planner.File{{Path: "kw.yml", Data: []byte(strings.Replace(procRule, "Image|endswith: '\\whoami.exe'", "Image|expand: '%folder%'", 1))}},
			stats: planner.Stats{Files: 1, Rules: 1, Refused: 1}, diags: []string{"error " + planner.CodeUnsupported}},
		{name: "a file that does not decode", files: []planner.File{{Path: "bad.yml", Data: []byte("title: [\n")}},
			stats: planner.Stats{Files: 1, Rules: 1, Refused: 1}, diags: []string{"error " + diag.CodeYAMLSyntax}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res := compile(t, tc.opts, tc.files...)
			var ids []string
			for _, p := range res.Plans {
				ids = append(ids, p.ID)
				assert.Empty(t, p.Correlation.Condition, "no suppression: one alert per match")
			}
			require.Len(t, ids, len(tc.plans))
			for i, want := range tc.plans {
				assert.True(t, strings.HasPrefix(ids[i], want), "%s has prefix %s", ids[i], want)
			}
			assert.Equal(t, tc.stats, res.Stats)
			assert.Equal(t, tc.diags, codes(res.Diagnostics))
			if len(res.Plans) > 0 {
				assert.Len(t, res.Plans[len(res.Plans)-1].Channels, tc.channel)
			}
		})
	}
}
