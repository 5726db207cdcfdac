// Package sigmahq reads SigmaHQ's regression events (regression_data/**.json, the
// concatenated evtx_dump JSON objects of an .evtx file) as the flat events stixcel's windows
// source profile makes of a collector's export: the channel's log source, EventID as
// EventCode, EventData's and UserData's fields as text. Tests that evaluate Sigma rules on
// them (compiler/sigma/cel, bench) share it.
package sigmahq

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
)

// ChannelLogSources is the windows source profile's channel table
// (source/profiles/windows.yaml), by lower-cased channel.
var ChannelLogSources = map[string]string{
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

// ReadEvents reads the concatenated evtx_dump JSON objects of a file as flat events:
// EventData's and UserData's scalar leaves under their own names (numbers as their decimal
// text, as collectors export event data), log_source and Channel, EventCode (an int64),
// Provider_Name and Computer.
func ReadEvents(path string) ([]map[string]any, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	dec := json.NewDecoder(f)
	var out []map[string]any
	for {
		var doc struct {
			Event struct {
				System    map[string]any `json:"System"`
				EventData any            `json:"EventData"`
				UserData  any            `json:"UserData"`
			} `json:"Event"`
		}
		err := dec.Decode(&doc)
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return out, fmt.Errorf("%s: event %d: %w", path, len(out)+1, err)
		}
		ev := map[string]any{}
		flatten(ev, doc.Event.EventData)
		flatten(ev, doc.Event.UserData)
		system(ev, doc.Event.System)
		out = append(out, ev)
	}
}

// system copies what the windows profile reads of an event's System element.
func system(ev, sys map[string]any) {
	if ch, ok := sys["Channel"].(string); ok {
		ls, known := ChannelLogSources[strings.ToLower(ch)]
		if !known {
			ls = "WinEventLog:" + ch
		}
		ev["log_source"], ev["Channel"] = ls, ch
	}
	switch id := sys["EventID"].(type) {
	case float64:
		ev["EventCode"] = int64(id)
	case map[string]any:
		if n, err := strconv.ParseInt(fmt.Sprint(id["#text"]), 10, 64); err == nil {
			ev["EventCode"] = n
		}
	}
	if p, ok := sys["Provider"].(map[string]any); ok {
		if attrs, ok := p["#attributes"].(map[string]any); ok {
			ev["Provider_Name"] = attrs["Name"]
		}
	}
	ev["Computer"] = sys["Computer"]
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
