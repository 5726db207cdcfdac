package runtime

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

const (
	second = time.Second
	minute = time.Minute
)

func TestAN1828(t *testing.T) {
	tests := []struct {
		name    string
		params  map[string]any
		events  func(s *stream)
		want    []string // summarize() lines
		wantErr map[string]int64
	}{
		// c1 and the window edges (c4 as the corroborating signal).
		{name: "c1 with c4 just inside the window", events: func(s *stream) {
			s.locked(0, "ios-1")
			s.beacon(10*minute, "ios-1")
		}, want: []string{"ios-1 c1=1 c2=1 c4=1"}},
		{name: "c1 with c4 just outside the window", events: func(s *stream) {
			s.locked(0, "ios-1")
			s.beacon(10*minute+second, "ios-1")
		}, want: []string{}},
		{name: "c4 after c1 inside the window", events: func(s *stream) {
			s.beacon(0, "ios-1")
			s.locked(10*minute, "ios-1")
		}, want: []string{"ios-1 c1=1 c2=1 c4=1"}},
		{name: "c1 alone", events: func(s *stream) {
			s.beacon(0, "ios-1")
		}, want: []string{}},
		{name: "c4 alone", events: func(s *stream) {
			s.locked(0, "ios-1")
			s.session(second, "ios-1", "tls", 443, "mail.example.com")
		}, want: []string{}},
		{name: "c1 on each protocol's odd port", events: func(s *stream) {
			s.locked(0, "ios-1")
			s.session(1*second, "ios-1", "http", 8081, "a.example")
			s.session(2*second, "ios-1", "websocket", 8443, "a.example")
			s.session(3*second, "ios-1", "quic", 4433, "a.example")
			s.session(4*second, "ios-1", "ssh", 22, "a.example") // no approved set for ssh: not c1
		}, want: []string{"ios-1 c1=3 c2=3 c4=1"}},

		// c2: recurrence per app and destination, within BeaconIntervalTolerance (5s).
		{name: "c2 stable beacon", events: func(s *stream) {
			s.beacon(0, "ios-1")
			s.beacon(60*second, "ios-1")
			s.beacon(122*second, "ios-1")
		}, want: []string{"ios-1 c1=3 c2=3"}},
		{name: "c2 interval drift at the tolerance", events: func(s *stream) {
			s.beacon(0, "ios-1")
			s.beacon(60*second, "ios-1")
			s.beacon(130*second, "ios-1") // intervals 60s, 70s: mean 65s, each 5s off
		}, want: []string{"ios-1 c1=3 c2=3"}},
		{name: "c2 interval drift beyond the tolerance", events: func(s *stream) {
			s.beacon(0, "ios-1")
			s.beacon(60*second, "ios-1")
			s.beacon(132*second, "ios-1")
		}, want: []string{}},
		{name: "c2 regular sessions to different hosts are no beacon", events: func(s *stream) {
			s.session(0, "ios-1", "tls", 4444, "a.example")
			s.session(60*second, "ios-1", "tls", 4444, "b.example")
			s.session(120*second, "ios-1", "tls", 4444, "c.example")
		}, want: []string{}},

		// c3: baselines apply only when set.
		{name: "c3 app outside AllowedManagedApps", params: map[string]any{"AllowedManagedApps": []any{"com.example.mail"}},
			events: func(s *stream) { s.beacon(0, "ios-1") }, want: []string{"ios-1 c1=1 c2=1 c3=1"}},
		{name: "c3 app inside AllowedManagedApps", params: map[string]any{"AllowedManagedApps": []any{"com.example.flashlight"}},
			events: func(s *stream) { s.beacon(0, "ios-1") }, want: []string{}},
		{name: "c3 service class outside AllowedServiceClasses", params: map[string]any{"AllowedServiceClasses": []any{"email"}},
			events: func(s *stream) { s.beacon(0, "ios-1") }, want: []string{"ios-1 c1=1 c2=1 c3=1"}},

		// c5: LastUserInteractionDelta (seconds) against RecentUserInteractionWindow (5m).
		{name: "c5 no interaction for longer than the window", events: func(s *stream) {
			s.edr(0, "ios-1", "unlocked", 301, "user_interaction")
			s.beacon(second, "ios-1")
		}, want: []string{"ios-1 c1=1 c2=1 c5=1"}},
		{name: "c5 interaction exactly at the window", events: func(s *stream) {
			s.edr(0, "ios-1", "unlocked", 300, "user_interaction")
			s.beacon(second, "ios-1")
		}, want: []string{}},
		{name: "c5 with a shorter window", params: map[string]any{"RecentUserInteractionWindow": "1m"}, events: func(s *stream) {
			s.edr(0, "ios-1", "unlocked", 61, "user_interaction")
			s.beacon(second, "ios-1")
		}, want: []string{"ios-1 c1=1 c2=1 c5=1"}},

		// c6: MDM state.
		{name: "c6 unmanaged app", events: func(s *stream) {
			s.mdm(0, "ios-1", false, true)
			s.beacon(second, "ios-1")
		}, want: []string{"ios-1 c1=1 c2=1 c6=1"}},
		{name: "c6 unsupervised device", events: func(s *stream) {
			s.mdm(0, "ios-1", true, false)
			s.beacon(second, "ios-1")
		}, want: []string{"ios-1 c1=1 c2=1 c6=1"}},
		{name: "c6 unsupervised device when supervision is not required", params: map[string]any{"SupervisedRequired": false},
			events: func(s *stream) {
				s.mdm(0, "ios-1", true, false)
				s.beacon(second, "ios-1")
			}, want: []string{}},

		// c7: background activity.
		{name: "c7 background task", events: func(s *stream) {
			s.edr(0, "ios-1", "unlocked", 5, "background_task")
			s.beacon(second, "ios-1")
		}, want: []string{"ios-1 c1=1 c2=1 c7=1"}},
		{name: "c7 user activity", events: func(s *stream) {
			s.edr(0, "ios-1", "unlocked", 5, "user_interaction")
			s.beacon(second, "ios-1")
		}, want: []string{}},

		// Groups, windows and parameters.
		{name: "two devices do not mix", events: func(s *stream) {
			s.locked(0, "ios-1")
			s.beacon(second, "ios-2")
			s.mdm(2*second, "ios-1", false, false)
		}, want: []string{}},
		{name: "one alert per window, a second in a later window", events: func(s *stream) {
			s.locked(0, "ios-1")
			for i := range 9 {
				s.beacon(time.Duration(i)*minute+second, "ios-1") // all before the alert closes at 10m1s
			}
			s.beacon(10*minute+second, "ios-1") // the close itself still counts
			s.beacon(12*minute, "ios-1")        // new window, no corroboration yet
			s.locked(13*minute, "ios-1")
			s.beacon(14*minute, "ios-1")
		}, want: []string{"ios-1 c1=10 c2=10 c4=1", "ios-1 c1=2 c2=2 c4=1"}},
		{name: "alerts of two devices in close order", events: func(s *stream) {
			s.locked(0, "ios-2")
			s.beacon(second, "ios-2")
			s.locked(2*second, "ios-1")
			s.beacon(3*second, "ios-1")
		}, want: []string{"ios-2 c1=1 c2=1 c4=1", "ios-1 c1=1 c2=1 c4=1"}},
		{name: "enterprise exception host", params: map[string]any{"EnterpriseExceptionList": []any{"c2.example.net"}},
			events: func(s *stream) {
				s.locked(0, "ios-1")
				s.beacon(second, "ios-1")
				s.beacon(61*second, "ios-1")
				s.beacon(121*second, "ios-1")
			}, want: []string{}},
		{name: "approved port", params: map[string]any{"AllowedProtocolPortMappings": map[string]any{"tls": []any{443, 4444}}},
			events: func(s *stream) {
				s.locked(0, "ios-1")
				s.beacon(second, "ios-1")
			}, want: []string{}},
		{name: "longer TimeWindow", params: map[string]any{"TimeWindow": "20m"}, events: func(s *stream) {
			s.locked(0, "ios-1")
			s.beacon(15*minute, "ios-1")
		}, want: []string{"ios-1 c1=1 c2=1 c4=1"}},
		{name: "missing protocol field", events: func(s *stream) {
			s.locked(0, "ios-1")
			s.add(second, "VPN:MobileProxy", map[string]any{"device_id": "ios-1", "dst_port": int64(4444), "dst_host": "x"})
			// The binding tests has(event.protocol) first: no match, and no error.
		}, want: []string{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			set := loadAN1828(t, tc.params)
			if w, ok := tc.params["TimeWindow"]; ok {
				set.Plans[0].Correlation.WindowLiteral = w.(string)
			}
			var s stream
			tc.events(&s)
			out, stats := run(t, set, s.events)
			assert.Equal(t, tc.want, summarize(out), "alerts")
			gotErr := map[string]int64{}
			for _, e := range stats.ErrorsBy {
				assert.Equal(t, "AN1828", e.Analytic)
				gotErr[e.Channel] = e.Count
			}
			if tc.wantErr == nil {
				tc.wantErr = map[string]int64{}
			}
			assert.Equal(t, tc.wantErr, gotErr, "eval errors")
		})
	}
}
