package runtime

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"
	"unsafe"

	"github.com/stixcel/stixcel/event"
	"github.com/stixcel/stixcel/internal/jsonl"
)

// Bounds of what an alert or hunt record shows of one event.
const (
	// MaxEvidenceFields is the most fields shown per event: the first of the channel's
	// plan.Channel.Fields, in their order.
	MaxEvidenceFields = 16
	// MaxEvidenceValue is the most bytes of a string (or of an object's or array's JSON text)
	// shown; a longer value is cut at a character boundary and its length given in Truncated.
	MaxEvidenceValue = 256
)

// Evidence is one contributing event: when it happened, where it was read, and the fields
// its channel's selector and predicate read (plan.Channel.Fields), as the event held them.
type Evidence struct {
	Time time.Time `json:"time"`
	// Source and Line cite the event: its file and line, or "<stdin>" and the line's
	// sequence number in the stream.
	Source string `json:"source"`
	Line   int    `json:"line"`
	// Fields are at most MaxEvidenceFields fields, in the channel's order; a field the event
	// lacks is left out. JSON writes them as one object, and the lengths of the values that
	// were cut as "truncated": {"name": length}.
	Fields EvidenceFields `json:"fields"`

	bytes int64 // the approximate memory Evidence holds, for the state budget
}

// EvidenceField is one field of an evidence event. Value is a string, int64, float64, bool,
// nil (JSON null) or json.RawMessage (a short object or array).
type EvidenceField struct {
	Name  string
	Value any
	// Cut is the length in bytes of a value cut to its first MaxEvidenceValue bytes, else 0.
	Cut int
}

// Truncated maps the name of each field whose value was cut to its length in bytes; nil
// when none was.
func (fs EvidenceFields) Truncated() map[string]int {
	var out map[string]int
	for _, f := range fs {
		if f.Cut > 0 {
			if out == nil {
				out = map[string]int{}
			}
			out[f.Name] = f.Cut
		}
	}
	return out
}

// EvidenceFields is written as one JSON object, its members in order.
type EvidenceFields []EvidenceField

// MarshalJSON writes {"name": value, ...} in order, without HTML escapes.
func (fs EvidenceFields) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	b.WriteByte('{')
	for i, f := range fs {
		if i > 0 {
			b.WriteByte(',')
		}
		if err := encodeJSON(enc, &b, f.Name); err != nil {
			return nil, err
		}
		b.WriteByte(':')
		if err := encodeJSON(enc, &b, f.Value); err != nil {
			return nil, fmt.Errorf("field %s: %w", f.Name, err)
		}
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// UnmarshalJSON reads an object back in its order (numbers as json.Number).
func (fs *EvidenceFields) UnmarshalJSON(data []byte) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return fmt.Errorf("evidence fields: want an object")
	}
	out := EvidenceFields{}
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return fmt.Errorf("evidence fields: %w", err)
		}
		var v any
		if err := dec.Decode(&v); err != nil {
			return fmt.Errorf("evidence field %v: %w", t, err)
		}
		out = append(out, EvidenceField{Name: t.(string), Value: v}) // Cut is in "truncated"
	}
	*fs = out
	return nil
}

// encodeJSON writes v with enc, which writes to b, without the encoder's newline.
func encodeJSON(enc *json.Encoder, b *bytes.Buffer, v any) error {
	if err := enc.Encode(v); err != nil {
		return err
	}
	b.Truncate(b.Len() - 1)
	return nil
}

// Approximate sizes for the state budget.
const (
	evidenceSize      = int64(unsafe.Sizeof(Evidence{})) + 16 // the struct and its pointer
	evidenceFieldSize = int64(unsafe.Sizeof(EvidenceField{}))
)

// newEvidence reads the fields at slots (named names) of the event v shows.
func newEvidence(ev *event.Event, v *event.FieldView, names []string, slots []int) *Evidence {
	e := &Evidence{Time: ev.Time, Source: ev.Source, Line: ev.Line}
	e.bytes = evidenceSize
	for k, slot := range slots {
		fv := v.Slot(slot)
		if fv.Kind() == event.KindMissing {
			continue
		}
		val, length := evidenceValue(fv)
		if e.Fields == nil {
			e.Fields = make(EvidenceFields, 0, len(slots)-k)
			e.bytes += int64(cap(e.Fields)) * evidenceFieldSize
		}
		e.Fields = append(e.Fields, EvidenceField{Name: names[k], Value: val, Cut: length})
		e.bytes += valueBytes(val)
	}
	if e.Fields == nil {
		e.Fields = EvidenceFields{}
	}
	return e
}

// size is the approximate memory e holds; nil holds none.
func (e *Evidence) size() int64 {
	if e == nil {
		return 0
	}
	return e.bytes
}

// valueBytes is the approximate memory of a field value beyond its interface: what it
// boxes, with the allocator's rounding up.
func valueBytes(v any) int64 {
	switch t := v.(type) {
	case string:
		return 16 + roundUp(int64(len(t)))
	case json.RawMessage:
		return 24 + roundUp(int64(len(t)))
	case nil, bool:
		return 0
	}
	return 8
}

// roundUp is n rounded up as Go's small size classes do, about to the next 1/8 of it.
func roundUp(n int64) int64 {
	if n <= 16 {
		return 16
	}
	step := int64(16)
	for step*8 < n {
		step *= 2
	}
	return (n + step - 1) / step * step
}

// evidenceValue is the value of a field as evidence keeps it — a copy, never a view into
// the event's line — and, when it was cut to MaxEvidenceValue bytes, its length.
func evidenceValue(fv *event.Field) (any, int) {
	switch fv.Kind() {
	case event.KindString:
		s, _ := fv.Str()
		return cutString(s)
	case event.KindNumber:
		return jsonl.Number(fv.Raw()), 0
	case event.KindBool:
		return fv.Raw() == "true", 0
	case event.KindNull:
		return nil, 0
	case event.KindComposite:
		return cutJSON(fv.Raw())
	}
	switch n := fv.Native().(type) {
	case string:
		return cutString(n)
	case nil, bool, int64, float64:
		return n, 0
	default:
		text, err := json.Marshal(n)
		if err != nil {
			return cutString(fmt.Sprint(n))
		}
		return cutJSON(string(text))
	}
}

// cutString copies s, cut to MaxEvidenceValue bytes at a character boundary; the length is
// that of s when it was cut, else 0.
func cutString(s string) (any, int) {
	if len(s) <= MaxEvidenceValue {
		return strings.Clone(s), 0
	}
	cut := MaxEvidenceValue
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return strings.Clone(s[:cut]), len(s)
}

// cutJSON keeps a short object or array as JSON, and a long one as the start of its text.
func cutJSON(text string) (any, int) {
	if len(text) <= MaxEvidenceValue {
		return json.RawMessage(text), 0
	}
	return cutString(text)
}
