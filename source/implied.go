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

// Decode reads one line (non-empty, valid UTF-8).
func (d *Implied) Decode(line []byte) (*event.Event, *event.Invalid) {
	ev, bad := event.Normalized{}.Decode(line)
	if bad == nil || bad.Reason != event.ReasonMissingTime || len(d.profiles) == 0 {
		return ev, bad
	}
	if raw, ok := event.NewRaw(line); ok {
		d.view.Reset(raw)
		defer d.view.Reset(nil)
		for _, ip := range d.profiles {
			if _, ok := ip.norm.matchShape(d.view); ok {
				return ip.dec.decodeLazy(raw)
			}
		}
		return nil, bad
	}
	v, err := jsonl.Decode(line) // a line that does not read lazily (deep, surrogates)
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
