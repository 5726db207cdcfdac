package channel

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestDefaultTaxonomyField(t *testing.T) {
	tax := DefaultTaxonomy()
	tests := []struct {
		logSource string
		want      string // "" when the source has no selector field
	}{
		{"WinEventLog:Sysmon", "EventCode"},
		{"WinEventLog:Microsoft-Windows-CodeIntegrity/Operational", "EventCode"},
		{"wineventlog:dhcp", "EventCode"},
		{"auditd:SYSCALL", "syscall"},
		{"AWS:CloudTrail", "eventName"},
		{"m365:unified", "Operation"},
		{"m365:messagetrace", ""}, // carved out of m365:*
		{"macos:osquery", "table"},
		{"NSM:Flow", "_path"},
		{"macos:unifiedlog", ""},
		{"gcp:audit", ""},
		{"VPN:MobileProxy", ""},
	}
	for _, tc := range tests {
		t.Run(tc.logSource, func(t *testing.T) {
			got, ok := tax.Field(tc.logSource)
			assert.Equal(t, tc.want != "", ok)
			assert.Equal(t, tc.want, got)
		})
	}
}

func TestParseTaxonomyOverride(t *testing.T) {
	tax, err := ParseTaxonomy("mine.yaml", []byte(`
sources:
  - {name: "MobileEDR:*", field: activity, values: activity}
  - {name: "MobileEDR:telemetry", field: DeviceLockState, values: lock}
values:
  activity: {words: [background_task, job_execution]}
  lock: {pattern: '^(locked|unlocked)$'}
`))
	require.NoError(t, err)
	field, ok := tax.Field("MobileEDR:telemetry")
	assert.True(t, ok)
	assert.Equal(t, "DeviceLockState", field, "an exact name wins over a glob")
	assert.Equal(t, `has(event.activity) && event.activity in ["background_task", "job_execution"]`,
		Derive(tax, "MobileEDR:other", "background_task or job_execution").CEL)
	assert.Equal(t, `has(event.DeviceLockState) && event.DeviceLockState == "locked"`, Derive(tax, "MobileEDR:telemetry", "locked").CEL)
	_, ok = tax.Field("auditd:SYSCALL")
	assert.False(t, ok, "an override replaces the shipped taxonomy")
}

func TestParseTaxonomyErrors(t *testing.T) {
	tests := []struct {
		name string
		yaml string
		want string // the whole error, file:line:col: message
	}{
		{
			name: "syntax",
			yaml: "sources:\n  - {name: \"a\", field: x\n",
			want: "t.yaml:2:",
		},
		{
			name: "unknown key",
			yaml: "sources:\n  - name: a\n    feild: x\n",
			want: `t.yaml:3:5: unknown key "feild" in sources[0]; did you mean "field"?`,
		},
		{
			name: "wrong type",
			yaml: "sources:\n  - name: a\n    field: x\n    values: v\nvalues:\n  v: {words: 3}\n",
			want: "t.yaml:6:",
		},
		{
			name: "unknown values",
			yaml: "sources:\n  - name: a\n    field: x\n    values: nope\nvalues:\n  v: {int: true}\n",
			want: `t.yaml:2:5: source "a": unknown values "nope" (have: v)`,
		},
		{
			name: "field without values",
			yaml: "sources:\n  - name: a\n  - name: b\n    field: x\n",
			want: `t.yaml:3:5: source "b": field "x" needs values`,
		},
		{
			name: "two kinds",
			yaml: "sources:\n  - {name: a}\nvalues:\n  v: {int: true, words: [a]}\n",
			want: `t.yaml:4:7: values "v": give exactly one of int, words, pattern`,
		},
		{
			name: "bad pattern",
			yaml: "sources:\n  - {name: a}\nvalues:\n  v:\n    pattern: '(['\n",
			want: `t.yaml:5:5: values "v": pattern: error parsing regexp`,
		},
		{
			name: "duplicate source",
			yaml: "sources:\n  - {name: a}\n  - {name: A}\n",
			want: `t.yaml:3:6: source "A" is listed twice`,
		},
		{
			name: "empty",
			yaml: "# nothing\n",
			want: "t.yaml:1:1: no sources",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseTaxonomy("t.yaml", []byte(tc.yaml))
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
			assert.Regexp(t, `^t\.yaml:\d+:\d+: `, err.Error())
			var te *TaxonomyError
			assert.ErrorAs(t, err, &te)
		})
	}
}

func TestGlobMatch(t *testing.T) {
	tests := []struct {
		pattern, name string
		want          bool
	}{
		{"wineventlog:*", "wineventlog:microsoft-windows-codeintegrity/operational", true},
		{"*:osquery", "macos:osquery", true},
		{"*:osquery", "macos:osquery2", false},
		{"m365:*", "m365:", true},
		{"a*b*c", "abc", true},
		{"a*b*c", "acb", false},
		{"ab*b", "ab", false},
	}
	for _, tc := range tests {
		assert.Equal(t, tc.want, globMatch(tc.pattern, tc.name), "%s ~ %s", tc.pattern, tc.name)
	}
}

func TestEventTypeField(t *testing.T) {
	tax := DefaultTaxonomy()
	custom, err := ParseTaxonomy("t.yaml", []byte(`
sources:
  - {name: "MobileEDR:telemetry", field: activity, values: activity}
values:
  activity: {words: [background_task]}
event_type_fields: [kind]
`))
	require.NoError(t, err)
	tests := []struct {
		name      string
		tax       *Taxonomy
		logSource string
		field     string
		want      bool
	}{
		{"the source's selector field", tax, "WinEventLog:Sysmon", "EventCode", true},
		{"another source's selector field", tax, "azure:audit", "Operation", true},
		{"listed, other case", tax, "azure:signinlogs", "operationname", true},
		{"listed sub-log", tax, "macos:unifiedlog", "subsystem", true},
		{"content field", tax, "WinEventLog:PowerShell", "CmdletName", false},
		{"content field of a source without a selector field", tax, "ETW:Token", "api_call", false},
		{"custom list", custom, "x:y", "kind", true},
		{"custom taxonomy replaces the shipped list", custom, "WinEventLog:Sysmon", "EventCode", false},
		{"custom source field", custom, "MobileEDR:telemetry", "activity", true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.want, tc.tax.EventTypeField(tc.logSource, tc.field), "EventTypeField(%s, %s)", tc.logSource, tc.field)
		})
	}
}
