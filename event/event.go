package event

import (
	"slices"
	"time"
)

// Event is one normalized event (docs/events.md). It is backed either by a map (Fields: how tests
// and inline test cases build events) or by the raw text of its JSON object (NewRaw: how
// Reader reads lines), whose fields are read only when a plan reads them. Either way Get reads
// one field and Map gives the whole object; the engine reads events only through those, and
// neither changes the event, so workers may share it.
type Event struct {
	// Time is the event's `time` field; correlation windows use it and nothing else.
	Time time.Time
	// LogSource is the event's `log_source` field; it routes the event to channels.
	LogSource string
	// Fields is the whole JSON object of a map-backed event, `time` and `log_source`
	// included: whole JSON numbers are int64, other numbers float64. It is nil for an event
	// backed by raw JSON; use Get or Map.
	Fields map[string]any
	// Overrides are fields shown instead of the raw ones of an event backed by raw JSON (a
	// source profile's output fields); ignored for map-backed events.
	Overrides []Override
	// Source and Line say where the event came from; alerts cite them.
	Source string
	Line   int

	raw     string   // the JSON object's text; "" for a map-backed event
	members []member // the top-level members of raw, in order
	longest int      // the decoded length of raw's longest string
	// lineBytes is the length of the line the Reader read the event from: what a
	// map-backed event's memory is estimated by.
	lineBytes int
	// inChunk is set for an event that may keep its chunk (a chunked Reader's text) alive,
	// chunkShare to the bytes of the chunk it accounts for beside its line (Footprint).
	chunkShare int32
	inChunk    bool
}

// Override is a field of a raw-backed event that a source profile computed: Value when Set,
// else the event has no such field even if the raw object has one.
type Override struct {
	Name  string
	Value any
	Set   bool
}

// NewRaw returns an event backed by a copy of line, one JSON object, with its fields
// left unread; the caller sets Time, LogSource, Source and Line. ok is false when line is not
// a JSON object that reads lazily exactly as encoding/json decodes it (invalid JSON, not an
// object, invalid UTF-8, surrogate escapes, nesting deeper than 32): decode such lines into
// Fields instead, which also gives encoding/json's error messages.
func NewRaw(line []byte) (ev *Event, ok bool) {
	return NewRawString(string(line))
}

// NewRawString is NewRaw of a line the event may keep: it is backed by line itself, not a
// copy. A line sliced from a larger text (a chunked Reader's chunk) keeps that whole text
// alive as long as the event, or a string read from it without a copy, lives.
func NewRawString(line string) (ev *Event, ok bool) {
	members, longest, ok := scanObject(line)
	if !ok {
		return nil, false
	}
	return &Event{raw: line, members: members, longest: longest}, true
}

// RawArena gives the events a decoder backs by their line (its NewRawString) their members
// from arrays that a few dozen events share, instead of an array each: an allocation and a
// copy less for most lines. An event keeps its array alive as long as it lives (as it keeps
// its chunk: a held event pins them, and only while held), so an arena suits the events of a
// chunked Reader's StringDecoders: a batch holds a chunk's events together until they are
// spilled or run, and a stream of regular files lets them go in about the order they came,
// so that only the events at the edge of what it holds pin arrays, and chunks, of events
// already gone. A RawArena is not safe for concurrent use: each decoder has its own.
type RawArena struct {
	room []member // empty, with room for the next events' members
}

// arenaMembers is how many members an arena's array holds: about 40 Windows events.
const arenaMembers = 1024

// NewRawString is the package's NewRawString, the event's members gathered in a's room.
func (a *RawArena) NewRawString(line string) (ev *Event, ok bool) {
	if cap(a.room) < scanScratch {
		a.room = make([]member, 0, arenaMembers)
	}
	members, longest, ok := scanMembers(line, a.room)
	if !ok {
		clear(a.room[:cap(a.room)]) // what the scan gathered would keep line alive
		return nil, false
	}
	if n := len(members); n <= cap(a.room) { // gathered in the room
		members, a.room = members[:n:n], a.room[n:n]
	} else { // more than the room held: in an array of their own
		members = slices.Clip(members)
	}
	return &Event{raw: line, members: members, longest: longest}, true
}

// Raw returns the JSON text of an event backed by raw JSON, or "" for a map-backed event.
func (e *Event) Raw() string { return e.raw }

// Get returns the value of one field as decoded from JSON (string, int64, float64, bool,
// nil, []any, map[string]any) and whether the event has it. For raw-backed events it
// decodes the field each time: the engine caches reads in its FieldView instead.
func (e *Event) Get(name string) (any, bool) {
	if e.raw == "" {
		v, ok := e.Fields[name]
		return v, ok
	}
	for i := len(e.Overrides) - 1; i >= 0; i-- {
		if o := e.Overrides[i]; o.Name == name {
			return o.Value, o.Set
		}
	}
	raw, ok := e.lastMember(name)
	if !ok {
		return nil, false
	}
	return rawNative(raw), true
}

// Map returns the whole object: Fields for a map-backed event, else a new map decoded from
// the raw text with the overrides applied.
func (e *Event) Map() map[string]any {
	if e.raw == "" {
		return e.Fields
	}
	out := make(map[string]any, len(e.members)+len(e.Overrides))
	for _, m := range e.members {
		out[m.key] = rawNative(m.raw)
	}
	for _, o := range e.Overrides {
		if o.Set {
			out[o.Name] = o.Value
		} else {
			delete(out, o.Name)
		}
	}
	return out
}

// LongestString is the length in bytes of the longest string the event holds, at any depth,
// keys included, as decoded: what the runtime's cost budget compares with the sizes an
// expression's estimate assumed. It does not depend on how the JSON text escapes the string.
func (e *Event) LongestString() int {
	n := e.longest
	for _, o := range e.Overrides {
		n = max(n, longestIn(o.Value))
	}
	if e.raw == "" {
		n = max(n, longestIn(e.Fields))
	}
	return n
}

// longestIn is the length of the longest string in a decoded JSON value.
func longestIn(v any) int {
	switch t := v.(type) {
	case string:
		return len(t)
	case []any:
		n := 0
		for _, x := range t {
			n = max(n, longestIn(x))
		}
		return n
	case map[string]any:
		n := 0
		for k, x := range t {
			n = max(n, len(k), longestIn(x))
		}
		return n
	}
	return 0
}

// lastMember returns the value text of the last member named name (encoding/json keeps the
// last of duplicate keys).
func (e *Event) lastMember(name string) (string, bool) {
	for i := len(e.members) - 1; i >= 0; i-- {
		if e.members[i].key == name {
			return e.members[i].raw, true
		}
	}
	return "", false
}
