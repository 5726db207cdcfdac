// Package winshapes writes one Windows event in each JSON shape collectors export it in (flat
// nxlog/OTRF, evtx_dump/Chainsaw, Winlogbeat 7 and 8, Elastic Agent), for tests that check
// that every shape reads as the same normalized event (source/profiles/windows.yaml).
package winshapes

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"strconv"
	"strings"
	"time"
)

// Event is a Windows event as the shapes share it: its System part and its event data as
// Windows renders them (strings).
type Event struct {
	Channel  string
	Provider string
	EventID  int64
	Computer string
	Time     time.Time // the record's SystemTime
	Data     map[string]string
}

// flatMeta are the members of flat nxlog and OTRF exports that are not event data: the
// System part and what the collector adds. EventType is nxlog's too, except in Sysmon's own
// events (see isFlatMeta).
var flatMeta = map[string]bool{
	"SourceName": true, "ProviderGuid": true, "Level": true, "Keywords": true, "Channel": true,
	"Hostname": true, "TimeCreated": true, "@timestamp": true, "EventID": true, "Message": true,
	"Task": true, "Opcode": true, "OpcodeValue": true, "Version": true, "SeverityValue": true,
	"Severity": true, "ExecutionProcessID": true, "ThreadID": true, "host": true, "port": true,
	"EventTime": true, "EventReceivedTime": true, "SourceModuleType": true, "SourceModuleName": true,
	"RecordNumber": true, "@version": true, "tags": true, "Category": true, "AccountType": true,
	"UserID": true, "AccountName": true, "Domain": true, "ActivityID": true,
	"ERROR_EVT_UNRESOLVED": true, "EventTypeOrignal": true,
}

// nxlogEventTypes are the values of nxlog's own EventType.
var nxlogEventTypes = map[string]bool{"INFO": true, "AUDIT_SUCCESS": true, "AUDIT_FAILURE": true,
	"WARNING": true, "ERROR": true, "CRITICAL": true, "VERBOSE": true}

func isFlatMeta(key string, v any) bool {
	if key == "EventType" {
		s, _ := v.(string)
		return nxlogEventTypes[s]
	}
	return flatMeta[key]
}

// FromFlat reads a flat export's object (decoded with whole numbers as int64) whose record
// time is at: its event data are the members that are not the collector's.
func FromFlat(flat map[string]any, at time.Time) (Event, error) {
	id, ok := flat["EventID"].(int64)
	if !ok {
		return Event{}, fmt.Errorf("EventID %v is not a whole number", flat["EventID"])
	}
	e := Event{Channel: str(flat["Channel"]), Provider: str(flat["SourceName"]), EventID: id, Computer: str(flat["Hostname"]), Time: at, Data: map[string]string{}}
	for k, v := range flat {
		if !isFlatMeta(k, v) {
			e.Data[k] = Render(v)
		}
	}
	return e, nil
}

// FromEvtxDump reads an evtx_dump object ({"Event": {"System": ..., "EventData": ...}}).
func FromEvtxDump(obj map[string]any) (Event, error) {
	ev, _ := obj["Event"].(map[string]any)
	sys, _ := ev["System"].(map[string]any)
	if sys == nil {
		return Event{}, fmt.Errorf("no Event.System")
	}
	at, err := time.Parse(time.RFC3339Nano, str(dig(sys, "TimeCreated", "#attributes", "SystemTime")))
	if err != nil {
		return Event{}, err
	}
	id := sys["EventID"]
	if m, ok := id.(map[string]any); ok {
		id = m["#text"]
	}
	n, ok := id.(int64)
	if !ok {
		return Event{}, fmt.Errorf("EventID %v is not a whole number", id)
	}
	e := Event{Channel: str(sys["Channel"]), Provider: str(dig(sys, "Provider", "#attributes", "Name")), EventID: n,
		Computer: str(sys["Computer"]), Time: at.UTC(), Data: map[string]string{}}
	addData(e.Data, ev["EventData"])
	if ud, ok := ev["UserData"].(map[string]any); ok {
		for _, inner := range ud {
			addData(e.Data, inner)
		}
	}
	return e, nil
}

func addData(dst map[string]string, section any) {
	m, _ := section.(map[string]any)
	for k, v := range m {
		switch v.(type) {
		case map[string]any, []any: // "#attributes", not event data
		default:
			dst[k] = Render(v)
		}
	}
}

// Render is a JSON scalar as Windows renders event data: numbers in decimal, null empty.
func Render(v any) string {
	switch t := v.(type) {
	case string:
		return t
	case int64:
		return strconv.FormatInt(t, 10)
	case float64:
		return strconv.FormatFloat(t, 'f', -1, 64)
	case bool:
		return strconv.FormatBool(t)
	case nil:
		return ""
	}
	return fmt.Sprint(v)
}

// Flat is the event as nxlog exports it, the event data at the top level.
func (e Event) Flat() map[string]any {
	out := map[string]any{"Channel": e.Channel, "EventID": e.EventID, "Hostname": e.Computer,
		"TimeCreated": e.Time.Format(time.RFC3339Nano), "SourceName": e.Provider}
	for k, v := range e.Data {
		out[k] = v
	}
	return out
}

// EvtxDump is the event as evtx_dump writes it: event data that are decimal integers as
// JSON numbers (as evtx_dump writes Windows' integer types), the EventID a number or, with
// qualifiers, {"#text": id, "#attributes": {"Qualifiers": 0}}.
func (e Event) EvtxDump(qualifiers bool) map[string]any {
	var id any = e.EventID
	if qualifiers {
		id = map[string]any{"#text": e.EventID, "#attributes": map[string]any{"Qualifiers": int64(0)}}
	}
	data := map[string]any{"#attributes": map[string]any{"Name": "x"}}
	for k, v := range e.Data {
		data[k] = v
		if n, err := strconv.ParseInt(v, 10, 64); err == nil && strconv.FormatInt(n, 10) == v {
			data[k] = n
		}
	}
	return map[string]any{"Event": map[string]any{
		"#attributes": map[string]any{"xmlns": "http://schemas.microsoft.com/win/2004/08/events/event"},
		"System": map[string]any{
			"Provider":      map[string]any{"#attributes": map[string]any{"Name": e.Provider, "Guid": "{5770385F-C22A-43E0-BF4C-06F5698FFBD9}"}},
			"EventID":       id,
			"Level":         int64(4),
			"TimeCreated":   map[string]any{"#attributes": map[string]any{"SystemTime": e.Time.Format(time.RFC3339Nano)}},
			"EventRecordID": int64(1),
			"Correlation":   nil,
			"Channel":       e.Channel,
			"Computer":      e.Computer,
		},
		"EventData": data,
	}}
}

// ECS variants: what Winlogbeat 7, Winlogbeat 8 and Elastic Agent write.
const (
	Winlogbeat7 = iota
	Winlogbeat8
	ElasticAgent
)

// ECS is the event as a Beat or Elastic Agent writes it. Winlogbeat 7 writes winlog.event_id
// and event.code as numbers, Winlogbeat 8 as strings; Elastic Agent's shape here has only
// event.code and host.name.
func (e Event) ECS(variant int) map[string]any {
	winlog := map[string]any{"channel": e.Channel, "provider_name": e.Provider, "record_id": int64(1),
		"event_data": maps.Clone(e.Data), "api": "wineventlog"}
	event := map[string]any{"kind": "event", "provider": e.Provider}
	host := map[string]any{"name": strings.ToLower(e.Computer), "hostname": "other"}
	switch variant {
	case Winlogbeat7:
		winlog["event_id"], event["code"] = e.EventID, e.EventID
		winlog["computer_name"] = e.Computer
	case Winlogbeat8:
		winlog["event_id"], event["code"] = strconv.FormatInt(e.EventID, 10), strconv.FormatInt(e.EventID, 10)
		winlog["computer_name"] = e.Computer
	case ElasticAgent:
		event["code"] = strconv.FormatInt(e.EventID, 10)
		host["name"] = e.Computer
	}
	// Beats write @timestamp to the millisecond; whole, so that tests compare the same time.
	return map[string]any{"@timestamp": e.Time.Format(time.RFC3339Nano), "winlog": winlog,
		"event": event, "host": host, "ecs": map[string]any{"version": "8.0.0"}, "message": "..."}
}

func str(v any) string {
	s, _ := v.(string)
	return s
}

func dig(m map[string]any, keys ...string) any {
	var v any = m
	for _, k := range keys {
		mm, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = mm[k]
	}
	return v
}

// ConvertFlat rewrites a flat export, line by line, in another shape: each line for which
// timeOf gives the record's time (the windows profile's) becomes shape(event) on one line;
// any other line (blank, rejected) stays as it is, so that line numbers agree.
func ConvertFlat(data []byte, timeOf func(line []byte) (time.Time, bool), shape func(Event) any) ([]byte, error) {
	var out bytes.Buffer
	for i, line := range bytes.SplitAfter(data, []byte("\n")) {
		body := bytes.TrimRight(line, "\r\n")
		at, ok := timeOf(body)
		if !ok {
			out.Write(line)
			continue
		}
		var flat map[string]any
		dec := json.NewDecoder(bytes.NewReader(body))
		dec.UseNumber()
		if err := dec.Decode(&flat); err != nil {
			return nil, fmt.Errorf("line %d: %w", i+1, err)
		}
		e, err := FromFlat(wholeNumbers(flat).(map[string]any), at)
		if err != nil {
			return nil, fmt.Errorf("line %d: %w", i+1, err)
		}
		j, err := json.Marshal(shape(e))
		if err != nil {
			return nil, fmt.Errorf("line %d: %w", i+1, err)
		}
		out.Write(j)
		out.Write(line[len(body):])
	}
	return out.Bytes(), nil
}

// wholeNumbers turns json.Numbers into int64 where whole, else float64.
func wholeNumbers(v any) any {
	switch t := v.(type) {
	case json.Number:
		if n, err := t.Int64(); err == nil {
			return n
		}
		f, _ := t.Float64()
		return f
	case map[string]any:
		for k, x := range t {
			t[k] = wholeNumbers(x)
		}
	case []any:
		for i, x := range t {
			t[i] = wholeNumbers(x)
		}
	}
	return v
}
