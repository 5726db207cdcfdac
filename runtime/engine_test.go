package runtime

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/stixcel/stixcel/event"
	"github.com/stixcel/stixcel/plan"
)

func TestNewErrors(t *testing.T) {
	tests := []struct {
		name    string
		edit    func(p *plan.Plan)
		wantErr string
	}{
		{name: "undeclared param", edit: func(p *plan.Plan) {
			p.Channel("c3").Predicate = `event.app_bundle_id in params.AllowedManagedAps`
		}, wantErr: "analytic AN1828 channel c3: predicate: ERROR: <input>:1:30: undefined field 'AllowedManagedAps'"},
		{name: "syntax error in a selector", edit: func(p *plan.Plan) {
			p.Channel("c4").Selector = `event.DeviceLockState = "locked"`
		}, wantErr: "analytic AN1828 channel c4: selector:"},
		{name: "non-bool predicate", edit: func(p *plan.Plan) {
			p.Channel("c5").Predicate = `params.RecentUserInteractionWindow`
		}, wantErr: "analytic AN1828 channel c5: predicate: type google.protobuf.Duration, want bool"},
		{name: "condition names a missing channel", edit: func(p *plan.Plan) {
			p.Correlation.Condition = `c1 && c9`
		}, wantErr: "analytic AN1828: condition: ERROR: <input>:1:7: undeclared reference to 'c9'"},
		{name: "condition misuses a state function", edit: func(p *plan.Plan) {
			p.Correlation.Condition = `channels.c2.recurring(5)`
		}, wantErr: "analytic AN1828: condition: ERROR: <input>:1:22: found no matching overload for 'recurring'"},
		{name: "param value of the wrong type", edit: func(p *plan.Plan) {
			p.Param("BeaconIntervalTolerance").Value = 5
		}, wantErr: `analytic AN1828: param BeaconIntervalTolerance (duration): want duration such as "10m", got number 5`},
		{name: "unknown param type", edit: func(p *plan.Plan) {
			p.Param("SupervisedRequired").Type = plan.ParseType("boolean")
		}, wantErr: `analytic AN1828: param SupervisedRequired (boolean): unknown type "boolean"`},
		{name: "condition without a window", edit: func(p *plan.Plan) {
			p.Correlation.WindowLiteral, p.Correlation.WindowParam = "", ""
		}, wantErr: "analytic AN1828: correlation: a condition needs a window"},
		{name: "bad window", edit: func(p *plan.Plan) {
			p.Correlation.WindowLiteral = "ten minutes"
		}, wantErr: `analytic AN1828: correlation window: want duration such as "10m", got "ten minutes"`},
		{name: "unknown kind", edit: func(p *plan.Plan) {
			p.Kind = "alerting"
		}, wantErr: `analytic AN1828: unknown kind "alerting"`},
		{name: "duplicate channel id", edit: func(p *plan.Plan) {
			p.Channels[1].ID = "c1"
		}, wantErr: `analytic AN1828 channel "c1": empty or duplicate id`},
		{name: "predicate without a log source", edit: func(p *plan.Plan) {
			p.Channel("c7").LogSource = ""
		}, wantErr: "analytic AN1828 channel c7: empty log_source"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			set := loadAN1828(t, nil)
			tc.edit(set.Plans[0])
			_, err := New(set)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.wantErr)
		})
	}
}

func TestNewWindowFromParam(t *testing.T) {
	set := loadAN1828(t, map[string]any{"TimeWindow": "20m"})
	set.Plans[0].Correlation.WindowLiteral = "" // resolved from window_param
	var s stream
	s.locked(0, "ios-1")
	s.beacon(15*time.Minute, "ios-1")
	out, _ := run(t, set, s.events)
	assert.Equal(t, []string{"ios-1 c1=1 c2=1 c4=1"}, summarize(out))
}

// selectorSet is a selector plan that is a hunt source (derived selectors only, one of them
// selecting content), next to a selector plan that only tests the event type and an inert one.
func selectorSet() *plan.Set {
	return &plan.Set{Schema: plan.Schema, Plans: []*plan.Plan{
		{ID: "AN1030", Name: "Process creation", Kind: plan.KindSelector, Hunt: true, Channels: []*plan.Channel{
			{ID: "c1", LogSource: "WinEventLog:Sysmon", Selector: `event.EventCode in [1]`, Selects: plan.SelectsEventType,
				Fields: []string{"EventCode"}, Origin: plan.OriginDerived},
			{ID: "c2", LogSource: "WinEventLog:Sysmon", Selector: `event.EventCode == 1 && event.Image.endsWith("cmd.exe")`,
				Selects: plan.SelectsContent, Fields: []string{"EventCode", "Image"}, Origin: plan.OriginDerived},
			{ID: "c3", LogSource: "WinEventLog:Security", Origin: plan.OriginNone, Reason: "prose channel"},
		}},
		{ID: "AN0002", Name: "Process creation, any", Kind: plan.KindSelector, Channels: []*plan.Channel{
			{ID: "c1", LogSource: "WinEventLog:Sysmon", Selector: `has(event.EventCode) && event.EventCode == 1`,
				Selects: plan.SelectsEventType, Origin: plan.OriginDerived},
		}},
		{ID: "AN0001", Kind: plan.KindInert, Channels: []*plan.Channel{
			{ID: "c1", LogSource: "WinEventLog:Sysmon", Selector: `true`},
		}},
	}}
}

func sysmonEvents() []*event.Event {
	var s stream
	s.add(0, "WinEventLog:Sysmon", map[string]any{"EventCode": int64(1), "Image": `C:\Windows\System32\cmd.exe`})
	s.add(time.Second, "WinEventLog:Sysmon", map[string]any{"EventCode": int64(3)})
	s.add(2*time.Second, "WinEventLog:Security", map[string]any{"EventCode": int64(1)})
	s.add(3*time.Second, "WinEventLog:Sysmon", map[string]any{"EventCode": int64(1), "Image": `C:\tools\x.exe`})
	return s.events
}

// TestHuntMode: hunting, a selector plan that is a hunt source prints records for its
// content channels only; selector plans that only test the event type print none.
func TestHuntMode(t *testing.T) {
	tests := []struct {
		name   string
		opts   []Option
		want   []string
		wantBy []HuntCount
	}{
		{name: "hunt", opts: []Option{WithHunt(true)}, want: []string{"hunt AN1030 c2 test.jsonl:1"},
			wantBy: []HuntCount{{Analytic: "AN1030", Count: 1}}},
		{name: "hunt with workers", opts: []Option{WithHunt(true), WithWorkers(3)}, want: []string{"hunt AN1030 c2 test.jsonl:1"},
			wantBy: []HuntCount{{Analytic: "AN1030", Count: 1}}},
		{name: "no hunt: selector plans stay quiet", want: []string{}, wantBy: []HuntCount{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out, stats := run(t, selectorSet(), sysmonEvents(), tc.opts...)
			assert.Equal(t, tc.want, summarize(out))
			assert.Equal(t, int64(len(tc.want)), stats.Hunts)
			assert.Equal(t, tc.wantBy, stats.HuntsBy)
			assert.Zero(t, stats.Alerts)
			// Event 2 lacks Image, but `event.EventCode == 1 && ...` is false without an error.
			assert.Zero(t, stats.EvalErrors)
		})
	}
	set := selectorSet()
	set.Plans[0].DetectionStrategy, set.Plans[0].DetectionStrategyName = "DET0001", "Process creation strategy"
	set.Plans[0].Techniques = []plan.Technique{{ID: "T1059", Name: "Command and Scripting Interpreter", Tactics: []string{"execution"}}}
	ev := sysmonEvents()[:1]
	ev[0].Fields["host"] = "ws-1"
	out, _ := run(t, set, ev, WithHunt(true))
	require.Len(t, out, 1, "only the channel that selects content gives hunt records")
	assert.JSONEq(t, `{"hunt":true,"time":"2026-03-20T09:00:00Z","analytic":"AN1030","name":"Process creation",
		"detection_strategy":{"id":"DET0001","name":"Process creation strategy"},
		"techniques":[{"id":"T1059","name":"Command and Scripting Interpreter","tactics":["execution"]}],
		"channel":"c2","log_source":"WinEventLog:Sysmon","group":{"host":"ws-1"},"source":"test.jsonl","line":1,
		"fields":{"EventCode":1,"Image":"C:\\Windows\\System32\\cmd.exe"}}`, mustJSON(t, out[0]))
}

func TestImmediateAlerts(t *testing.T) {
	set := selectorSet()
	p := set.Plans[0]
	p.Kind = plan.KindDetection
	p.Correlation = plan.Correlation{GroupBy: []string{"Computer"}}
	p.Techniques = []plan.Technique{{ID: "T1059", Name: "Command and Scripting Interpreter"}}
	out, stats := run(t, set, sysmonEvents())
	require.Len(t, out, 2)
	assert.Equal(t, int64(2), stats.Alerts)
	assert.Zero(t, stats.LiveGroups)
	assert.JSONEq(t, `{
		"id": "780e5d0a7e312faec989eda167b0164d",
		"analytic": "AN1030", "stix_id": "", "name": "Process creation",
		"detection_strategy": {"id": "", "name": ""},
		"techniques": [{"id": "T1059", "name": "Command and Scripting Interpreter", "tactics": []}],
		"platforms": [],
		"group": {"Computer": null},
		"first_seen": "2026-03-20T09:00:00Z", "last_seen": "2026-03-20T09:00:00Z",
		"channels": [
			{"id": "c1", "log_source": "WinEventLog:Sysmon", "data_component": {"id": "", "name": "", "stix_id": ""}, "channel": "",
			 "count": 1, "events": [{"time": "2026-03-20T09:00:00Z", "source": "test.jsonl", "line": 1, "fields": {"EventCode": 1}}]},
			{"id": "c2", "log_source": "WinEventLog:Sysmon", "data_component": {"id": "", "name": "", "stix_id": ""}, "channel": "",
			 "count": 1, "events": [{"time": "2026-03-20T09:00:00Z", "source": "test.jsonl", "line": 1,
			 "fields": {"EventCode": 1, "Image": "C:\\Windows\\System32\\cmd.exe"}}]}
		],
		"params": {}
	}`, mustJSON(t, out[0]))
	assert.NotEqual(t, out[0].(*Alert).ID, out[1].(*Alert).ID, "two events of one group and plan without a condition are two alerts")
}

func TestAlertJSON(t *testing.T) {
	var s stream
	s.locked(0, "ios-1")
	for i := range 4 {
		s.beacon(time.Duration(i)*time.Minute+time.Second, "ios-1")
	}
	out, _ := run(t, loadAN1828(t, nil), s.events, WithMaxContributors(2))
	require.Len(t, out, 1)
	got := mustJSON(t, out[0])
	assert.Equal(t, `{"id":"27ce19ca39e6f52bc9d4afb43ad94570","analytic":"AN1828","stix_id":"x-mitre-analytic--7c96d701-391d-4904-b6ba-941344aaf059",`+
		`"name":"Analytic 1828","detection_strategy":{"id":"DET0706","name":""},"techniques":[{"id":"T1509","name":"Non-Standard Port","tactics":[]}],`+
		`"platforms":["iOS"],"group":{"device_id":"ios-1"},"first_seen":"2026-03-20T09:00:00Z","last_seen":"2026-03-20T09:03:01Z",`+
		`"channels":[{"id":"c1","log_source":"VPN:MobileProxy","data_component":{"id":"","name":"","stix_id":"x-mitre-data-component--3772e279-27d6-477a-9fe3-c6beb363594c"},`+
		`"channel":"TLS handshake, HTTP method/header pattern, or WebSocket upgrade was observed on destination port outside approved port set for detected protocol during app-attributed outbound session",`+
		`"count":4,"events":[{"time":"2026-03-20T09:00:01Z","source":"test.jsonl","line":2,"fields":{"protocol":"tls","dst_port":4444,"dst_host":"c2.example.net"}},`+
		`{"time":"2026-03-20T09:01:01Z","source":"test.jsonl","line":3,"fields":{"protocol":"tls","dst_port":4444,"dst_host":"c2.example.net"}}]},`+
		`{"id":"c2","log_source":"VPN:MobileProxy","data_component":{"id":"","name":"","stix_id":"x-mitre-data-component--3772e279-27d6-477a-9fe3-c6beb363594c"},`+
		`"channel":"Repeated app-attributed sessions to same destination or service class used non-standard destination port with stable recurrence interval or persistent connection behavior",`+
		`"count":4,"events":[{"time":"2026-03-20T09:00:01Z","source":"test.jsonl","line":2,"fields":{"protocol":"tls","dst_port":4444,"dst_host":"c2.example.net","app_bundle_id":"com.example.flashlight"}},`+
		`{"time":"2026-03-20T09:01:01Z","source":"test.jsonl","line":3,"fields":{"protocol":"tls","dst_port":4444,"dst_host":"c2.example.net","app_bundle_id":"com.example.flashlight"}}]},`+
		`{"id":"c4","log_source":"MobileEDR:telemetry","data_component":{"id":"","name":"","stix_id":"x-mitre-data-component--55c669d9-b42a-4cf6-a38a-07161b228ce9"},`+
		`"channel":"DeviceLockState=locked during outbound session using non-standard protocol-to-port pairing",`+
		`"count":1,"events":[{"time":"2026-03-20T09:00:00Z","source":"test.jsonl","line":1,"fields":{"DeviceLockState":"locked"}}]}],`+
		`"params":{"AllowedManagedApps":[],"AllowedProtocolPortMappings":{"http":[80,8080],"quic":[443],"tls":[443],"websocket":[80,443]},`+
		`"AllowedServiceClasses":[],"BeaconIntervalTolerance":"5s","EnterpriseExceptionList":[],"RecentUserInteractionWindow":"5m",`+
		`"SupervisedRequired":true,"TimeWindow":"10m"}}`, got)
}

func TestGroupByMissingField(t *testing.T) {
	var s stream
	s.add(0, "MobileEDR:telemetry", map[string]any{"DeviceLockState": "locked"})
	s.add(time.Second, "VPN:MobileProxy", map[string]any{"protocol": "tls", "dst_port": int64(4444), "dst_host": "x"})
	out, _ := run(t, loadAN1828(t, nil), s.events)
	require.Len(t, out, 1, "events without device_id group together under null")
	assert.Equal(t, map[string]any{"device_id": nil}, out[0].(*Alert).Group)
}

func TestOutOfOrderFiles(t *testing.T) {
	// A second file older than the first: its group still gets one alert per window.
	var s stream
	s.beacon(time.Hour, "ios-9")
	s.locked(0, "ios-1")
	for i := range 12 {
		s.beacon(time.Duration(i)*time.Minute+time.Second, "ios-1") // 11 up to the close at 10m1s
	}
	out, _ := run(t, loadAN1828(t, nil), s.events)
	assert.Equal(t, []string{"ios-1 c1=11 c2=11 c4=1"}, summarize(out),
		"the match after the close ends the alert although the watermark is ahead, and starts afresh")
}

func TestDeterministicOutput(t *testing.T) {
	events := readEvents(t, "../testdata/events/demo.jsonl")
	var s stream
	for d := range 5 {
		dev := fmt.Sprintf("ios-%d", d)
		s.locked(0, dev)
		s.beacon(time.Second, dev)
	}
	events = append(events, s.events...)
	first, _ := run(t, loadAN1828(t, nil), events)
	for range 3 {
		again, _ := run(t, loadAN1828(t, nil), events)
		assert.Equal(t, mustJSON(t, first), mustJSON(t, again))
	}
}

func TestLiveGroupsStayBounded(t *testing.T) {
	eng, err := New(loadAN1828(t, nil))
	require.NoError(t, err)
	emit := func(Output) { t.Fatal("no alert expected") }
	const groups = 100_000
	step := 10 * time.Millisecond // 100k groups over 1000s; the window is 600s
	peak := 0
	for i := range groups {
		ev := &event.Event{
			Time: t0.Add(time.Duration(i) * step), LogSource: "MobileEDR:telemetry", Source: "mem", Line: i + 1,
			Fields: map[string]any{"device_id": fmt.Sprintf("dev-%d", i), "DeviceLockState": "locked"},
		}
		eng.Process(context.Background(), ev, emit)
		if i%1000 == 0 {
			peak = max(peak, eng.Stats().LiveGroups)
		}
	}
	window := 10 * time.Minute
	assert.LessOrEqual(t, peak, int(window/step)+2, "groups older than the window are dropped as time advances")
	eng.Process(context.Background(), &event.Event{
		Time: t0.Add(groups*step + window + time.Second), LogSource: "iOS:MDMLog", Source: "mem", Line: groups + 1,
		Fields: map[string]any{"device_id": "late", "managed": true, "supervised": true},
	}, emit)
	assert.Zero(t, eng.Stats().LiveGroups, "every group's window has passed")
	assert.Equal(t, int64(groups+1), eng.Stats().Events)
}

// BenchmarkNewAN1828 measures compiling one seven-channel plan with a condition.
func BenchmarkNewAN1828(b *testing.B) {
	set := loadAN1828(b, nil)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := New(set); err != nil {
			b.Fatal(err)
		}
	}
}
