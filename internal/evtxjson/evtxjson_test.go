package evtxjson_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/stixcel/stixcel/internal/evtxjson"
)

func TestRead(t *testing.T) {
	sysmon := `{"Event": {"#attributes": {"xmlns": "x"}, "System": {"Provider": {"#attributes": {"Name": "Microsoft-Windows-Sysmon"}},
		"EventID": 1, "TimeCreated": {"#attributes": {"SystemTime": "2025-11-27T07:40:10.165324Z"}},
		"Channel": "Microsoft-Windows-Sysmon/Operational", "Computer": "ws1"},
		"EventData": {"Image": "C:\\evil.exe", "ProcessId": 4460}}}`
	tests := []struct {
		name    string
		in      string
		want    []map[string]any
		wantErr string
	}{
		{name: "sysmon event, concatenated objects", in: sysmon + "\n" + sysmon, want: []map[string]any{
			{"time": "2025-11-27T07:40:10.165324Z", "log_source": "WinEventLog:Sysmon", "Channel": "Microsoft-Windows-Sysmon/Operational",
				"EventCode": int64(1), "Provider_Name": "Microsoft-Windows-Sysmon", "Computer": "ws1", "host": "ws1",
				"Image": `C:\evil.exe`, "ProcessId": "4460"},
		}},
		{name: "EventID with attributes, a channel of no short name, names with spaces", in: `{"Event": {"System": {
			"EventID": {"#text": 1119, "#attributes": {"Qualifiers": 0}}, "TimeCreated": {"#attributes": {"SystemTime": "2026-04-17T04:14:33Z"}},
			"Channel": "Microsoft-Windows-Windows Defender/Operational"}, "EventData": {"Threat Name": "EICAR", "ThreatID": "1"}}}`,
			want: []map[string]any{{"time": "2026-04-17T04:14:33Z", "log_source": "WinEventLog:Microsoft-Windows-Windows Defender/Operational",
				"Channel": "Microsoft-Windows-Windows Defender/Operational", "EventCode": int64(1119), "Threat Name": "EICAR", "ThreatName": "EICAR", "ThreatID": "1"}},
		},
		{name: "no channel", in: `{"Event": {"System": {"EventID": 1}}}`, wantErr: "ev.json: event 1: the System object has no Channel"},
		{name: "no time", in: sysmon + `{"Event": {"System": {"Channel": "Security"}}}`, wantErr: "ev.json: event 2: the System object has no TimeCreated SystemTime"},
		{name: "not an event", in: `{"foo": 1}`, wantErr: "ev.json: event 1: not an evtx_dump event"},
		{name: "bad JSON", in: `{"Event": `, wantErr: "ev.json: event 1: unexpected EOF"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := evtxjson.Read(strings.NewReader(tc.in), "ev.json")
			if tc.wantErr != "" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tc.wantErr)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.want[0], got[0])
			assert.Len(t, got, strings.Count(tc.in, `"Event"`))
		})
	}
}
