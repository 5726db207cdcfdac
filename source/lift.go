package source

import (
	"maps"
	"slices"
	"strconv"

	"github.com/google/cel-go/common/types"
	"github.com/google/cel-go/common/types/ref"
	"github.com/google/cel-go/common/types/traits"

	"github.com/stixcel/stixcel/event"
)

// liftMode says how lifted members keep their values (`lift_values`).
type liftMode uint8

const (
	// liftJSON keeps the values as JSON decodes them.
	liftJSON liftMode = iota
	// liftStrings renders scalars as text, as Windows renders event data: a string as it is,
	// a number as its decimal text, true and false, null as the empty string; an object or a
	// list is not lifted.
	liftStrings
)

// lift evaluates the profile's lifts over the bound raw object and appends the members they
// give to dst, in lift order and, within one object, in key order: a later member of the same
// name wins, as later keys do in JSON. A lift that fails (a missing key) or gives null or
// none lifts nothing; so does a value that is neither an object nor a list of objects.
func (n *normalizer) lift(dst []event.Override) []event.Override {
	for _, alt := range n.p.lifts {
		v, err := alt.eval(&n.act)
		if err != nil {
			continue
		}
		if opt, ok := v.(*types.Optional); ok {
			if !opt.HasValue() {
				continue
			}
			v = opt.GetValue()
		}
		switch t := v.(type) {
		case traits.Mapper:
			dst = n.liftObject(dst, t)
		case traits.Lister:
			for it := t.Iterator(); it.HasNext() == types.True; {
				if m, ok := it.Next().(traits.Mapper); ok {
					dst = n.liftObject(dst, m)
				}
			}
		}
	}
	return dst
}

// liftObject appends the members of one object, sorted by name.
func (n *normalizer) liftObject(dst []event.Override, m traits.Mapper) []event.Override {
	obj, ok := m.Value().(map[string]any) // raw JSON: already native
	if !ok {
		obj = nativeMap(m)
	}
	for _, name := range slices.Sorted(maps.Keys(obj)) {
		if v, ok := n.liftedValue(obj[name]); ok {
			dst = append(dst, event.Override{Name: name, Value: v, Set: true})
		}
	}
	return dst
}

// liftedValue is a lifted member's value in the profile's lift mode; false leaves it out.
func (n *normalizer) liftedValue(v any) (any, bool) {
	if n.p.liftValues == liftJSON {
		return v, true
	}
	return renderString(v)
}

// renderString renders a JSON scalar as Windows renders event data as text: evtx_dump writes
// numeric event data (ProcessId, LogonType) as JSON numbers where the flat exports and
// Winlogbeat write "4460" and "3"; hexadecimal fields (GrantedAccess, LogonId) are strings in
// every shape already. An object or a list is no event data field (evtx_dump's "#attributes"
// of EventData): false.
func renderString(v any) (any, bool) {
	switch t := v.(type) {
	case string:
		return t, true
	case int64:
		return strconv.FormatInt(t, 10), true
	case float64:
		return strconv.FormatFloat(t, 'f', -1, 64), true
	case bool:
		return strconv.FormatBool(t), true
	case nil:
		return "", true
	}
	return nil, false
}

// holds evaluates a shape: true only when its expression gives true.
func holds(f *field, act *activation) bool {
	v, err := f.alts[0].eval(act)
	return err == nil && v == types.True
}

// matchShape returns the name of the first shape of p that raw has.
func (n *normalizer) matchShape(raw ref.Val) (string, bool) {
	n.act.raw = raw
	defer func() { n.act.raw = nil }()
	for _, s := range n.p.shapes {
		if len(s.alts) > 0 && holds(s, &n.act) {
			return s.name, true
		}
	}
	return "", false
}
