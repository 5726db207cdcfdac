package relit

import (
	"regexp"
	"strings"
	"testing"
	"unicode"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// requireSame checks that m answers as the regexp does for every subject.
func requireSame(t *testing.T, m *Matcher, subjects ...string) {
	t.Helper()
	want := regexp.MustCompile(m.String())
	for _, s := range subjects {
		require.Equal(t, want.MatchString(s), m.MatchString(s),
			"pattern %q (%s), subject %q", m.String(), m.describe(), s)
	}
}

func TestMatchStringTable(t *testing.T) {
	tests := []struct {
		name     string
		pattern  string
		describe string // prefix of describe(); "" to skip
		subjects []string
	}{
		{"equal fold", `(?i)^0x1438$`, "exact equal:", []string{"0x1438", "0X1438", "0x14380", "x0x1438", "", "0x143", "0x1438\n"}},
		{"equal exact", `^abc$`, "exact equal:", []string{"abc", "ABC", "abcd", "ab"}},
		{"equal \\A \\z", `\Aabc\z`, "exact equal:", []string{"abc", "abc\n", "xabc"}},
		{"prefix fold alternation", `(?i)^c:\\(users\\|programdata\\)`, "exact prefix:", []string{
			`C:\Users\bob\a.exe`, `c:\programdata\x`, `d:\users\`, `C:\Windows\`, `c:\user`, ``}},
		{"suffix fold", `(?i)\\mofcomp\.exe$`, "exact suffix:", []string{
			`C:\Windows\System32\wbem\mofcomp.exe`, `C:\X\MOFCOMP.EXE`, `mofcomp.exe`, `\mofcomp.exe.bak`, `\mofcompXexe`, "\\mofcomp.exe\n"}},
		{"suffix alternation", `(?i)\\(wmiprvse|scrcons)\.exe$`, "exact suffix:", []string{
			`C:\Windows\System32\wbem\WmiPrvSE.exe`, `c:\scrcons.exe`, `c:\scrcons.exe `, "c:\\\u017fcrcons.exe", "c:\\wmiprv\u017fe.exe", "c:\\wmiprvSe.exe"}},
		{"suffix char class", `(?i)\\(w|c)script\.exe$`, "exact suffix:", []string{`C:\cscript.exe`, `C:\WScript.exe`, `C:\xscript.exe`, "C:\\w\u017fcript.exe"}},
		{"suffix optional group", `(?i)\\(sam|system)(\.(save|bak))?$`, "exact suffix:", []string{`c:\sam`, `c:\SAM.save`, `c:\system.bak`, `c:\system.bak2`, `c:\sa`}},
		{"contains fold", `(?i)mimikatz`, "exact contains:", []string{"run MimiKatz.exe", "mimi katz", "MIMIKATZ", "mimikat", "mimi\u212aatz", "mimi\u212aatz mimikatz"}},
		{"contains exact", `needle`, "exact contains:", []string{"haystack needle", "NEEDLE", "needl"}},
		{"contains non-letters", `(?i)\\\\`, "exact contains:", []string{`\\srv\share`, `\srv`}},
		{"kelvin", `(?i)k`, "exact contains:", []string{"k", "K", "\u212a", "x\u212ay", "abc", "\u00e9"}},
		{"kelvin class", `[kK]`, "exact contains:", []string{"k", "K", "\u212a"}},
		{"kelvin class folded", `(?i)[k]x`, "exact contains:", []string{"kx", "KX", "\u212ax", "\u212a"}},
		{"long s", `(?i)^ss$`, "exact equal:", []string{"ss", "SS", "\u017fs", "s\u017f", "\u017f\u017f"}},
		{"kelvin window prefix", `(?i)^sk`, "exact prefix:", []string{"\u017f\u212a", "\u017fk" + strings.Repeat("x", 20), "sk\u212a", "x\u017f\u212a", strings.Repeat("x", 20) + "\u212a", "\u017f\u212a" + strings.Repeat("\u212a", 9)}},
		{"kelvin window suffix", `(?i)ks$`, "exact suffix:", []string{"\u212a\u017f", strings.Repeat("x", 20) + "\u212a\u017f", "\u212a" + strings.Repeat("x", 20), "\u212a\u017f\n", strings.Repeat("\u017f", 9) + "K\u017f"}},
		{"kelvin window equal", `(?i)^k$`, "exact equal:", []string{"\u212a", "\u212ax", "k", "\u212a\u212a"}},
		{"kelvin mixed positions", `(?i)^k|s$`, "exact prefix:", []string{"\u212axxxxxxxx", "xxxxxxxx\u017f", "xxxxxxxx\u212a", "\u017fxxxxxxxx"}},
		{"literal kelvin sign", `\x{212A}`, "exact contains:", []string{"\u212a", "k", "K"}},
		{"fold non-ASCII", `(?i)é`, "", []string{"é", "É", "e"}},
		{"non-ASCII exact", `^日本`, "exact prefix:", []string{"日本語", "本日", "\xff日本"}},
		{"invalid UTF-8 subjects", `(?i)\.exe$`, "exact suffix:", []string{"\xff.exe", "a.ex\xff", "\xff", ".EXE\xff", "\xe2\x84.exe"}},
		{"replacement char", `\x{FFFD}`, "", []string{"\xff", "\ufffd", "a"}},
		{"empty pattern", ``, "exact contains:", []string{"", "a", "\xff"}},
		{"empty text", `^$`, "exact equal:", []string{"", "a", "\n"}},
		{"caret only", `^`, "exact prefix:", []string{"", "a"}},
		{"dollar only", `$`, "exact suffix:", []string{"", "a"}},
		{"empty alternative", `a|`, "exact contains:", []string{"", "b", "a"}},
		{"anchored empty alternative", `^(a|)$`, "exact equal:", []string{"", "a", "aa", "b"}},
		{"impossible", `a^b`, "exact", []string{"ab", "a^b", "a"}},
		{"end then begin", `$^`, "exact equal:\"\"", []string{"", "a"}},
		{"multi-line", `(?m)^abc$`, "prefilter", []string{"abc", "x\nabc\ny", "xabc", "ABC"}},
		{"dot all", `(?s)a.b`, "", []string{"a\nb", "ab", "axb"}},
		{"word boundary", `(?i)\bvbscript:`, "prefilter contains:", []string{"mshta vbscript:Execute", "xvbscript:", "VBScript:", "vbscript"}},
		{"prefilter infix", `(?i)(\\users\\|\\programdata\\)[^"]*\.mof\b`, "prefilter contains:", []string{
			`mofcomp C:\Users\a\x.mof`, `mofcomp "C:\Users\a\x.mof"`, `C:\Users\a\x.mofx`, `C:\Windows\x.mof`}},
		{"prefilter prefix", `^abc\d+`, "prefilter prefix:", []string{"abc1", "abc", "xabc1"}},
		{"prefilter suffix", `(?i)\d+\.log$`, "prefilter suffix:", []string{"1.LOG", "a.log", "1.log\n"}},
		{"alternation prefilter", `(?i)\bget-process\b|\bgps\b\s*(\||$|-)`, "prefilter contains:", []string{"Get-Process", "gps | x", "gps", "get-processes", "xgps"}},
		{"repeat", `^(ab){2}$`, "exact equal:", []string{"abab", "ab", "ababab"}},
		{"repeat range", `^a{1,3}$`, "exact equal:", []string{"", "a", "aa", "aaa", "aaaa"}},
		{"star", `^ab*c$`, "prefilter", []string{"ac", "abbbc", "abd"}},
		{"non-greedy", `^a+?b??$`, "", []string{"a", "ab", "b", "aab"}},
		{"mixed fold fails", `(?i)a(?-i)b`, "", []string{"ab", "Ab", "aB"}},
		{"mixed fold alternation", `(?i:a)|b`, "exact contains:", []string{"A", "a", "B", "b"}},
		{"too many literals", `^[a-d][a-d][a-d][a-d]$`, "", []string{"abcd", "abce", "dddd"}},
		{"anchors in alternatives", `^a|b$|c`, "exact prefix:", []string{"a", "xa", "b", "bx", "xcx", "", "A"}},
		{"anchor or space", `(?i)(^|\s)-enc(\s|$)`, "exact", []string{"-enc x", "x -ENC", "x-enc", "x\t-enc\ty", "-encx", "-enc"}},
		{"anchor inside capture", `(?i)\\(cmd\.exe$|users\\)`, "exact suffix:", []string{`c:\cmd.exe`, `c:\users\x`, `c:\cmd.exe.x`}},
		{"text after end", `a$b|c`, "exact contains:\"c\"", []string{"a", "ab", "c", "a\nb"}},
		{"capture around anchors", `(^abc$)`, "exact equal:", []string{"abc", "xabc"}},
		{"hex escape", `(?i)/fi\s+['\x22]?imagename\s+eq\s`, "prefilter", []string{`tasklist /fi "imagename eq x.exe"`, "tasklist /FI IMAGENAME EQ x", "/fi imagename"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := Compile(tt.pattern)
			require.NoError(t, err)
			if tt.describe != "" {
				assert.True(t, strings.HasPrefix(m.describe(), tt.describe), "describe: %s", m.describe())
			}
			requireSame(t, m, tt.subjects...)
		})
	}
}

// TestTypicalPatternsTakeExactPath fails if the analysis stops recognising the pack's usual
// shapes.
func TestTypicalPatternsTakeExactPath(t *testing.T) {
	tests := []struct {
		pattern, describe string
	}{
		{`(?i)\\mofcomp\.exe$`, `exact suffix:"\\mofcomp.exe"/i`},
		{`(?i)^0x1438$`, `exact equal:"0x1438"/i`},
		{`(?i)\\(wmiprvse|scrcons)\.exe$`, `exact suffix:"\\wmiprvse.exe"/i suffix:"\\scrcons.exe"/i`},
		{`(?i)^c:\\(users\\|programdata\\)`, `exact prefix:"c:\\users\\"/i prefix:"c:\\programdata\\"/i`},
		{`(?i)\\(w|c)script\.exe$`, `exact suffix:"\\cscript.exe"/i suffix:"\\wscript.exe"/i`},
		{`(?i)(\\users\\|\\programdata\\|\\appdata\\)[^"]*\.mof\b`, `prefilter contains:"\\users\\"/i contains:"\\programdata\\"/i contains:"\\appdata\\"/i`},
		{`(?i)\\(cmd|pwsh)\.exe$|\\users\\`, `exact suffix:"\\cmd.exe"/i suffix:"\\pwsh.exe"/i contains:"\\users\\"/i`},
		// SigmaHQ's homoglyph rules: a non-ASCII letter under (?i) is each letter of its case orbit.
		{`(?is)ԝ`, `exact contains:"Ԝ" contains:"ԝ"`},
	}
	for _, tt := range tests {
		m, err := Compile(tt.pattern)
		require.NoError(t, err)
		assert.Equal(t, tt.describe, m.describe(), tt.pattern)
	}
}

func TestCompileError(t *testing.T) {
	_, err := Compile(`(?i)\\(unclosed`)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "relit: compiling")
	assert.Panics(t, func() { MustCompile(`[`) })
}

func TestRegexp(t *testing.T) {
	m := MustCompile(`(?i)^abc$`)
	require.NotNil(t, m.Regexp())
	assert.Equal(t, `(?i)^abc$`, m.Regexp().String())
}

// TestASCIIFoldOrbits checks the premise of the byte tests: the only non-ASCII runes that
// fold to ASCII are U+212A (k) and U+017F (s), and ASCII non-letters fold to nothing.
func TestASCIIFoldOrbits(t *testing.T) {
	for r := rune(0); r < 0x80; r++ {
		for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
			switch {
			case f < 0x80:
				assert.True(t, unicode.IsLetter(r), "ASCII %q folds to %q", r, f)
			case f == '\u212a':
				assert.Contains(t, "kK", string(r))
			case f == '\u017f':
				assert.Contains(t, "sS", string(r))
			default:
				t.Errorf("ASCII %q folds to non-ASCII %U", r, f)
			}
		}
	}
}

func TestIsASCII(t *testing.T) {
	for _, s := range []string{"", "a", "abcdefgh", "abcdefghi", "abcdefg\x80", "\x80bcdefghij", "abcdefghijklmno\xff"} {
		want := true
		for i := 0; i < len(s); i++ {
			want = want && s[i] < 0x80
		}
		assert.Equal(t, want, IsASCII(s), "%q", s)
	}
}

func TestFastPathDoesNotAllocate(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector makes sync.Pool drop items: the regexp behind a prefilter allocates")
	}
	subjects := []string{`C:\Windows\System32\svchost.exe`, `C:\Users\bob\AppData\x.exe`, "C:\\Us\u00e9rs\\\u212a.exe"}
	for _, p := range []string{`(?i)\\mofcomp\.exe$`, `(?i)^0x1438$`, `(?i)^c:\\(users\\|programdata\\)`, `(?i)mimikatz`, `(?i)(\\users\\|\\programdata\\)[^"]*\.mof\b`} {
		m := MustCompile(p)
		for _, s := range subjects {
			allocs := testing.AllocsPerRun(100, func() { m.MatchString(s) })
			assert.Zero(t, allocs, "%s on %q", p, s)
		}
	}
}

// TestRequired: the literals a match must hold, which the runtime's candidate index looks
// for in event fields before it evaluates a pattern; none when any subject may match.
func TestRequired(t *testing.T) {
	tests := []struct {
		pattern string
		want    []Literal
		ok      bool
	}{
		{pattern: `(?i)\\lsass\.exe$`, want: []Literal{{S: `\lsass.exe`, Fold: true}}, ok: true},
		{pattern: `^C:\\Windows`, want: []Literal{{S: `C:\Windows`}}, ok: true},
		{pattern: `cmd(\.exe)?$`, want: []Literal{{S: `cmd.exe`}, {S: `cmd`}}, ok: true},
		{pattern: `.*`},
		{pattern: `[a-z]+\d`, want: []Literal{{S: "0"}, {S: "1"}, {S: "2"}, {S: "3"}, {S: "4"}, {S: "5"}, {S: "6"}, {S: "7"}, {S: "8"}, {S: "9"}}, ok: true},
		{pattern: `[a-z]+`},
	}
	for _, tc := range tests {
		t.Run(tc.pattern, func(t *testing.T) {
			got, ok := MustCompile(tc.pattern).Required()
			assert.Equal(t, tc.ok, ok)
			if tc.ok {
				assert.ElementsMatch(t, tc.want, got)
			}
		})
	}
}
