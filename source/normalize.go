package source

import (
	"encoding/base64"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"
	"unsafe"

	"github.com/google/cel-go/common/types"
	"github.com/google/cel-go/common/types/ref"
	"github.com/google/cel-go/common/types/traits"
	"github.com/google/cel-go/interpreter"

	"github.com/stixcel/stixcel/event"
	"github.com/stixcel/stixcel/internal/jsonl"
)

// Normalize maps one raw object onto a normalized event: `time` as an RFC 3339 string in
// UTC, `log_source` a non-empty string, then the profile's other fields that have a value.
// With KeepRaw the result is raw itself with the output fields set (a raw field named like an
// output field is replaced, or removed when the output field has no value); raw must not be
// used after. The error is an *event.Invalid when the profile gives no valid time or log
// source.
func (p *Profile) Normalize(raw map[string]any) (map[string]any, error) {
	n := newNormalizer(p)
	_, _, out, err := n.normalize(raw)
	if err != nil {
		return nil, err
	}
	return out, nil
}

// normalizer evaluates a profile over one raw object after another, reusing its activation
// and buffers. It is not safe for concurrent use.
type normalizer struct {
	p      *Profile
	act    activation
	vals   []any  // per field of p.fields, the value to write; nil when the field has no value
	has    []bool // per field, whether it has a value
	same   []bool // per field, whether its value is the raw field of its name (field.same won)
	won    int    // the alternative of the last field evaluated that gave its value
	errs   []error
	none   bool             // an alternative of the last field evaluated gave null or none
	lifted []event.Override // the lifted members of the current object (map-backed events)
}

func newNormalizer(p *Profile) *normalizer {
	return &normalizer{
		p:    p,
		act:  activation{maps: adaptedMaps(p.maps)},
		vals: make([]any, len(p.fields)),
		has:  make([]bool, len(p.fields)),
		same: make([]bool, len(p.fields)),
	}
}

// adaptedMaps converts the profile's lookup tables to CEL values once: bound as a Go map of
// maps, each lookup would wrap its table anew.
func adaptedMaps(maps ref.Val) ref.Val {
	m, ok := maps.(traits.Mapper)
	if !ok {
		return maps
	}
	tables := map[ref.Val]ref.Val{}
	for it := m.Iterator(); it.HasNext() == types.True; {
		k := it.Next()
		tables[k] = m.Get(k)
	}
	return types.NewRefValMap(types.DefaultTypeAdapter, tables)
}

// activation binds `raw` and `maps` for CEL, and keeps the normalizer's memoAlternative
// results.
type activation struct {
	raw  ref.Val
	maps ref.Val
	memo map[*memoAlternative]map[string]memoResult // results by field value, per alternative
}

func (a *activation) ResolveName(name string) (any, bool) {
	switch name {
	case "raw":
		return a.raw, true
	case "maps":
		return a.maps, true
	}
	return nil, false
}

func (a *activation) Parent() interpreter.Activation { return nil }

func (n *normalizer) normalize(raw map[string]any) (time.Time, string, map[string]any, *event.Invalid) {
	at, logSource, rej := n.required(types.NewStringInterfaceMap(types.DefaultTypeAdapter, raw))
	if rej != nil {
		return time.Time{}, "", nil, rej
	}
	defer n.letGo()
	// Evaluate every field before writing any: with KeepRaw the output is raw, which CEL reads.
	n.evalFields(at, logSource, false)
	n.lifted = n.lift(n.lifted[:0])
	out := raw
	if !n.p.KeepRaw {
		out = make(map[string]any, len(n.p.fields)+len(n.lifted))
	}
	for _, o := range n.lifted {
		out[o.Name] = o.Value
	}
	clear(n.lifted)
	for i, f := range n.p.fields {
		if n.has[i] {
			out[f.name] = n.vals[i]
		} else {
			delete(out, f.name)
		}
		n.vals[i] = nil
	}
	return at, logSource, out, nil
}

// required binds raw and evaluates the time and log source; on success raw stays bound for
// evalFields or outputs.
func (n *normalizer) required(raw ref.Val) (time.Time, string, *event.Invalid) {
	n.act.raw = raw
	at, rej := n.eventTime()
	if rej == nil {
		var logSource string
		if logSource, rej = n.logSource(); rej == nil {
			return at, logSource, nil
		}
	}
	n.letGo()
	return time.Time{}, "", rej
}

// letGo unbinds raw and forgets the errors of the last evaluation, which may quote it: the
// normalizer outlives the line.
func (n *normalizer) letGo() {
	n.act.raw = nil
	clear(n.errs)
	n.errs = n.errs[:0]
}

// evalFields evaluates every output field into n.vals and n.has. With sameless, a field whose
// value is the raw field of its own name (field.same) is marked in n.same and left without a
// value: the raw event shows it.
func (n *normalizer) evalFields(at time.Time, logSource string, sameless bool) {
	for i, f := range n.p.fields {
		switch f {
		case n.p.time:
			n.vals[i], n.has[i] = at.Format(time.RFC3339Nano), true
		case n.p.logSource:
			n.vals[i], n.has[i] = logSource, true
		default:
			v, _ := n.eval(f)
			n.same[i] = sameless && v != nil && n.won == f.same
			if n.same[i] {
				n.vals[i], n.has[i] = nil, true
				continue
			}
			n.vals[i], n.has[i] = native(v)
		}
	}
}

// outputs evaluates the lifted members and the output fields as overrides of the raw object,
// after required: the output fields come last, so that they win.
func (n *normalizer) outputs(at time.Time, logSource string) []event.Override {
	defer n.letGo()
	n.evalFields(at, logSource, n.p.KeepRaw)
	var out []event.Override
	if len(n.p.lifts) > 0 {
		out = n.lift(nil)
	}
	lifted := len(out)
	out = slices.Grow(out, len(n.p.fields))
	for i, f := range n.p.fields {
		if n.same[i] && !liftedAs(out[:lifted], f.name) {
			continue // keep_raw: the raw field of this name is the value
		}
		if n.same[i] {
			v, _ := n.eval(f) // a lifted member hides the raw field: override it back
			n.vals[i], n.has[i] = native(v)
		}
		out = append(out, event.Override{Name: f.name, Value: n.vals[i], Set: n.has[i]})
		n.vals[i] = nil
	}
	return out
}

// liftedAs reports whether a lifted member is named name.
func liftedAs(lifted []event.Override, name string) bool {
	for _, o := range lifted {
		if o.Name == name {
			return true
		}
	}
	return false
}

// overridesMap is the event of a profile without keep_raw: its output fields that have a
// value.
func overridesMap(out []event.Override) map[string]any {
	m := make(map[string]any, len(out))
	for _, o := range out {
		if o.Set {
			m[o.Name] = o.Value
		}
	}
	return m
}

func (n *normalizer) eventTime() (time.Time, *event.Invalid) {
	v, missing := n.eval(n.p.time)
	if v == nil {
		return time.Time{}, n.noValue(TimeField, missing, event.ReasonMissingTime, event.ReasonInvalidTime)
	}
	switch t := v.(type) {
	case types.Timestamp:
		return t.Time.UTC(), nil
	case types.String:
		at, err := time.Parse(time.RFC3339Nano, string(t))
		if err != nil {
			return time.Time{}, &event.Invalid{Reason: event.ReasonInvalidTime, Detail: jsonl.Quote(string(t)) + " is not RFC 3339"}
		}
		return at.UTC(), nil
	}
	return time.Time{}, &event.Invalid{Reason: event.ReasonInvalidTime, Detail: "the profile gives " + typeName(v) + ", want a timestamp"}
}

func (n *normalizer) logSource() (string, *event.Invalid) {
	v, missing := n.eval(n.p.logSource)
	if v == nil {
		return "", n.noValue(LogSourceField, missing, event.ReasonMissingLogSource, event.ReasonInvalidLogSource)
	}
	s, ok := v.(types.String)
	if !ok || s == "" {
		return "", &event.Invalid{Reason: event.ReasonInvalidLogSource, Detail: "the profile gives " + typeName(v) + ", want a non-empty string"}
	}
	return string(s), nil
}

// eval returns the value of the first alternative of f that gives one, unwrapping optionals;
// nil when none does. Then missing says whether every alternative failed for lack of a key
// or gave null, and n.errs holds the alternatives' errors.
func (n *normalizer) eval(f *field) (v ref.Val, missing bool) {
	n.errs, n.none = n.errs[:0], false
	missing = true
	for i, alt := range f.alts {
		n.won = i
		out, err := alt.eval(&n.act)
		if err == nil {
			if opt, ok := out.(*types.Optional); ok {
				if !opt.HasValue() {
					n.none = true
					continue
				}
				out = opt.GetValue()
			}
			if out != types.NullValue {
				return out, false
			}
			n.none = true
			continue
		}
		n.errs = append(n.errs, err)
		if !isMissingKey(err) {
			missing = false
		}
	}
	return nil, missing
}

// noValue explains why a required field has no value.
func (n *normalizer) noValue(name string, missing bool, missingReason, invalidReason string) *event.Invalid {
	reason := invalidReason
	if missing {
		reason = missingReason
	}
	msgs := make([]string, 0, len(n.errs))
	for _, err := range n.errs {
		if missing && n.none {
			break // a null or none says more than the keys the other alternatives lack
		}
		if missing || !isMissingKey(err) {
			msgs = append(msgs, err.Error())
		}
	}
	detail := "the profile's " + name + " is null or none"
	if len(msgs) > 0 {
		detail = strings.Join(msgs, "; ")
	}
	return &event.Invalid{Reason: reason, Detail: detail}
}

func isMissingKey(err error) bool {
	msg := err.Error()
	return strings.HasPrefix(msg, "no such key") || strings.HasPrefix(msg, "no such attribute")
}

// native converts a CEL result into the Go value of a JSON field: int64, float64, string,
// bool, []any, map[string]any; timestamps become RFC 3339 strings, durations Go duration
// strings, bytes base64. It reports false for null, an empty optional and nil.
func native(v ref.Val) (any, bool) {
	switch t := v.(type) {
	case nil, types.Null:
		return nil, false
	case *types.Optional:
		if !t.HasValue() {
			return nil, false
		}
		return native(t.GetValue())
	case types.Int:
		return int64(t), true
	case types.Uint:
		if t <= math.MaxInt64 {
			return int64(t), true
		}
		return float64(t), true
	case types.Double:
		return float64(t), true
	case types.String:
		return stringAny(v), true
	case types.Bool:
		return bool(t), true
	case types.Timestamp:
		return t.Time.UTC().Format(time.RFC3339Nano), true
	case types.Duration:
		return t.Duration.String(), true
	case types.Bytes:
		return base64.StdEncoding.EncodeToString(t), true
	}
	switch raw := v.Value().(type) {
	case []any, map[string]any:
		return raw, true // a raw JSON value passed through: already native
	}
	switch t := v.(type) {
	case traits.Lister:
		return nativeList(t), true
	case traits.Mapper:
		return nativeMap(t), true
	}
	return fmt.Sprint(v.Value()), true
}

// stringAny is the string a types.String value holds, as an any that shares the value's
// memory: a types.String is a string, so the interface's data is a string header already,
// and the conversion would copy it to the heap on every field of every event.
func stringAny(v ref.Val) any {
	type iface struct{ tab, data unsafe.Pointer }
	out := any("")
	(*iface)(unsafe.Pointer(&out)).data = (*iface)(unsafe.Pointer(&v)).data
	return out
}

func nativeList(l traits.Lister) []any {
	out := []any{}
	for it := l.Iterator(); it.HasNext() == types.True; {
		if e, ok := native(it.Next()); ok {
			out = append(out, e)
		} else {
			out = append(out, nil)
		}
	}
	return out
}

func nativeMap(m traits.Mapper) map[string]any {
	out := map[string]any{}
	for it := m.Iterator(); it.HasNext() == types.True; {
		k := it.Next()
		key, ok := k.(types.String)
		name := string(key)
		if !ok {
			name = fmt.Sprint(k.Value())
		}
		e, _ := native(m.Get(k))
		out[name] = e
	}
	return out
}

func typeName(v ref.Val) string {
	if v == nil {
		return "nothing"
	}
	return "a value of type " + v.Type().TypeName()
}
