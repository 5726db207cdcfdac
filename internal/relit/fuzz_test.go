package relit

import (
	"regexp"
	"testing"
)

// FuzzMatchString compares MatchString with the regexp on arbitrary patterns and subjects.
func FuzzMatchString(f *testing.F) {
	seeds := []struct{ pattern, subject string }{
		{`(?i)\\mofcomp\.exe$`, `C:\Windows\System32\wbem\MOFCOMP.EXE`},
		{`(?i)^0x1438$`, `0X1438`},
		{`(?i)\\(wmiprvse|scrcons)\.exe$`, "c:\\\u017fcrcons.exe"},
		{`(?i)^c:\\(users\\|programdata\\)`, `C:\Users\x`},
		{`(?i)(\\users\\|\\programdata\\)[^"]*\.mof\b`, `mofcomp C:\users\a.mof`},
		{`(?i)k`, "\u212a"},
		{`[kK]x|a|`, "\xff"},
		{`^(a|)$`, ``},
		{`(?m)^ab$`, "x\nab"},
		{`\bab\B`, "abc"},
		{`(?i)a(?-i)b$`, "AB"},
		{`^[a-c]{2}\d+x?$`, "ab12"},
	}
	for _, s := range seeds {
		f.Add(s.pattern, s.subject)
	}
	f.Fuzz(func(t *testing.T, pattern, subject string) {
		re, err := regexp.Compile(pattern)
		if err != nil {
			return
		}
		m, err := Compile(pattern)
		if err != nil {
			t.Fatalf("regexp compiles %q, relit does not: %v", pattern, err)
		}
		if got, want := m.MatchString(subject), re.MatchString(subject); got != want {
			t.Fatalf("pattern %q (%s), subject %q: relit %v, regexp %v", pattern, m.describe(), subject, got, want)
		}
	})
}
