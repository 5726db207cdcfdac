package sigmacel

import (
	"fmt"
	"strings"
	"testing"

	"github.com/google/cel-go/common/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/stixcel/stixcel/celenv"
	"github.com/stixcel/stixcel/compiler/sigma"
	"github.com/stixcel/stixcel/compiler/sigma/mapping"
)

// testTarget renames Image and lacks OriginalFileName, as the Security 4688 target does.
var testTarget = mapping.Target{
	LogSource: "WinEventLog:Security",
	Fields:    map[string]string{"Image": "NewProcessName"},
	Lacks:     []string{"OriginalFileName"},
}

// decodeRule decodes a rule whose detection is the given YAML (indented under detection:).
func decodeRule(t *testing.T, detection string) *sigma.Rule {
	t.Helper()
	src := "title: t\nlogsource:\n  product: windows\n  category: process_creation\ndetection:\n" + detection
	rules, ds := sigma.Decode("rule.yml", []byte(src))
	require.Empty(t, ds, "decode:\n%s", src)
	require.Len(t, rules, 1)
	return rules[0]
}

// eval compiles expr in the channel environment and evaluates it on event.
func eval(t *testing.T, expr string, event map[string]any) bool {
	t.Helper()
	env, err := celenv.ChannelEnv(nil)
	require.NoError(t, err)
	ast, _, err := celenv.CompileBool(env, expr)
	require.NoError(t, err, expr)
	prg, err := celenv.NewProgram(env, ast, 5000)
	require.NoError(t, err, expr)
	out, _, err := prg.Eval(map[string]any{"event": event})
	require.NoError(t, err, "%s on %v", expr, event)
	require.IsType(t, types.Bool(false), out, expr)
	return bool(out.(types.Bool))
}

func TestCompileText(t *testing.T) {
	tests := []struct {
		name, detection, want string
	}{
		{"equality, lowered at compile time", "  sel:\n    CommandLine: 'Whoami'\n  condition: sel\n",
			`has(event.CommandLine) && event.CommandLine.lowerAscii() == 'whoami'`},
		{"renamed field", "  sel:\n    Image|endswith: '\\Cmd.exe'\n  condition: sel\n",
			`has(event.NewProcessName) && event.NewProcessName.lowerAscii().endsWith('\\cmd.exe')`},
		{"contains list is OR", "  sel:\n    CommandLine|contains:\n      - ' -enc '\n      - 'IEX'\n  condition: sel\n",
			`has(event.CommandLine) && (event.CommandLine.lowerAscii().contains(' -enc ') || event.CommandLine.lowerAscii().contains('iex'))`},
		{"all is AND", "  sel:\n    CommandLine|contains|all: [a, b]\n  condition: sel\n",
			`has(event.CommandLine) && event.CommandLine.lowerAscii().contains('a') && event.CommandLine.lowerAscii().contains('b')`},
		{"cased", "  sel:\n    CommandLine|cased|startswith: 'Get-'\n  condition: sel\n",
			`has(event.CommandLine) && event.CommandLine.startsWith('Get-')`},
		{"inner wildcard is a regex", "  sel:\n    CommandLine: 'a*b?c'\n  condition: sel\n",
			`has(event.CommandLine) && event.CommandLine.matches('(?is)^a.*b.c$')`},
		{"non-ASCII folds through RE2", "  sel:\n    CommandLine|contains: 'Ärger'\n  condition: sel\n",
			`has(event.CommandLine) && event.CommandLine.matches('(?is)Ärger')`},
		{"number", "  sel:\n    EventID: 4688\n  condition: sel\n",
			`has(event.EventID) && (event.EventID == 4688 || event.EventID == '4688')`},
		{"null", "  sel:\n    PasswordLastSet: null\n  condition: sel\n",
			`!has(event.PasswordLastSet) || event.PasswordLastSet == null`},
		{"exists false", "  sel:\n    Foo|exists: false\n  condition: sel\n", `!has(event.Foo)`},
		{"re with flags", "  sel:\n    CommandLine|re|i: 'a\\d+'\n  condition: sel\n",
			`has(event.CommandLine) && event.CommandLine.matches('(?i)a\\d+')`},
		{"cidr", "  sel:\n    DestinationIp|cidr: 10.16.0.0/14\n  condition: sel\n",
			`has(event.DestinationIp) && event.DestinationIp.matches('^10\\.(?:16|17|18|19)\\.[0-9]{1,3}\\.[0-9]{1,3}$')`},
		{"gte", "  sel:\n    Port|gte: 1024\n  condition: sel\n", `has(event.Port) && event.Port >= 1024`},
		{"fieldref", "  sel:\n    ParentImage|fieldref: Image\n  condition: sel\n",
			`has(event.ParentImage) && has(event.NewProcessName) && event.ParentImage == event.NewProcessName`},
		{"not and 1 of", "  sel_a:\n    A: x\n  sel_b:\n    B: y\n  filter:\n    C: z\n  condition: 1 of sel_* and not filter\n",
			`((has(event.A) && event.A.lowerAscii() == 'x') || (has(event.B) && event.B.lowerAscii() == 'y')) && !(has(event.C) && event.C.lowerAscii() == 'z')`},
		{"lacked field positive is false", "  sel:\n    CommandLine: x\n  alt:\n    OriginalFileName: y\n  condition: sel or alt\n",
			`has(event.CommandLine) && event.CommandLine.lowerAscii() == 'x'`},
		{"lacked field under not never matches", "  sel:\n    CommandLine: x\n  filter:\n    OriginalFileName: y\n  condition: sel and not filter\n",
			""},
		{"keywords", "  keywords:\n    - 'a.b'\n    - 'c*d'\n  condition: keywords\n",
			`event.anyStringMatches('(?is)a\\.b|c.*d')`},
		{"field name that is not an identifier", "  sel:\n    Some.Field: x\n  condition: sel\n",
			`'Some.Field' in event && event['Some.Field'].lowerAscii() == 'x'`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Compile(decodeRule(t, tc.detection), testTarget)
			if tc.want == "" {
				require.ErrorIs(t, err, ErrNeverMatches)
				assert.Contains(t, err.Error(), "OriginalFileName")
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.want, got)
			eval(t, got, map[string]any{}) // type-checks and evaluates on an empty event
		})
	}
}

func TestCompileSemantics(t *testing.T) {
	tests := []struct {
		name      string
		detection string
		match     []map[string]any
		noMatch   []map[string]any
	}{
		{"case-insensitive by default", "  sel:\n    CommandLine|contains: 'MimiKatz'\n  condition: sel\n",
			[]map[string]any{{"CommandLine": "run mimikatz.exe"}, {"CommandLine": "MIMIKATZ"}},
			[]map[string]any{{"CommandLine": "mimi katz"}, {}}},
		{"cased", "  sel:\n    CommandLine|cased: 'Abc'\n  condition: sel\n",
			[]map[string]any{{"CommandLine": "Abc"}},
			[]map[string]any{{"CommandLine": "abc"}}},
		{"Unicode folding for non-ASCII values", "  sel:\n    CommandLine|endswith: 'ÄRGER'\n  condition: sel\n",
			[]map[string]any{{"CommandLine": "so ein ärger"}},
			[]map[string]any{{"CommandLine": "ärger!"}}},
		{"wildcards span newlines", "  sel:\n    CommandLine: 'a*z?'\n  condition: sel\n",
			[]map[string]any{{"CommandLine": "A\nbcZ9"}, {"CommandLine": "az!"}},
			[]map[string]any{{"CommandLine": "az"}, {"CommandLine": "xaz1"}}},
		{"escaped wildcard is literal", "  sel:\n    CommandLine: 'a\\*b'\n  condition: sel\n",
			[]map[string]any{{"CommandLine": "a*b"}},
			[]map[string]any{{"CommandLine": "axb"}}},
		{"all", "  sel:\n    CommandLine|contains|all: [' -a', ' -b']\n  condition: sel\n",
			[]map[string]any{{"CommandLine": "x -b -a"}},
			[]map[string]any{{"CommandLine": "x -a"}}},
		{"windash with all: each value's permutations OR, values AND", "  sel:\n    CommandLine|windash|contains|all: ['-a', '-b']\n  condition: sel\n",
			[]map[string]any{{"CommandLine": "x /a -b"}},
			[]map[string]any{{"CommandLine": "x /a /a"}}},
		{"null is absent or null", "  sel:\n    CommandLine: x\n  empty:\n    Foo: null\n  condition: sel and empty\n",
			[]map[string]any{{"CommandLine": "x"}, {"CommandLine": "x", "Foo": nil}},
			[]map[string]any{{"CommandLine": "x", "Foo": ""}}},
		{"exists", "  sel:\n    Foo|exists: true\n  condition: sel\n",
			[]map[string]any{{"Foo": ""}}, []map[string]any{{}}},
		{"not on a missing field holds", "  filter:\n    Foo: x\n  condition: not filter\n",
			[]map[string]any{{}, {"Foo": "y"}}, []map[string]any{{"Foo": "X"}}},
		{"re is case-sensitive unless i", "  sel:\n    CommandLine|re: 'ab+c'\n  seli:\n    Other|re|i: '^ab+c$'\n  condition: sel or seli\n",
			[]map[string]any{{"CommandLine": "xabbc"}, {"Other": "ABBC"}},
			[]map[string]any{{"CommandLine": "ABC"}, {"Other": "xabc"}}},
		{"cidr", "  sel:\n    DestinationIp|cidr: ['10.0.0.0/8', '192.168.1.128/25']\n  condition: sel\n",
			[]map[string]any{{"DestinationIp": "10.1.2.3"}, {"DestinationIp": "192.168.1.200"}},
			[]map[string]any{{"DestinationIp": "11.0.0.1"}, {"DestinationIp": "192.168.1.12"}, {"DestinationIp": "110.0.0.1"}}},
		{"IPv6 cidr", "  sel:\n    DestinationIp|cidr: ['fe80::/10', 'fc00::/7', '::1/128', '2620:1ec:8f8::/46']\n  condition: sel\n",
			[]map[string]any{{"DestinationIp": "fe80::1"}, {"DestinationIp": "FEBF:0:0:0:1:2:3:4"}, {"DestinationIp": "fd12::9"},
				{"DestinationIp": "::1"}, {"DestinationIp": "0:0:0:0:0:0:0:1"}, {"DestinationIp": "2620:1ec:8fb:0::1"}},
			[]map[string]any{{"DestinationIp": "fec0::1"}, {"DestinationIp": "fe8::1"}, {"DestinationIp": "::2"},
				{"DestinationIp": "2620:1ec:8fc::1"}, {"DestinationIp": "10.0.0.1"}}},
		{"IPv6 cidr whose hextets may be zero", "  sel:\n    DestinationIp|cidr: ['2603:1006::/40', '::/128']\n  condition: sel\n",
			[]map[string]any{{"DestinationIp": "2603:1006::1"}, {"DestinationIp": "2603:1006:00ff:0:0:0:0:9"}, {"DestinationIp": "2603:1006:0:1::5"}, {"DestinationIp": "::"}},
			[]map[string]any{{"DestinationIp": "2603:1007::1"}, {"DestinationIp": "2603:1006:100::1"}, {"DestinationIp": "10.0.0.1"},
				{"DestinationIp": "::ffff:10.0.0.1"}, {"DestinationIp": "fe80::1%eth0"}, {"DestinationIp": "not an address"}, {}}},
		{"comparisons", "  sel:\n    Port|gt: 1000\n    Port|lte: 2000\n  condition: sel\n",
			[]map[string]any{{"Port": int64(1500)}, {"Port": 2000.0}},
			[]map[string]any{{"Port": int64(1000)}, {"Port": int64(3000)}, {}}},
		{"numbers match numbers and their text", "  sel:\n    EventID: 4688\n  condition: sel\n",
			[]map[string]any{{"EventID": int64(4688)}, {"EventID": 4688.0}, {"EventID": "4688"}},
			[]map[string]any{{"EventID": int64(4689)}}},
		{"booleans match booleans and their text", "  sel:\n    Signed: true\n  condition: sel\n",
			[]map[string]any{{"Signed": true}, {"Signed": "true"}, {"Signed": "True"}, {"Signed": "TRUE"}},
			[]map[string]any{{"Signed": false}, {"Signed": "false"}, {"Signed": "yes"}, {}}},
		{"keywords: some string value contains one, ignoring case", "  keywords:\n    - 'event::clear'\n    - 'Drop*Me'\n    - 4688\n  condition: keywords\n",
			[]map[string]any{{"Message": "mimikatz # EVENT::Clear"}, {"A": int64(1), "B": "x drop it, me"}, {"Message": "code 4688."}},
			[]map[string]any{{"Message": "event:clear"}, {"EventCode": int64(4688)}, {}}},
		{"keywords all: each value in some field", "  keywords:\n    '|all':\n      - 'OabVirtualDirectory'\n      - ' -ExternalUrl '\n  condition: keywords\n",
			[]map[string]any{{"A": "set-oabvirtualdirectory", "B": "x -externalurl y"}},
			[]map[string]any{{"A": "set-OabVirtualDirectory"}}},
		{"keywords cased", "  keywords:\n    '|cased':\n      - 'Evil'\n  condition: keywords\n",
			[]map[string]any{{"A": "Evil"}}, []map[string]any{{"A": "evil"}}},
		{"keywords under not", "  sel:\n    CommandLine: x\n  keywords:\n    - 'evil'\n  condition: sel and not keywords\n",
			[]map[string]any{{"CommandLine": "x", "Other": "good"}},
			[]map[string]any{{"CommandLine": "x", "Other": "Evil"}}},
		{"neq", "  sel:\n    Foo|neq: [a, b]\n  condition: sel\n",
			[]map[string]any{{"Foo": "c"}}, []map[string]any{{"Foo": "A"}, {}}},
		{"all of", "  sel_a:\n    A: x\n  sel_b:\n    B: y\n  condition: all of sel_*\n",
			[]map[string]any{{"A": "x", "B": "Y"}}, []map[string]any{{"A": "x"}}},
		{"fieldref", "  sel:\n    ParentImage|fieldref: Image\n  condition: sel\n",
			[]map[string]any{{"ParentImage": "a", "NewProcessName": "a"}},
			[]map[string]any{{"ParentImage": "a", "NewProcessName": "b"}, {"ParentImage": "a"}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			expr, err := Compile(decodeRule(t, tc.detection), testTarget)
			require.NoError(t, err)
			for _, ev := range tc.match {
				assert.True(t, eval(t, expr, ev), "%s should match %v", expr, ev)
			}
			for _, ev := range tc.noMatch {
				assert.False(t, eval(t, expr, ev), "%s should not match %v", expr, ev)
			}
		})
	}
}

func TestCompileRefuses(t *testing.T) {
	tests := []struct {
		name, detection, construct, pos string
	}{
		{"time modifier", "  sel:\n    Date|hour: 3\n  condition: sel\n", "modifier hour", "rule.yml:7:10"},
		{"condition syntax, placed in the file", "  sel:\n    A: x\n  condition: sel and\n", "condition", "rule.yml:8:"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Compile(decodeRule(t, tc.detection), testTarget)
			var e *Error
			require.ErrorAs(t, err, &e)
			assert.Equal(t, tc.construct, e.Construct)
			assert.True(t, strings.HasPrefix(err.Error(), tc.pos), "%v should be at %s", err, tc.pos)
			assert.Contains(t, err.Error(), tc.construct)
		})
	}
}

func TestSelector(t *testing.T) {
	target := mapping.Target{LogSource: "WinEventLog:Sysmon", EventCodes: []int{12, 13},
		Conditions: map[string][]string{"EventType": {"CreateKey"}}}
	expr := Selector(target)
	assert.Equal(t, `event.log_source == 'WinEventLog:Sysmon' && has(event.EventCode) && event.EventCode in [12, 13] && has(event.EventType) && event.EventType.lowerAscii() in ['createkey']`, expr)
	assert.True(t, eval(t, expr, map[string]any{"log_source": "WinEventLog:Sysmon", "EventCode": 12.0, "EventType": "createKey"}))
	for i, ev := range []map[string]any{
		{"log_source": "WinEventLog:Sysmon", "EventCode": int64(1), "EventType": "CreateKey"},
		{"log_source": "WinEventLog:Security", "EventCode": int64(12), "EventType": "CreateKey"},
		{"log_source": "WinEventLog:Sysmon", "EventCode": int64(12)},
	} {
		assert.False(t, eval(t, expr, ev), fmt.Sprint(i))
	}
}
