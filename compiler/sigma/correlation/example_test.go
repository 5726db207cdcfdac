package correlation_test

import (
	"fmt"

	"github.com/stixcel/stixcel/compiler/sigma"
	"github.com/stixcel/stixcel/compiler/sigma/correlation"
	"github.com/stixcel/stixcel/plan"
)

// A correlation rule decoded and built over the plan of the rule it references.
func Example() {
	rules, _ := sigma.Decode("mr_brute_force.yml", []byte(`title: Many failed logons
correlation:
    type: event_count
    rules: [failed_logon]
    group-by: [TargetUserName]
    timespan: 10m
    condition: {gte: 10}
`))
	c, diags := correlation.Decode(rules[0])
	if diags.HasErrors() {
		fmt.Println(diags)
		return
	}
	failed := &plan.Plan{ID: "failed_logon", Kind: plan.KindDetection, Channels: []*plan.Channel{
		{ID: "c1", LogSource: "WinEventLog:Security", Selector: "event.EventCode == 4625"},
	}}
	p, err := correlation.Build(c, func(ref string) (*correlation.Base, bool) {
		return &correlation.Base{Plan: failed}, ref == "failed_logon"
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(correlation.Referenced(c), correlation.Generates(c))
	fmt.Println(p.Correlation.GroupBy, p.Correlation.WindowLiteral, p.Correlation.Condition)
	fmt.Println(p.Channels[0].ID, p.Channels[0].Channel, "|", p.Channels[0].Predicate)
	// Output:
	// [failed_logon] false
	// [TargetUserName] 10m (channels.c1.count) >= 10
	// c1 rule failed_logon | has(event.TargetUserName) && event.TargetUserName != null
}
