package source

import (
	"strings"

	"github.com/google/cel-go/common/types"

	"github.com/stixcel/stixcel/event"
	"github.com/stixcel/stixcel/internal/jsonl"
)

// Implied is the decoder of inputs read without --source: a line is a normalized event
// exactly as event.Normalized reads it, unless it has no `time` and has one of the shapes a
// profile's `shapes` name, in which case that profile reads it (the first such profile, in
// the order given). A line of no shape is rejected as event.Normalized rejects it. An Implied
// is not safe for concurrent use: each reader needs its own.
type Implied struct {
	profiles []impliedProfile
	view     *event.FieldView
	arena    event.RawArena // the members of events backed by lines handed as strings
}

type impliedProfile struct {
	norm *normalizer // for its shapes
	dec  *Decoder
}

// NewImplied returns the decoder of inputs read without a source profile that reads the
// shapes of profiles (their `shapes`) with them: NewImplied(windows) makes `--source windows`
// implied for Windows event JSON.
func NewImplied(profiles ...*Profile) *Implied {
	d := &Implied{view: event.NewFieldView(nil)}
	for _, p := range profiles {
		if len(p.shapes) > 0 {
			d.profiles = append(d.profiles, impliedProfile{norm: newNormalizer(p), dec: NewDecoder(p)})
		}
	}
	return d
}

// Decode reads one line (non-empty, valid UTF-8), scanning it once.
func (d *Implied) Decode(line []byte) (*event.Event, *event.Invalid) {
	return d.decode(line, "")
}

// DecodeString is Decode of a line its events may keep (event.StringDecoder): an event
// backed by the line is backed by line itself, not a copy.
func (d *Implied) DecodeString(line string) (*event.Event, *event.Invalid) {
	return d.decode(bytesOf(line), line)
}

// decode is Decode; an event backed by the line is backed by kept (line's text) when it is
// not empty, else by a copy of line.
func (d *Implied) decode(line []byte, kept string) (*event.Event, *event.Invalid) {
	raw, ok := newRaw(&d.arena, line, kept)
	if !ok {
		return d.decodeMap(line)
	}
	ev, bad := event.Normalized{}.DecodeRaw(raw)
	if bad == nil || bad.Reason != event.ReasonMissingTime {
		return ev, bad
	}
	d.view.Reset(raw)
	defer d.view.Reset(nil)
	for _, ip := range d.profiles {
		if _, ok := ip.norm.matchShape(d.view); ok {
			return ip.dec.decodeLazy(raw)
		}
	}
	return nil, bad
}

// decodeMap is Decode of a line that does not read lazily (invalid JSON, too deep, surrogate
// escapes): decoded into a map.
func (d *Implied) decodeMap(line []byte) (*event.Event, *event.Invalid) {
	ev, bad := event.Normalized{Fields: true}.Decode(line)
	if bad == nil || bad.Reason != event.ReasonMissingTime {
		return ev, bad
	}
	v, err := jsonl.Decode(line)
	if m, ok := v.(map[string]any); ok && err == nil {
		for _, ip := range d.profiles {
			if _, ok := ip.norm.matchShape(types.NewStringInterfaceMap(types.DefaultTypeAdapter, m)); ok {
				return ip.dec.Decode(line)
			}
		}
	}
	return nil, bad
}

// ShapesText says which shapes profiles recognise: "windows (flat, evtx_dump, ecs)".
func ShapesText(profiles ...*Profile) string {
	var parts []string
	for _, p := range profiles {
		if len(p.shapes) == 0 {
			continue
		}
		names := make([]string, len(p.shapes))
		for i, s := range p.shapes {
			names[i] = s.name
		}
		parts = append(parts, p.Name+" ("+strings.Join(names, ", ")+")")
	}
	return strings.Join(parts, ", ")
}

// ImpliedBuiltins compiles the built-in profiles that name shapes, for NewImplied.
func ImpliedBuiltins() ([]*Profile, error) {
	var out []*Profile
	for _, name := range Builtins() {
		p, err := Builtin(name)
		if err != nil {
			return nil, err
		}
		if len(p.shapes) > 0 {
			out = append(out, p)
		}
	}
	return out, nil
}
