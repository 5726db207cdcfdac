package source

import (
	"unsafe"

	"github.com/stixcel/stixcel/event"
	"github.com/stixcel/stixcel/internal/jsonl"
)

// Decoder is a profile as an event.Decoder: it maps each raw line onto a normalized event,
// so that event.NewReader(r, name, source.NewDecoder(p)) reads raw JSONL with the same
// accounting as normalized JSONL. A line is Invalid when it is not JSON, not a JSON object,
// or when the profile gives it no valid time or log source. A Decoder is not safe for
// concurrent use: each reader needs its own.
type Decoder struct {
	norm  *normalizer
	lazy  bool
	view  *event.FieldView // the raw line, read on use (lazy)
	arena event.RawArena   // the members of events backed by lines handed as strings
}

// Option configures a Decoder.
type Option func(*Decoder)

// LazyEvents(true), the default, makes the Decoder read lines without decoding them into
// maps: the profile reads the raw fields it needs from the line, and with keep_raw each event
// is backed by its line (event.NewRaw) with the profile's output fields as overrides, so that
// a plan reads the other fields only if it needs them; Event.Fields is then nil. With
// LazyEvents(false) every line is decoded into a map and keep_raw events hold their fields in
// Fields. The events are the same either way: read their fields with Event.Get or Event.Map.
func LazyEvents(on bool) Option { return func(d *Decoder) { d.lazy = on } }

// NewDecoder returns a Decoder of raw lines through profile p.
func NewDecoder(p *Profile, opts ...Option) *Decoder {
	d := &Decoder{norm: newNormalizer(p), lazy: true, view: event.NewFieldView(nil)}
	for _, o := range opts {
		o(d)
	}
	return d
}

// Decode maps one line (non-empty, valid UTF-8: event.Reader checked it) onto an event.
func (d *Decoder) Decode(line []byte) (*event.Event, *event.Invalid) {
	return d.decode(line, "")
}

// DecodeString is Decode of a line its events may keep (event.StringDecoder): a lazy event
// is backed by line itself, not a copy.
func (d *Decoder) DecodeString(line string) (*event.Event, *event.Invalid) {
	return d.decode(bytesOf(line), line)
}

// decode is Decode; a lazy event is backed by kept (line's text) when it is not empty, else
// by a copy of line.
func (d *Decoder) decode(line []byte, kept string) (*event.Event, *event.Invalid) {
	if d.lazy {
		if ev, ok := newRaw(&d.arena, line, kept); ok {
			return d.decodeLazy(ev)
		}
	}
	v, err := jsonl.Decode(line)
	if err != nil {
		return nil, &event.Invalid{Reason: event.ReasonInvalidJSON, Detail: err.Error()}
	}
	raw, ok := v.(map[string]any)
	if !ok {
		return nil, &event.Invalid{Reason: event.ReasonNotObject, Detail: "got " + jsonl.Kind(v)}
	}
	at, logSource, fields, bad := d.norm.normalize(raw)
	if bad != nil {
		return nil, bad
	}
	return &event.Event{Time: at, LogSource: logSource, Fields: fields}, nil
}

// decodeLazy normalizes a raw-backed event through the profile, reading the raw fields it
// needs from the line.
func (d *Decoder) decodeLazy(ev *event.Event) (*event.Event, *event.Invalid) {
	d.view.Reset(ev)
	defer d.view.Reset(nil) // the decoder outlives the event: it keeps nothing of its line
	at, logSource, bad := d.norm.required(d.view)
	if bad != nil {
		return nil, bad
	}
	out := d.norm.outputs(at, logSource)
	if d.norm.p.KeepRaw {
		ev.Overrides = out
	} else {
		ev = &event.Event{Fields: overridesMap(out)}
	}
	ev.Time, ev.LogSource = at, logSource
	return ev, nil
}

// newRaw is arena.NewRawString(kept) when kept is not empty (a chunk's line), else
// event.NewRaw(line).
func newRaw(arena *event.RawArena, line []byte, kept string) (*event.Event, bool) {
	if kept != "" {
		return arena.NewRawString(kept)
	}
	return event.NewRaw(line)
}

// bytesOf views s as bytes, for reading only (jsonl.Decode copies what it keeps).
func bytesOf(s string) []byte {
	return unsafe.Slice(unsafe.StringData(s), len(s))
}
