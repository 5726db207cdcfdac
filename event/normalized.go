package event

import (
	"strings"
	"time"
	"unsafe"

	"github.com/stixcel/stixcel/internal/jsonl"
)

// Normalized decodes normalized events (docs/events.md): a JSON object with a `time` (an RFC 3339
// string) and a `log_source` (a non-empty string). A line that is not valid JSON or not an
// object, or lacks either field, is Invalid.
//
// Events are backed by their line (NewRaw): Decode validates the JSON and reads `time` and
// `log_source`, and the other fields are read when a plan reads them. Lines that do not read
// lazily exactly as encoding/json decodes them are decoded into Fields.
type Normalized struct {
	// Fields decodes every event into Event.Fields, as callers that read Event.Fields need;
	// by default events are backed by their line.
	Fields bool
}

// Decode reads one line that the Reader checked (non-empty, valid UTF-8).
func (d Normalized) Decode(line []byte) (*Event, *Invalid) {
	return d.decode(line, "")
}

// DecodeString is Decode of a line the event may keep (StringDecoder): an event backed by
// the line is backed by line itself.
func (d Normalized) DecodeString(line string) (*Event, *Invalid) {
	return d.decode(bytesOf(line), line)
}

// decode is Decode, of kept (when not empty) instead of a copy of line for a raw-backed
// event; kept is line's text.
func (d Normalized) decode(line []byte, kept string) (*Event, *Invalid) {
	ev, reason, detail := d.parse(line, kept)
	if reason != "" {
		return nil, &Invalid{Reason: reason, Detail: detail}
	}
	return ev, nil
}

// DecodeRaw is Decode of a line NewRaw read into ev: it reads ev's `time` and `log_source`
// with the same checks and messages, for a decoder that scans each line once for several
// readings of it (source.Implied).
func (Normalized) DecodeRaw(ev *Event) (*Event, *Invalid) {
	ev, reason, detail := readRequired(ev)
	if reason != "" {
		return nil, &Invalid{Reason: reason, Detail: detail}
	}
	return ev, nil
}

// parse reads one valid UTF-8, non-empty line; a non-empty reason rejects it. A raw-backed
// event is backed by kept when it is not empty (line's text, to keep), else by a copy.
func (d Normalized) parse(line []byte, kept string) (ev *Event, reason, detail string) {
	if !d.Fields {
		var ok bool
		if kept != "" {
			ev, ok = NewRawString(kept)
		} else {
			ev, ok = NewRaw(line)
		}
		if ok {
			return readRequired(ev)
		}
	}
	v, err := jsonl.Decode(line)
	if err != nil {
		return nil, ReasonInvalidJSON, err.Error()
	}
	fields, ok := v.(map[string]any)
	if !ok {
		return nil, ReasonNotObject, "got " + jsonl.Kind(v)
	}
	at, reason, detail := eventTime(fields["time"])
	if reason != "" {
		return nil, reason, detail
	}
	src := fields["log_source"]
	if src == nil {
		return nil, ReasonMissingLogSource, ""
	}
	logSource, ok := src.(string)
	if !ok || logSource == "" {
		return nil, ReasonInvalidLogSource, "want a non-empty string, got " + jsonl.Kind(src)
	}
	return &Event{Time: at, LogSource: logSource, Fields: fields}, "", ""
}

// eventTime reads a decoded `time` value.
func eventTime(raw any) (at time.Time, reason, detail string) {
	if raw == nil {
		return time.Time{}, ReasonMissingTime, ""
	}
	s, ok := raw.(string)
	if !ok {
		return time.Time{}, ReasonInvalidTime, "want an RFC 3339 string, got " + jsonl.Kind(raw)
	}
	return parseTime(s)
}

func parseTime(s string) (at time.Time, reason, detail string) {
	at, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, ReasonInvalidTime, jsonl.Quote(s) + " is not RFC 3339"
	}
	return at, "", ""
}

// readRequired reads `time` and `log_source` of a raw-backed event, with the same checks and
// messages as parse.
func readRequired(ev *Event) (*Event, string, string) {
	var timeRaw, sourceRaw string
	for _, m := range ev.members {
		switch m.key {
		case "time":
			timeRaw = m.raw
		case "log_source":
			sourceRaw = m.raw
		}
	}
	if timeRaw == "" || timeRaw == "null" {
		return nil, ReasonMissingTime, ""
	}
	if timeRaw[0] != '"' {
		return nil, ReasonInvalidTime, "want an RFC 3339 string, got " + rawKind(timeRaw)
	}
	at, reason, detail := parseTime(rawString(timeRaw))
	if reason != "" {
		return nil, reason, detail
	}
	if sourceRaw == "" || sourceRaw == "null" {
		return nil, ReasonMissingLogSource, ""
	}
	if sourceRaw[0] != '"' || len(sourceRaw) == 2 {
		return nil, ReasonInvalidLogSource, "want a non-empty string, got " + rawKind(sourceRaw)
	}
	ev.Time, ev.LogSource = at, rawString(sourceRaw)
	return ev, "", ""
}

// rawString returns the string a quoted JSON string stands for: a substring when it holds
// no escapes.
func rawString(quoted string) string {
	body := quoted[1 : len(quoted)-1]
	if strings.IndexByte(body, '\\') < 0 {
		return body
	}
	return string(appendUnescaped(nil, body))
}

// bytesOf views s as bytes, for reading only (jsonl.Decode copies what it keeps).
func bytesOf(s string) []byte {
	return unsafe.Slice(unsafe.StringData(s), len(s))
}

// stringOf views b, bytes of a string (bytesOf's, or a slice of them), as a string.
func stringOf(b []byte) string {
	return unsafe.String(unsafe.SliceData(b), len(b))
}
