package sigma

import "testing"

// FuzzDecode checks that no input makes Decode panic, and that a file without rules says
// why.
func FuzzDecode(f *testing.F) {
	f.Add(whoami)
	f.Add(ruleWith(`CommandLine|windash|contains|all: [' -a', '/b']`))
	f.Add(ruleWith(`CommandLine|wide|base64offset|contains: 'cmd'`))
	f.Add("action: global\ntitle: t\n---\nlogsource: {}\ndetection: {a: b, condition: a}\n---\naction: repeat\n")
	f.Fuzz(func(t *testing.T, src string) {
		rules, ds := Decode("f.yml", []byte(src))
		if len(rules) == 0 && len(ds) == 0 {
			t.Fatal("no rule and no diagnostic")
		}
		for _, r := range rules {
			if r.Detection == nil {
				continue
			}
			for _, s := range r.Detection.Searches {
				for _, g := range s.Groups {
					for _, m := range g {
						_, _ = m.Expand()
					}
				}
			}
		}
	})
}
