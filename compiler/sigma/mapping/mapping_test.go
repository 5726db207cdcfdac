package mapping

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/stixcel/stixcel/diag"
)

func TestBuiltinParsesClean(t *testing.T) {
	_, diags := Parse(BuiltinFile, builtinYAML)
	require.Empty(t, diags)
}

func TestLookup(t *testing.T) {
	m := Builtin()
	type want struct {
		logSource string
		codes     []int
		fields    map[string]string // renames the target must have (a subset)
		cond      map[string][]string
	}
	tests := []struct {
		name                       string
		product, category, service string
		ok                         bool
		want                       []want
	}{
		{
			name: "process_creation is Sysmon 1 and Security 4688 with 4688's names", product: "windows", category: "process_creation", ok: true,
			want: []want{
				{logSource: "WinEventLog:Sysmon", codes: []int{1}, fields: map[string]string{"EventID": "EventCode"}},
				{logSource: "WinEventLog:Security", codes: []int{4688}, fields: map[string]string{
					"Image": "NewProcessName", "ParentImage": "ParentProcessName", "ProcessId": "NewProcessId",
					"ParentProcessId": "ProcessId", "User": "SubjectUserName", "EventID": "EventCode",
				}},
			},
		},
		{
			name: "ps_script is PowerShell 4104", product: "windows", category: "ps_script", ok: true,
			want: []want{{logSource: "WinEventLog:PowerShell", codes: []int{4104}}},
		},
		{
			name: "network_connection is Sysmon 3 and Security 5156", product: "windows", category: "network_connection", ok: true,
			want: []want{
				{logSource: "WinEventLog:Sysmon", codes: []int{3}},
				{logSource: "WinEventLog:Security", codes: []int{5156}, fields: map[string]string{"DestinationIp": "DestAddress"}},
			},
		},
		{
			name: "registry_add is Sysmon 12 CreateKey", product: "windows", category: "registry_add", ok: true,
			want: []want{{logSource: "WinEventLog:Sysmon", codes: []int{12}, cond: map[string][]string{"EventType": {"CreateKey"}}}},
		},
		{
			name: "service security is every Security event", product: "windows", service: "security", ok: true,
			want: []want{{logSource: "WinEventLog:Security"}},
		},
		{
			name: "service powershell-classic is the Windows PowerShell channel", product: "windows", service: "powershell-classic", ok: true,
			want: []want{{logSource: "WinEventLog:PowerShell", cond: map[string][]string{"Channel": {"Windows PowerShell"}}}},
		},
		{
			name: "service windefend reads Defender's names, which have spaces", product: "windows", service: "windefend", ok: true,
			want: []want{{logSource: "WinEventLog:Microsoft-Windows-Windows Defender/Operational", fields: map[string]string{
				"ThreatName": "Threat Name", "ProcessName": "Process Name", "SourceName": "Source Name", "NewValue": "New Value", "Path": "Path",
			}}},
		},
		{
			name: "names compare in lower case", product: "Windows", category: "Image_Load", ok: true,
			want: []want{{logSource: "WinEventLog:Sysmon", codes: []int{7}}},
		},
		{
			name: "a category decides over a service", product: "windows", category: "dns_query", service: "security", ok: true,
			want: []want{{logSource: "WinEventLog:Sysmon", codes: []int{22}}},
		},
		{name: "an unknown category", product: "windows", category: "no_such_category"},
		{name: "an unknown service", product: "windows", service: "no-such-service"},
		{name: "an unknown product", product: "linux", category: "process_creation"},
		{name: "product alone", product: "windows"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := m.Lookup(tt.product, tt.category, tt.service)
			require.Equal(t, tt.ok, ok)
			require.Len(t, got, len(tt.want))
			for i, w := range tt.want {
				assert.Equal(t, w.logSource, got[i].LogSource)
				assert.Equal(t, w.codes, got[i].EventCodes)
				for sigma, field := range w.fields {
					assert.Equal(t, field, got[i].EventField(sigma), "Sigma field %s", sigma)
				}
				if w.cond != nil {
					assert.Equal(t, w.cond, got[i].Conditions)
				}
			}
		})
	}
}

func TestEventFieldKeepsUnrenamedNames(t *testing.T) {
	got, ok := Builtin().Lookup("windows", "process_creation", "")
	require.True(t, ok)
	assert.Equal(t, "Image", got[0].EventField("Image"), "Sysmon's Image is Image")
	assert.Equal(t, "NewProcessName", got[1].EventField("Image"), "4688 holds the image as NewProcessName")
	assert.Equal(t, "CommandLine", got[1].EventField("CommandLine"), "4688 names the command line as Sysmon does")
}

func TestCarries(t *testing.T) {
	got, ok := Builtin().Lookup("windows", "process_creation", "")
	require.True(t, ok)
	for _, field := range []string{"Image", "CommandLine", "ParentImage", "OriginalFileName", "ParentCommandLine", "Hashes"} {
		assert.True(t, got[0].Carries(field), "Sysmon 1 carries %s", field)
	}
	for _, field := range []string{"Image", "CommandLine", "ParentImage", "User"} {
		assert.True(t, got[1].Carries(field), "4688 carries %s", field)
	}
	for _, field := range []string{"OriginalFileName", "ParentCommandLine", "Hashes", "IntegrityLevel"} {
		assert.False(t, got[1].Carries(field), "4688 has no %s", field)
	}
}

func TestMergeOverrides(t *testing.T) {
	user, diags := Parse("user.yaml", []byte(`products:
  windows:
    fields:
      Provider_Name: SourceName
    categories:
      process_creation:
        - log_source: WinEventLog:Sysmon
          event_codes: [1]
    services:
      my-app:
        - log_source: WinEventLog:MyApp/Operational
          event_codes: [7, 8]
  linux:
    categories:
      process_creation:
        - log_source: auditd
`))
	require.Empty(t, diags)
	m := Builtin()
	m.Merge(user)

	pc, ok := m.Lookup("windows", "process_creation", "")
	require.True(t, ok)
	require.Len(t, pc, 1, "the user's entry replaces the built-in one whole")
	assert.Equal(t, "WinEventLog:Sysmon", pc[0].LogSource)
	assert.Equal(t, "SourceName", pc[0].EventField("Provider_Name"), "the user's common rename applies")
	assert.Equal(t, "EventCode", pc[0].EventField("EventID"), "the built-in common renames stay")

	app, ok := m.Lookup("windows", "", "my-app")
	require.True(t, ok, "a new service is added")
	assert.Equal(t, []int{7, 8}, app[0].EventCodes)

	ps, ok := m.Lookup("windows", "ps_script", "")
	require.True(t, ok, "entries the user does not name stay as built in")
	assert.Equal(t, "WinEventLog:PowerShell", ps[0].LogSource)

	_, ok = m.Lookup("linux", "process_creation", "")
	assert.True(t, ok, "a new product is added")

	fresh, ok := Builtin().Lookup("windows", "process_creation", "")
	require.True(t, ok)
	assert.Len(t, fresh, 2, "merging leaves later Builtin tables untouched")
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name string
		yaml string
		pos  string // file:line:col of the first diagnostic
		msg  string
	}{
		{
			name: "a misspelt target key",
			yaml: "products:\n  windows:\n    categories:\n      x:\n        - log_sorce: A\n",
			pos:  "m.yaml:5:11", msg: `unknown key "log_sorce" in product windows category x target 1; did you mean "log_source"?`,
		},
		{
			name: "a misspelt product key",
			yaml: "products:\n  windows:\n    categores: {}\n",
			pos:  "m.yaml:3:5", msg: `did you mean "categories"?`,
		},
		{
			name: "a misspelt top key",
			yaml: "product:\n  windows: {}\n",
			pos:  "m.yaml:1:1", msg: `did you mean "products"?`,
		},
		{
			name: "a target without a log source",
			yaml: "products:\n  windows:\n    services:\n      security:\n        - event_codes: [1]\n",
			pos:  "m.yaml:5:11", msg: `has no "log_source" key`,
		},
		{
			name: "an event code that is not a number",
			yaml: "products:\n  windows:\n    services:\n      security:\n        - log_source: A\n          event_codes: [1, four]\n",
			pos:  "m.yaml:6:28", msg: `"four" is not an event code`,
		},
		{
			name: "an entry without targets",
			yaml: "products:\n  windows:\n    services:\n      security: []\n",
			pos:  "m.yaml:4:7", msg: "has no targets",
		},
		{
			name: "targets that are not a list",
			yaml: "products:\n  windows:\n    services:\n      security:\n        log_source: A\n",
			pos:  "m.yaml:5:9", msg: "must be a list",
		},
		{
			name: "a rename to nothing",
			yaml: "products:\n  windows:\n    fields:\n      Image: ''\n",
			pos:  "m.yaml:4:14", msg: "is empty",
		},
		{
			name: "lacks that is not a list",
			yaml: "products:\n  windows:\n    services:\n      security:\n        - log_source: A\n          lacks: Hashes\n",
			pos:  "m.yaml:6:18", msg: "must be a list",
		},
		{
			name: "an entry written twice",
			yaml: "products:\n  windows:\n    services:\n      security:\n        - log_source: A\n      security:\n        - log_source: B\n",
			pos:  "m.yaml:6:7", msg: `duplicate key "security" (first at m.yaml:4:7)`,
		},
		{
			name: "invalid YAML",
			yaml: "products:\n  windows: [\n",
			msg:  "invalid YAML",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, diags := Parse("m.yaml", []byte(tt.yaml))
			require.True(t, diags.HasErrors(), "want an error")
			if tt.pos != "" {
				assert.Equal(t, tt.pos, diags[0].Pos.String())
			}
			assert.Contains(t, diags[0].Msg, tt.msg)
		})
	}
}

func TestLoad(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "mine.yaml")
	require.NoError(t, os.WriteFile(path, []byte("products:\n  windows:\n    services:\n      my-app:\n        - log_source: WinEventLog:MyApp\n"), 0o600))

	m, diags := Load(path)
	require.Empty(t, diags)
	_, ok := m.Lookup("windows", "", "my-app")
	assert.True(t, ok, "the user's entry is added")
	_, ok = m.Lookup("windows", "process_creation", "")
	assert.True(t, ok, "the built-in entries stay")

	_, diags = Load(filepath.Join(dir, "absent.yaml"))
	require.Len(t, diags, 1)
	assert.Equal(t, diag.CodeIO, diags[0].Code)
	assert.Contains(t, diags[0].Pos.File, "absent.yaml")

	m, diags = Load("")
	assert.Empty(t, diags)
	assert.NotEmpty(t, m.Products)
}

func TestUncovered(t *testing.T) {
	assert.Equal(t,
		"no Sigma log source mapping covers logsource {product: windows, service: no-such}; the rule selects no events (map it in a --sigma-mapping file)",
		Uncovered("windows", "", "no-such"))
}

func TestConditionsTakeOneValueOrAList(t *testing.T) {
	m, diags := Parse("m.yaml", []byte(`products:
  windows:
    services:
      one:
        - log_source: A
          conditions: {Channel: Security}
      many:
        - log_source: A
          conditions: {EventType: [CreateKey, DeleteKey]}
`))
	require.Empty(t, diags)
	one, _ := m.Lookup("windows", "", "one")
	assert.Equal(t, map[string][]string{"Channel": {"Security"}}, one[0].Conditions)
	many, _ := m.Lookup("windows", "", "many")
	assert.Equal(t, map[string][]string{"EventType": {"CreateKey", "DeleteKey"}}, many[0].Conditions)
}
