package relit

import (
	"regexp"
	"testing"
)

// typicalPatterns are the pack's usual shapes.
var typicalPatterns = []struct{ name, pattern string }{
	{"suffix", `(?i)\\mofcomp\.exe$`},
	{"equal", `(?i)^0x1438$`},
	{"suffix_alt", `(?i)\\(wmiprvse|scrcons)\.exe$`},
	{"prefix_alt", `(?i)^c:\\(users\\|programdata\\)`},
	{"prefilter", `(?i)(\\users\\|\\programdata\\|\\appdata\\)[^"]*\.mof\b`},
}

// benchSubjects are event fields as the runtime sees them; most match none of the patterns.
var benchSubjects = []string{
	`C:\Windows\System32\svchost.exe`,
	`C:\Windows\System32\wbem\WmiPrvSE.exe`,
	`C:\Windows\System32\wbem\mofcomp.exe`,
	`C:\Windows\System32\WindowsPowerShell\v1.0\powershell.exe`,
	`C:\Program Files\Microsoft Office\root\Office16\WINWORD.EXE`,
	`C:\Program Files (x86)\Google\Chrome\Application\chrome.exe`,
	`C:\Users\alice\AppData\Local\Temp\evil.exe`,
	`C:\ProgramData\x\payload.dll`,
	`C:\Windows\explorer.exe`,
	`0x1438`, `0x1410`, `0x1FFFFF`, `0x1000`,
	`"C:\Windows\system32\cmd.exe" /c tasklist /v`,
	`powershell.exe -nop -w hidden -enc SQBFAFgAIAAoAE4AZQB3AC0ATwBiAGoAZQBjAHQAIABOAGUAdAAuAFcAZQBiAEMAbABpAGUAbgB0ACkA`,
	`mofcomp.exe C:\Users\bob\Desktop\evil.mof`,
	`C:\Windows\system32\svchost.exe -k netsvcs -p -s Schedule`,
	`\REGISTRY\MACHINE\SOFTWARE\Microsoft\Windows\CurrentVersion\Run\Updater`,
	`C:\Windows\System32\RuntimeBroker.exe -Embedding`,
	`C:\Windows\System32\conhost.exe 0xffffffff -ForceV1`,
}

// BenchmarkMatchString runs each typical pattern over all bench subjects, with relit and
// with the regexp; ns/op is per subject.
func BenchmarkMatchString(b *testing.B) {
	for _, p := range typicalPatterns {
		m := MustCompile(p.pattern)
		re := regexp.MustCompile(p.pattern)
		b.Run(p.name+"/relit", func(b *testing.B) { benchMatch(b, m.MatchString) })
		b.Run(p.name+"/regexp", func(b *testing.B) { benchMatch(b, re.MatchString) })
	}
}

// benchMatch times match over the bench subjects in turn.
func benchMatch(b *testing.B, match func(string) bool) {
	b.ReportAllocs()
	n := 0
	for i := 0; b.Loop(); i++ {
		if match(benchSubjects[i%len(benchSubjects)]) {
			n++
		}
	}
	b.ReportMetric(float64(n)/float64(b.N), "matches/op")
}
