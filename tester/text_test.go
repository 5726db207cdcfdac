package tester

import (
	"math"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/stixcel/stixcel/runtime"
)

// TestAlertText: an alert on one line, its group with sorted keys (a value JSON cannot
// encode quoted as Go prints it), in UTC, with each channel's count.
func TestAlertText(t *testing.T) {
	at := time.Date(2026, 3, 20, 10, 0, 0, 0, time.FixedZone("CET", 3600))
	tests := []struct {
		name  string
		alert *runtime.Alert
		want  string
	}{
		{name: "no group, no channels", alert: &runtime.Alert{Analytic: "AN1", Group: map[string]any{}, FirstSeen: at, LastSeen: at},
			want: "AN1 group {} first 2026-03-20T09:00:00Z last 2026-03-20T09:00:00Z"},
		{name: "sorted group and channels", alert: &runtime.Alert{Analytic: "AN1828", Group: map[string]any{"z": nil, "device_id": "ios-1", "n": math.Inf(1)},
			FirstSeen: at, LastSeen: at.Add(40 * time.Second), Channels: []runtime.AlertChannel{{ID: "c1", Count: 1}, {ID: "c4", Count: 2}}},
			want: `AN1828 group {"device_id": "ios-1", "n": "+Inf", "z": null} first 2026-03-20T09:00:00Z last 2026-03-20T09:00:40Z channels c1=1 c4=2`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.want, AlertText(tc.alert))
		})
	}
}
