package runtime

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/stixcel/stixcel/plan"
)

// aliasPlan groups VPN sessions by dst_ip and EDR records by their peer_ip under one name,
// "ip": a channel that reads the group from its own fields (plan.Channel.GroupBy).
func aliasPlan() *plan.Set {
	return &plan.Set{Schema: plan.Schema, Plans: []*plan.Plan{{
		ID: "AN-ALIAS", Name: "alias", Kind: plan.KindDetection,
		Channels: []*plan.Channel{
			{ID: "c1", LogSource: "VPN:MobileProxy", Selector: `event.log_source == "VPN:MobileProxy"`, GroupBy: []string{"dst_ip"}, Origin: plan.OriginBound},
			{ID: "c2", LogSource: "MobileEDR:telemetry", Selector: `event.log_source == "MobileEDR:telemetry"`, GroupBy: []string{"peer_ip"}, Origin: plan.OriginBound},
		},
		Correlation: plan.Correlation{GroupBy: []string{"ip"}, WindowLiteral: "1m", Condition: "c1 && c2"},
	}}}
}

// TestChannelGroupBy: each channel reads the group's values from its own fields, with any
// number of workers, and serve's stage 1 keys such a plan's matches to one partition.
func TestChannelGroupBy(t *testing.T) {
	var s stream
	s.add(0, "VPN:MobileProxy", map[string]any{"dst_ip": "203.0.113.7", "peer_ip": "198.51.100.1"})
	s.add(time.Second, "MobileEDR:telemetry", map[string]any{"peer_ip": "198.51.100.1", "dst_ip": "203.0.113.7"})
	s.add(2*time.Second, "MobileEDR:telemetry", map[string]any{"peer_ip": "203.0.113.7"})
	for _, workers := range []int{1, 3} {
		outs, _ := run(t, aliasPlan(), s.events, WithWorkers(workers))
		require.Len(t, outs, 1, "%d workers", workers)
		a := outs[0].(*Alert)
		assert.Equal(t, map[string]any{"ip": "203.0.113.7"}, a.Group)
		assert.Equal(t, []string{"c1", "c2"}, []string{a.Channels[0].ID, a.Channels[1].ID})
		assert.Equal(t, t0.Add(2*time.Second), a.LastSeen)
	}
	eng, err := New(aliasPlan())
	require.NoError(t, err)
	var keys []uint64
	for _, ev := range s.events {
		ms, err := eng.Matches(ev, nil)
		require.NoError(t, err)
		require.Len(t, ms, 1)
		keys = append(keys, ms[0].Key)
	}
	assert.Equal(t, []uint64{keys[0], keys[0], keys[0]}, keys, "one partition for the plan")

	bad := aliasPlan()
	bad.Plans[0].Channels[1].GroupBy = []string{"a", "b"}
	_, err = New(bad)
	assert.ErrorContains(t, err, "analytic AN-ALIAS channel c2: group_by has 2 fields, the correlation's group_by 1")
}
