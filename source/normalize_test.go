package source

import (
	"github.com/stixcel/stixcel/event"

	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func windows(t testing.TB) *Profile {
	t.Helper()
	p, err := Builtin("windows")
	require.NoError(t, err)
	return p
}

// eventField returns one field of ev, nil when ev has none.
func eventField(ev *event.Event, name string) any {
	v, _ := ev.Get(name)
	return v
}

// readOne reads a single raw line through p.
func readOne(t *testing.T, p *Profile, line string) (*event.Event, *event.Rejection) {
	t.Helper()
	r := event.NewReader(strings.NewReader(line), "events.jsonl", NewDecoder(p))
	ev, rej, err := r.Next()
	require.NoError(t, err)
	_, _, err = r.Next()
	require.ErrorIs(t, err, io.EOF)
	return ev, rej
}

func TestWindowsLogSource(t *testing.T) {
	p := windows(t)
	tests := []struct {
		name    string
		channel string
		want    string
	}{
		{"sysmon", "Microsoft-Windows-Sysmon/Operational", "WinEventLog:Sysmon"},
		{"security", "Security", "WinEventLog:Security"},
		{"security lower-case", "security", "WinEventLog:Security"},
		{"powershell operational", "Microsoft-Windows-PowerShell/Operational", "WinEventLog:PowerShell"},
		{"windows powershell", "Windows PowerShell", "WinEventLog:PowerShell"},
		{"system", "System", "WinEventLog:System"},
		{"application", "Application", "WinEventLog:Application"},
		{"task scheduler", "Microsoft-Windows-TaskScheduler/Operational", "WinEventLog:TaskScheduler"},
		{"wmi", "Microsoft-Windows-WMI-Activity/Operational", "WinEventLog:WMI"},
		{"unlisted channel keeps its name", "Microsoft-Windows-CodeIntegrity/Operational", "WinEventLog:Microsoft-Windows-CodeIntegrity/Operational"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ev, rej := readOne(t, p, `{"Channel":"`+tc.channel+`","EventID":1,"TimeCreated":"2020-10-18 07:50:06.220"}`)
			require.Nil(t, rej)
			assert.Equal(t, tc.want, ev.LogSource)
			assert.Equal(t, tc.want, eventField(ev, "log_source"))
			assert.Equal(t, tc.channel, eventField(ev, "Channel"), "the raw channel is kept")
		})
	}
}

func TestWindowsTime(t *testing.T) {
	p := windows(t)
	tests := []struct {
		name   string
		fields string
		want   string
	}{
		{"TimeCreated without zone is UTC", `"TimeCreated":"2020-10-18 07:50:06.220"`, "2020-10-18T07:50:06.22Z"},
		{"TimeCreated without fraction", `"TimeCreated":"2020-10-18 07:50:06"`, "2020-10-18T07:50:06Z"},
		{"TimeCreated with T and no zone", `"TimeCreated":"2020-10-18T07:50:06.123456"`, "2020-10-18T07:50:06.123456Z"},
		{"TimeCreated RFC 3339", `"TimeCreated":"2020-10-23T02:36:40.671Z"`, "2020-10-23T02:36:40.671Z"},
		{"TimeCreated with an offset becomes UTC", `"TimeCreated":"2020-10-22T02:10:11.5+02:00"`, "2020-10-22T00:10:11.5Z"},
		{"@timestamp", `"@timestamp":"2020-09-20T01:17:06.360Z"`, "2020-09-20T01:17:06.36Z"},
		{"EventTime", `"EventTime":"2020-09-19 21:17:03"`, "2020-09-19T21:17:03Z"},
		{"TimeCreated before @timestamp", `"@timestamp":"2021-01-01T00:00:00Z","TimeCreated":"2020-10-18 07:50:06"`, "2020-10-18T07:50:06Z"},
		{"@timestamp before EventTime", `"EventTime":"2020-09-19 21:17:03","@timestamp":"2020-09-20T01:17:06.360Z"`, "2020-09-20T01:17:06.36Z"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ev, rej := readOne(t, p, `{"Channel":"Security","EventID":4624,`+tc.fields+`}`)
			require.Nil(t, rej)
			assert.Equal(t, tc.want, eventField(ev, "time"))
			want, err := time.Parse(time.RFC3339Nano, tc.want)
			require.NoError(t, err)
			assert.True(t, want.Equal(ev.Time), "Time = %v, want %v", ev.Time, want)
			assert.Equal(t, time.UTC, ev.Time.Location())
		})
	}
}

func TestWindowsFields(t *testing.T) {
	p := windows(t)
	line := `{"Channel":"Microsoft-Windows-Sysmon/Operational","EventID":10,"TimeCreated":"2020-10-18 07:50:06.220",` +
		`"Hostname":"WORKSTATION5","host":"collector","TargetImage":"C:\\Windows\\system32\\lsass.exe",` +
		`"GrantedAccess":"0x1010","ProcessId":"4824","Keywords":-9223372036854775808,"Level":4.5,"tags":["a",1]}`
	ev, rej := readOne(t, p, line)
	require.Nil(t, rej)
	tests := []struct {
		name  string
		field string
		want  any
	}{
		{"EventCode is an int", "EventCode", int64(10)},
		{"EventID is kept", "EventID", int64(10)},
		{"host comes from Hostname, not the collector's host", "host", "WORKSTATION5"},
		{"hex strings stay strings", "GrantedAccess", "0x1010"},
		{"numeric strings stay strings", "ProcessId", "4824"},
		{"int64 range is kept", "Keywords", int64(-9223372036854775808)},
		{"fractions are float64", "Level", 4.5},
		{"arrays are kept", "tags", []any{"a", int64(1)}},
		{"event fields are kept", "TargetImage", `C:\Windows\system32\lsass.exe`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.want, eventField(ev, tc.field))
		})
	}
	assert.Equal(t, "events.jsonl", ev.Source)
	assert.Equal(t, 1, ev.Line)
}

func TestWindowsEventCodeFromString(t *testing.T) {
	ev, rej := readOne(t, windows(t), `{"Channel":"Security","EventID":"4663","TimeCreated":"2020-10-18 07:50:06"}`)
	require.Nil(t, rej)
	assert.Equal(t, int64(4663), eventField(ev, "EventCode"))
	assert.Equal(t, "4663", eventField(ev, "EventID"), "the raw EventID is kept as written")
}

func TestWindowsMissingOutputField(t *testing.T) {
	ev, rej := readOne(t, windows(t), `{"Channel":"Security","EventID":"x","TimeCreated":"2020-10-18 07:50:06","host":"collector"}`)
	require.Nil(t, rej)
	assert.NotContains(t, ev.Map(), "EventCode", "int(\"x\") fails: the field is left out")
	assert.NotContains(t, ev.Map(), "host", "no Hostname: the profile's host has no value and hides the raw one")
}

func TestWindowsRejects(t *testing.T) {
	p := windows(t)
	tests := []struct {
		name       string
		line       string
		wantReason string
		wantDetail string
	}{
		{"empty line", "   ", event.ReasonEmptyLine, ""},
		{"not JSON", `{"Channel":`, event.ReasonInvalidJSON, "unexpected EOF"},
		{"trailing data", `{"Channel":"Security"} {}`, event.ReasonInvalidJSON, "trailing data"},
		{"not an object", `["Security",4624]`, event.ReasonNotObject, "got an array"},
		{"no time field", `{"Channel":"Security","EventID":4624}`, event.ReasonMissingTime,
			"no such key: TimeCreated; no such key: @timestamp; no such key: EventTime; no such key: Event"},
		{"unreadable time", `{"Channel":"Security","TimeCreated":"19/10/2020 12:28"}`, event.ReasonInvalidTime,
			`parse_time: "19/10/2020 12:28" is neither RFC 3339`},
		{"time not a string", `{"Channel":"Security","TimeCreated":1603007406}`, event.ReasonInvalidTime, "no such overload"},
		{"no channel", `{"EventID":4624,"TimeCreated":"2020-10-19 12:28:44.333"}`, event.ReasonMissingLogSource, "no such key: Channel"},
		{"empty channel", `{"Channel":"","TimeCreated":"2020-10-19 12:28:44.333"}`, event.ReasonMissingLogSource, "null or none"},
		{"channel not a string", `{"Channel":7,"TimeCreated":"2020-10-19 12:28:44.333"}`, event.ReasonInvalidLogSource, "no such overload"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ev, rej := readOne(t, p, tc.line)
			require.Nil(t, ev)
			require.NotNil(t, rej)
			assert.Equal(t, tc.wantReason, rej.Reason)
			assert.Contains(t, rej.Detail, tc.wantDetail)
			assert.Equal(t, "events.jsonl", rej.File)
			assert.Equal(t, 1, rej.Line)
		})
	}
}

func TestReaderFixture(t *testing.T) {
	f, err := os.Open(filepath.Join("testdata", "windows.jsonl"))
	require.NoError(t, err)
	defer f.Close()
	r := event.NewReader(f, "testdata/windows.jsonl", NewDecoder(windows(t)))
	events := map[int]string{}
	var rejections []string
	for {
		ev, rej, err := r.Next()
		if err == io.EOF {
			break
		}
		require.NoError(t, err)
		if rej != nil {
			rejections = append(rejections, rej.Error())
			continue
		}
		events[ev.Line] = ev.LogSource
	}
	assert.Equal(t, map[int]string{
		1: "WinEventLog:Sysmon", 2: "WinEventLog:Security", 3: "WinEventLog:Security",
		5: "WinEventLog:PowerShell", 6: "WinEventLog:PowerShell", 7: "WinEventLog:System",
		8: "WinEventLog:TaskScheduler", 14: "WinEventLog:Security",
	}, events)
	assert.Equal(t, []string{
		"testdata/windows.jsonl:4: empty line",
		"testdata/windows.jsonl:9: missing log_source: no such key: Channel; no such key: winlog; no such key: Event",
		"testdata/windows.jsonl:10: missing time: no such key: TimeCreated; no such key: @timestamp; no such key: EventTime; no such key: Event",
		`testdata/windows.jsonl:11: invalid time: parse_time: "19/10/2020 12:28" is neither RFC 3339 nor "YYYY-MM-DD hh:mm:ss[.fff]"`,
		"testdata/windows.jsonl:12: invalid JSON: unexpected EOF",
		"testdata/windows.jsonl:13: not a JSON object: got an array",
	}, rejections)
	st := r.Stats()
	assert.Equal(t, int64(14), st.Read)
	assert.Equal(t, int64(8), st.Processed)
	assert.Equal(t, st.Read, st.Processed+st.RejectedTotal())
	assert.Equal(t, map[string]int64{
		event.ReasonEmptyLine: 1, event.ReasonMissingLogSource: 1, event.ReasonMissingTime: 1,
		event.ReasonInvalidTime: 1, event.ReasonInvalidJSON: 1, event.ReasonNotObject: 1,
	}, st.Rejected)
}

func TestReaderLineEndings(t *testing.T) {
	in := "{\"Channel\":\"System\",\"TimeCreated\":\"2020-10-21 08:00:00\"}\r\n\n" +
		"{\"Channel\":\"System\",\"TimeCreated\":\"2020-10-21 08:00:01\"}"
	r := event.NewReader(strings.NewReader(in), "x.jsonl", NewDecoder(windows(t)))
	var lines []int
	for {
		ev, rej, err := r.Next()
		if err == io.EOF {
			break
		}
		require.NoError(t, err)
		if ev != nil {
			lines = append(lines, ev.Line)
		} else {
			lines = append(lines, -rej.Line)
		}
	}
	assert.Equal(t, []int{1, -2, 3}, lines, "CRLF accepted, blank line 2 rejected, last line without newline read")
	assert.Equal(t, int64(3), r.Stats().Read)
}
