package correlation

import (
	"testing"

	"github.com/stixcel/stixcel/compiler/sigma"
	"github.com/stixcel/stixcel/compiler/sigma/filter"
	"github.com/stixcel/stixcel/plan"
	"github.com/stixcel/stixcel/runtime"
)

// FuzzDecodeBuild checks that no correlation or filter body makes Decode, Build or Apply
// panic, that every diagnostic is inside the file, and that a plan Build returns from a
// correlation without errors loads in the runtime.
func FuzzDecodeBuild(f *testing.F) {
	for _, tc := range typeCases {
		f.Add(tc.rule)
	}
	for _, tc := range aliasCases {
		f.Add(tc.rule)
	}
	f.Add("title: f\nlogsource: {category: process_creation, product: windows}\nfilter:\n  rules: [failed_login]\n  sel: {User|startswith: adm_}\n  condition: not sel or 1 of s*\n")
	bases := basePlans()
	lookup := func(ref string) (*Base, bool) { b, ok := bases[ref]; return b, ok }
	f.Fuzz(func(t *testing.T, src string) {
		rules, _ := sigma.Decode("f.yml", []byte(src))
		lines := 1
		for _, c := range src {
			if c == '\n' {
				lines++
			}
		}
		for _, r := range rules {
			switch r.Kind {
			case sigma.KindCorrelation:
				c, diags := Decode(r)
				for _, d := range diags {
					if d.Pos.Line < 1 || d.Pos.Line > lines {
						t.Fatalf("diagnostic outside the file: %v", d)
					}
				}
				if diags.HasErrors() {
					continue
				}
				p, err := Build(c, lookup)
				if err != nil {
					continue
				}
				p.ID = "x"
				if _, err := runtime.New(&plan.Set{Schema: plan.Schema, Plans: []*plan.Plan{p}}); err != nil {
					t.Fatalf("the runtime refuses a built plan: %v\n%s", err, p.Correlation.Condition)
				}
			case sigma.KindFilter:
				fl, diags := filter.Decode(r)
				if diags.HasErrors() {
					continue
				}
				_, _ = filter.Apply(&sigma.Rule{Kind: sigma.KindRule, Name: fl.Rules[0], LogSource: r.LogSource,
					Detection: &sigma.Detection{Searches: fl.Detection.Searches[:1], Conditions: fl.Detection.Conditions}}, []*filter.Filter{fl})
			}
		}
	})
}
