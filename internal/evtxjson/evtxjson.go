// Package evtxjson reads Windows events as evtx_dump and Chainsaw write them as JSON (the
// files beside SigmaHQ's regression .evtx files: one `{"Event": {"System": {...},
// "EventData": {...}}}` object after another, attributes under `#attributes`) and gives
// them in stixcel's normalized Windows shape, the one the built-in `windows` source profile
// makes of a collector's export: `time` (System/TimeCreated's SystemTime, UTC),
// `log_source` (the channel's ATT&CK log source), `EventCode` (EventID, a number), `host`
// (Computer), `Channel`, `Provider_Name`, and EventData's and UserData's fields under their
// own names, numbers as their decimal text (as collectors export event data). A field whose
// name has spaces (Windows Defender's "Threat Name") is also given without them
// ("ThreatName"), as THOR and evtx-sigma-checker read it: SigmaHQ's rules and regression
// tests are written against those names.
//
// `stixcel test --sigma` feeds SigmaHQ's regression events through it; tests that evaluate
// Sigma rules on the same events may share it.
package evtxjson

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
)

// channelLogSources is the windows source profile's channel table
// (source/profiles/windows.yaml), by lower-cased channel; another channel is
// "WinEventLog:" + the channel as written.
var channelLogSources = map[string]string{
	"microsoft-windows-sysmon/operational": "WinEventLog:Sysmon",
	"security":                             "WinEventLog:Security",
	"system":                               "WinEventLog:System",
	"application":                          "WinEventLog:Application",
	"microsoft-windows-powershell/operational":            "WinEventLog:PowerShell",
	"windows powershell":                                  "WinEventLog:PowerShell",
	"powershellcore/operational":                          "WinEventLog:PowerShell",
	"microsoft-windows-taskscheduler/operational":         "WinEventLog:TaskScheduler",
	"microsoft-windows-wmi-activity/operational":          "WinEventLog:WMI",
	"microsoft-windows-winrm/operational":                 "WinEventLog:WinRM",
	"microsoft-windows-applocker/exe and dll":             "WinEventLog:AppLocker",
	"microsoft-windows-applocker/msi and script":          "WinEventLog:AppLocker",
	"microsoft-windows-applocker/packaged app-execution":  "WinEventLog:AppLocker",
	"microsoft-windows-applocker/packaged app-deployment": "WinEventLog:AppLocker",
}

// LogSource is the ATT&CK log source of events of a Windows event log channel.
func LogSource(channel string) string {
	if ls, ok := channelLogSources[strings.ToLower(channel)]; ok {
		return ls
	}
	return "WinEventLog:" + channel
}

// record is one evtx_dump object.
type record struct {
	Event *struct {
		System    map[string]any `json:"System"`
		EventData any            `json:"EventData"`
		UserData  any            `json:"UserData"`
	} `json:"Event"`
}

// Read reads the objects of r, named name in errors, as normalized events, in order. An
// object that is not an event (no Event.System, no channel, no SystemTime) is an error
// naming its place in the file ("name: event 3: ..."), and so is bad JSON.
func Read(r io.Reader, name string) ([]map[string]any, error) {
	dec := json.NewDecoder(r)
	var out []map[string]any
	for {
		var rec record
		err := dec.Decode(&rec)
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return out, fmt.Errorf("%s: event %d: %w", name, len(out)+1, err)
		}
		ev, err := normalize(rec)
		if err != nil {
			return out, fmt.Errorf("%s: event %d: %w", name, len(out)+1, err)
		}
		out = append(out, ev)
	}
}

// normalize is one record as a normalized event.
func normalize(rec record) (map[string]any, error) {
	if rec.Event == nil || rec.Event.System == nil {
		return nil, errors.New(`not an evtx_dump event: no "Event": {"System": ...}`)
	}
	ev := map[string]any{}
	flatten(ev, rec.Event.EventData)
	flatten(ev, rec.Event.UserData)
	addSpaceless(ev)
	if err := system(ev, rec.Event.System); err != nil {
		return nil, err
	}
	return ev, nil
}

// system sets what the windows profile reads of an event's System element; time and
// log_source are required.
func system(ev, sys map[string]any) error {
	ch, _ := sys["Channel"].(string)
	if ch == "" {
		return errors.New("the System object has no Channel")
	}
	ev["log_source"], ev["Channel"] = LogSource(ch), ch
	at, err := systemTime(sys)
	if err != nil {
		return err
	}
	ev["time"] = at.UTC().Format(time.RFC3339Nano)
	if code, ok := eventID(sys["EventID"]); ok {
		ev["EventCode"] = code
	}
	if attrs := attributes(sys["Provider"]); attrs != nil {
		if name, ok := attrs["Name"].(string); ok {
			ev["Provider_Name"] = name
		}
	}
	if host, ok := sys["Computer"].(string); ok {
		ev["Computer"], ev["host"] = host, host
	}
	return nil
}

// systemTime is System/TimeCreated/#attributes/SystemTime.
func systemTime(sys map[string]any) (time.Time, error) {
	text, _ := attributes(sys["TimeCreated"])["SystemTime"].(string)
	if text == "" {
		return time.Time{}, errors.New("the System object has no TimeCreated SystemTime")
	}
	at, err := time.Parse(time.RFC3339Nano, text)
	if err != nil {
		return time.Time{}, fmt.Errorf("TimeCreated SystemTime: %w", err)
	}
	return at, nil
}

// eventID reads EventID written as a number or as {"#text": N, "#attributes": ...}.
func eventID(v any) (int64, bool) {
	if m, ok := v.(map[string]any); ok {
		v = m["#text"]
	}
	switch id := v.(type) {
	case float64:
		return int64(id), id == float64(int64(id))
	case string:
		n, err := strconv.ParseInt(id, 10, 64)
		return n, err == nil
	}
	return 0, false
}

// addSpaceless gives each field whose name has spaces also under its name without them,
// unless the event has a field of that name.
func addSpaceless(ev map[string]any) {
	for k, v := range ev {
		if !strings.Contains(k, " ") {
			continue
		}
		if short := strings.ReplaceAll(k, " ", ""); short != "" {
			if _, taken := ev[short]; !taken {
				ev[short] = v
			}
		}
	}
}

// attributes is the `#attributes` object of v, or nil.
func attributes(v any) map[string]any {
	m, _ := v.(map[string]any)
	attrs, _ := m["#attributes"].(map[string]any)
	return attrs
}

// flatten copies the scalar leaves of v into ev under their own names, numbers as their
// decimal text, skipping `#attributes`.
func flatten(ev map[string]any, v any) {
	obj, ok := v.(map[string]any)
	if !ok {
		return
	}
	for k, x := range obj {
		switch x := x.(type) {
		case map[string]any:
			if k != "#attributes" {
				flatten(ev, x)
			}
		case float64:
			ev[k] = strconv.FormatFloat(x, 'f', -1, 64)
		case string, bool:
			ev[k] = x
		}
	}
}
