package sigma

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// ruleWith is a rule whose one search holds the given field items, each on its own line
// from line 5, indented by 8 (so a key starts at column 9).
func ruleWith(items ...string) string {
	src := "title: t\nlogsource:\n    product: windows\ndetection:\n"
	src += "    sel:\n"
	for _, item := range items {
		src += "        " + item + "\n"
	}
	return src + "    condition: sel\n"
}

func TestParsePattern(t *testing.T) {
	lit := func(s string) Segment { return Segment{Kind: SegLiteral, Text: s} }
	star, one := Segment{Kind: SegAnyString}, Segment{Kind: SegAnyChar}
	for _, tc := range []struct {
		raw  string
		want []Segment
	}{
		{`prog?.exe`, []Segment{lit("prog"), one, lit(".exe")}},
		{`antivirus_V*.exe`, []Segment{lit("antivirus_V"), star, lit(".exe")}},
		{`C:\Windows\x`, []Segment{lit(`C:\Windows\x`)}}, // a plain backslash is itself
		{`C:\\Windows`, []Segment{lit(`C:\Windows`)}},    // ... and may be doubled
		{`\*`, []Segment{lit(`*`)}},                      // an escaped wildcard is plain
		{`\?`, []Segment{lit(`?`)}},                      //
		{`\\*`, []Segment{lit(`\`), star}},               // a backslash, then a wildcard
		{`\\\*`, []Segment{lit(`\*`)}},                   // both plain
		{`\\\\`, []Segment{lit(`\\`)}},                   // four are two
		{`\\\`, []Segment{lit(`\\`)}},                    // three are two
		{`*\cmd.exe`, []Segment{star, lit(`\cmd.exe`)}},  //
		{``, nil}, //
		{`a**b`, []Segment{lit("a"), star, star, lit("b")}}, //
	} {
		t.Run(tc.raw, func(t *testing.T) {
			assert.Equal(t, tc.want, ParsePattern(tc.raw))
		})
	}
}

func TestEncodeSpecExamples(t *testing.T) {
	for _, tc := range []struct {
		modifier, text string
		want           []string
	}{
		// The appendix's examples for the UTF-16 encodings.
		{"utf16le", "cmd", []string{"\x63\x00\x6d\x00\x64\x00"}},
		{"wide", "cmd", []string{"\x63\x00\x6d\x00\x64\x00"}},
		{"utf16be", "cmd", []string{"\x00\x63\x00\x6d\x00\x64"}},
		{"utf16", "cmd", []string{"\xff\xfe\x63\x00\x6d\x00\x64\x00"}},
		{"base64", "cmd", []string{"Y21k"}},
		// base64offset's three shifts, as SigmaHQ's rules and pySigma have them.
		{"base64offset", "/bin/bash", []string{"L2Jpbi9iYXNo", "9iaW4vYmFza", "vYmluL2Jhc2"}},
		{"base64offset", "\x63\x00\x6d\x00\x64\x00", []string{"YwBtAGQA", "MAbQBkA", "jAG0AZA"}},
	} {
		t.Run(tc.modifier+" "+tc.text, func(t *testing.T) {
			assert.Equal(t, tc.want, Encode(tc.modifier, tc.text))
		})
	}
}

func TestExpand(t *testing.T) {
	for _, tc := range []struct {
		item string
		want []string // the Raw of each value after Expand
	}{
		{`CommandLine|contains: 'evil'`, []string{"*evil*"}},
		{`CommandLine|contains: '*evil'`, []string{"*evil*"}},
		{`Image|endswith: '\cmd.exe'`, []string{`*\cmd.exe`}},
		{`Image|startswith: 'C:\Temp\'`, []string{`C:\Temp\\*`}},
		{`CommandLine|windash: '-exec'`, []string{"-exec", "/exec", "–exec", "—exec", "―exec"}},
		{`CommandLine|windash|contains: ' -a /b'`, func() []string {
			var out []string
			for _, b := range []string{"/", "-", "–", "—", "―"} {
				for _, a := range []string{"-", "/", "–", "—", "―"} {
					out = append(out, fmt.Sprintf("* %sa %sb*", a, b))
				}
			}
			return out
		}()},
		{`CommandLine|base64: 'cmd'`, []string{"Y21k"}},
		{`CommandLine|base64offset|contains: '/bin/bash'`, []string{"*L2Jpbi9iYXNo*", "*9iaW4vYmFza*", "*vYmluL2Jhc2*"}},
		{`CommandLine|wide|base64offset|contains: 'cmd'`, []string{"*YwBtAGQA*", "*MAbQBkA*", "*jAG0AZA*"}},
		{`CommandLine|re: '^a.*b$'`, []string{"^a.*b$"}},
		{`Count|gt: 10`, []string{"10"}},
		{`CommandLine|contains: 42`, []string{"*42*"}},
	} {
		t.Run(tc.item, func(t *testing.T) {
			r := decodeOne(t, ruleWith(tc.item))
			got, err := r.Detection.Searches[0].Groups[0][0].Expand()
			require.NoError(t, err)
			raws := make([]string, len(got))
			for i, v := range got {
				raws[i] = v.Raw
			}
			assert.Equal(t, tc.want, raws)
		})
	}
}

func TestExpandErrors(t *testing.T) {
	for _, tc := range []struct{ item, want string }{
		{`CommandLine|base64: 'a*b'`, `rule.yml:6:29: field "CommandLine|base64" of search "sel": base64 cannot encode a value with wildcards ("a*b")`},
		{`CommandLine|contains|base64: 'ab'`, `rule.yml:6:38: field "CommandLine|contains|base64" of search "sel": base64 cannot encode a value with wildcards ("*ab*")`},
		{`CommandLine|windash: '-a-b-c-d-e-f'`, `rule.yml:6:30: field "CommandLine|windash" of search "sel": windash expands into more than 4096 values`},
	} {
		t.Run(tc.item, func(t *testing.T) {
			r := decodeOne(t, ruleWith(tc.item))
			_, err := r.Detection.Searches[0].Groups[0][0].Expand()
			require.Error(t, err)
			assert.Equal(t, tc.want, err.Error())
		})
	}
}

func TestModifiersAccepted(t *testing.T) {
	for _, item := range []string{
		`CommandLine|contains|all: ['a', 'b']`,
		`CommandLine|re|i|m|s: 'a.b'`,
		`CommandLine|cased: 'Abc'`,
		`CommandLine|neq: 'x'`,
		`DestinationIp|cidr: ['10.0.0.0/8', 'fe80::/10']`,
		`PasswordLastSet|exists: false`,
		`Count|gte: 1.5`,
		`Time|hour|lt: 6`,
		`User|expand: '%Administrators%'`,
		`TargetUser|fieldref: SourceUser`,
		`TargetUser|fieldref|neq: SourceUser`,
		`TargetUser|fieldref|endswith: SourceUser`,
		`CommandLine|utf16le|base64offset|contains: 'cmd'`,
		`'|all': ['a', 'b']`,
	} {
		t.Run(item, func(t *testing.T) { decodeOne(t, ruleWith(item)) })
	}
}

func TestModifierErrors(t *testing.T) {
	for _, tc := range []struct{ item, want string }{
		{`CommandLine|contians: x`, `rule.yml:6:21: error: field "CommandLine|contians" of search "sel": unknown value modifier "contians"`},
		{`CommandLine||contains: x`, `rule.yml:6:21: error: field "CommandLine||contains" of search "sel": empty value modifier (two | in a row, or a trailing |)`},
		{`CommandLine|contains|contains: x`, `rule.yml:6:30: error: field "CommandLine|contains|contains" of search "sel": modifier "contains" given twice`},
		{`CommandLine|i: x`, `rule.yml:6:21: error: field "CommandLine|i" of search "sel": regular expression flag "i" must follow the re modifier`},
		{`CommandLine|re|all|i: [x, y]`, `rule.yml:6:28: error: field "CommandLine|re|all|i" of search "sel": regular expression flag "i" must follow re or another flag directly`},
		{`CommandLine|contains|endswith: x`, `rule.yml:6:30: error: field "CommandLine|contains|endswith" of search "sel": modifier "endswith" cannot follow "contains": contains, startswith and endswith exclude each other`},
		{`CommandLine|re|contains: x`, `rule.yml:6:24: error: field "CommandLine|re|contains" of search "sel": modifier "contains" cannot follow "re": a regular expression places itself`},
		{`CommandLine|exists|contains: true`, `rule.yml:6:28: error: field "CommandLine|exists|contains" of search "sel": modifier "contains" cannot follow "exists": exists stands alone`},
		{`CommandLine|gt|lt: 3`, `rule.yml:6:24: error: field "CommandLine|gt|lt" of search "sel": modifier "lt" cannot follow "gt": lt, lte, gt and gte exclude each other`},
		{`CommandLine|base64offset: x`, `rule.yml:6:21: error: field "CommandLine|base64offset" of search "sel": base64offset yields the middle of an encoded value, so contains must follow it`},
		{`CommandLine|base64|wide: x`, `rule.yml:6:28: error: field "CommandLine|base64|wide" of search "sel": wide must come before the base64 encoding it feeds`},
		{`CommandLine|all: x`, `rule.yml:6:21: error: field "CommandLine|all" of search "sel": all needs a list of two or more values`},
		{`Field|exists: yes`, `rule.yml:6:23: error: field "Field|exists" of search "sel": exists takes true or false, not string "yes"`},
		{`Field|exists: [true, false]`, `rule.yml:6:9: error: field "Field|exists" of search "sel": exists takes one value, true or false`},
		{`Field|gt: ten`, `rule.yml:6:19: error: field "Field|gt" of search "sel": gt compares numbers, not string "ten"`},
		{`Field|hour: '6'`, `rule.yml:6:21: error: field "Field|hour" of search "sel": hour compares numbers, not string "6"`},
		{`Ip|cidr: 10.0.0.0/33`, `rule.yml:6:18: error: field "Ip|cidr" of search "sel": cidr needs a network such as 10.0.0.0/8, not "10.0.0.0/33"`},
		{`Ip|cidr: [10.0.0.0/8, 10.0.0.1]`, `rule.yml:6:31: error: field "Ip|cidr" of search "sel": cidr needs a network such as 10.0.0.0/8, not "10.0.0.1"`},
		{`CommandLine|re: 'a(b'`, `rule.yml:6:25: error: field "CommandLine|re" of search "sel": invalid regular expression: error parsing regexp: missing closing ): ` + "`a(b`"},
		{`User|expand: admin`, `rule.yml:6:22: error: field "User|expand" of search "sel": expand needs a %placeholder% in "admin"`},
		{`CommandLine|contains: true`, `rule.yml:6:31: error: field "CommandLine|contains" of search "sel": contains applies to strings, not boolean`},
		{`Field|contains: null`, `rule.yml:6:25: error: field "Field|contains" of search "sel": null takes no modifier`},
		{`Field: ['', null]`, `rule.yml:6:21: error: field "Field" of search "sel": null cannot be part of a list of values; use a search of its own`},
		{`'|exists': true`, `rule.yml:6:11: error: field "|exists" of search "sel": modifier "exists" needs a field name`},
	} {
		t.Run(tc.item, func(t *testing.T) {
			_, ds := Decode("rule.yml", []byte(ruleWith(tc.item)))
			require.Len(t, ds, 1, "%v", ds)
			assert.Equal(t, tc.want, ds[0].Error())
		})
	}
}
