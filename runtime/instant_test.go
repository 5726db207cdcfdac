package runtime

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/stixcel/stixcel/plan"
)

// instantPlan alerts when a device's window holds one or two VPN sessions and the mean of
// their ports is above 1000: a condition that adding a match can make false again.
func instantPlan() *plan.Set {
	return &plan.Set{Schema: plan.Schema, Plans: []*plan.Plan{{
		ID: "AN-INSTANT", Name: "instant", Kind: plan.KindDetection,
		Channels: []*plan.Channel{{ID: "c1", LogSource: "VPN:MobileProxy", Selector: `event.log_source == "VPN:MobileProxy"`,
			SeriesBy: []string{"dst_port"}, Origin: plan.OriginBound}},
		Correlation: plan.Correlation{GroupBy: []string{"device_id"}, WindowLiteral: "1m",
			Condition: "channels.c1.count <= 2 && avg([channels.c1]) > 1000.0"},
	}}}
}

// TestConditionPerInstant: the condition is evaluated once a group's matches at one time
// are all in, so events of equal time give the same alerts in either order, and a state
// that held only between two of them raises none.
func TestConditionPerInstant(t *testing.T) {
	for _, tc := range []struct {
		name  string
		ports []int64 // sessions of ios-1, all at 0s, in arrival order
		want  []string
	}{
		{"high port first: 4444 then 80 at one time", []int64{4444, 80}, []string{"ios-1 c1=2"}},
		{"low port first", []int64{80, 4444}, []string{"ios-1 c1=2"}},
		{"a third session at the same time breaks the count", []int64{4444, 8080, 80}, []string{}},
		{"two low ports", []int64{80, 443}, []string{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, workers := range []int{1, 2} {
				var s stream
				for _, port := range tc.ports {
					s.session(0, "ios-1", "tls", port, "h.example.net")
				}
				s.locked(2*time.Minute, "ios-2") // moves the watermark past the window
				outs, _ := run(t, instantPlan(), s.events, WithWorkers(workers))
				assert.Equal(t, tc.want, summarize(outs), "%d workers", workers)
			}
		})
	}
}
