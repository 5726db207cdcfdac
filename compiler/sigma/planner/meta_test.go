package planner_test

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/stixcel/stixcel/compiler/sigma/planner"
	"github.com/stixcel/stixcel/plan"
)

// failedLogon is a base rule a correlation counts.
const failedLogon = `title: Failed logon
id: 5638f7c0-ac70-491d-8465-2a65075e0d86
name: failed_logon
level: low
tags: [attack.credential-access, attack.t1110]
logsource: {product: windows, service: security}
detection:
  selection:
    EventID: 4625
  condition: selection
`

const manyFailed = `title: Many failed logons
id: 0e95725d-7320-415d-80f7-004da920fc11
level: high
correlation:
  type: event_count
  rules: [failed_logon]
  group-by: [TargetUserName]
  timespan: 1h
  condition:
    gte: 10
`

const adminFilter = `title: Not the admins
logsource: {category: process_creation, product: windows}
filter:
  rules: [11111111-2222-3333-4444-555555555555]
  selection:
    User|startswith: 'adm_'
  condition: selection
`

func TestCorrelationPlans(t *testing.T) {
	tests := []struct {
		name     string
		corr     string
		plans    []string // ids, in order
		consumed int
	}{
		{"the base rule only feeds the correlation", manyFailed, []string{"0e95725d-7320-415d-80f7-004da920fc11"}, 1},
		{"generate keeps the base rule's own alerts", manyFailed + "  generate: true\n",
			[]string{"5638f7c0-ac70-491d-8465-2a65075e0d86", "0e95725d-7320-415d-80f7-004da920fc11"}, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res := compile(t, planner.Options{Suppress: time.Hour}, planner.File{Path: "base.yml", Data: []byte(failedLogon)}, planner.File{Path: "corr.yml", Data: []byte(tc.corr)})
			require.Empty(t, codes(res.Diagnostics), "%v", res.Diagnostics)
			var ids []string
			for _, p := range res.Plans {
				ids = append(ids, p.ID)
			}
			require.Equal(t, tc.plans, ids)
			assert.Equal(t, tc.consumed, res.Stats.Consumed)
			c := res.Plans[len(res.Plans)-1]
			assert.Equal(t, plan.OriginSigma, c.Origin)
			assert.Equal(t, "event_count", c.Rule.Type)
			assert.Equal(t, "high", c.Level)
			assert.Equal(t, []plan.Technique{{ID: "T1110", Tactics: []string{"credential-access"}}}, c.Techniques, "a correlation without tags detects what its rules detect")
			require.Len(t, c.Channels, 1)
			assert.Equal(t, "WinEventLog:Security", c.Channels[0].LogSource)
			assert.Equal(t, "1h", c.Correlation.WindowLiteral)
			assert.NotEmpty(t, c.Correlation.Condition)
			assert.Contains(t, c.Correlation.GroupBy, "TargetUserName")
		})
	}
}

func TestCorrelationOverAMissingRule(t *testing.T) {
	res := compile(t, planner.Options{}, planner.File{Path: "corr.yml", Data: []byte(manyFailed)})
	assert.Empty(t, res.Plans)
	assert.Equal(t, []string{"error " + planner.CodeUnsupported}, codes(res.Diagnostics))
	assert.Contains(t, res.Diagnostics[0].Msg, "failed_logon")
	assert.Equal(t, 1, res.Stats.Refused)
}

func TestFilterRules(t *testing.T) {
	res := compile(t, planner.Options{}, planner.File{Path: "proc.yml", Data: []byte(procRule)}, planner.File{Path: "filter.yml", Data: []byte(adminFilter)})
	require.Len(t, res.Plans, 1)
	assert.Equal(t, 1, res.Stats.Filters)
	for _, ch := range res.Plans[0].Channels {
		assert.Contains(t, ch.Predicate, "adm_", "the filter's exclusion is in every target's predicate")
		assert.True(t, strings.Contains(ch.Predicate, "!"), "as a negation: %s", ch.Predicate)
	}

	unknown := strings.Replace(adminFilter, "11111111-2222-3333-4444-555555555555", "99999999-2222-3333-4444-555555555555", 1)
	res = compile(t, planner.Options{}, planner.File{Path: "proc.yml", Data: []byte(procRule)}, planner.File{Path: "filter.yml", Data: []byte(unknown)})
	require.Len(t, res.Plans, 1)
	assert.NotContains(t, res.Plans[0].Channels[0].Predicate, "adm_")
	require.Len(t, res.Diagnostics, 1)
	assert.Equal(t, "warning", string(res.Diagnostics[0].Severity), "a filter naming no loaded rule is said")
}
