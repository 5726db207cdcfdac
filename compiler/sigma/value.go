package sigma

import (
	"strconv"
	"strings"

	"github.com/stixcel/stixcel/diag"
)

// ValueKind is the YAML type of a value.
type ValueKind int

const (
	KindString ValueKind = iota // a string: Raw as written, Pattern parsed
	KindInt                     // an integer: Int
	KindFloat                   // a floating-point number: Float
	KindBool                    // true or false: Bool
	KindNull                    // null: the field is absent or null
)

var valueKindNames = [...]string{"string", "integer", "number", "boolean", "null"}

func (k ValueKind) String() string { return valueKindNames[k] }

// SegmentKind says what one part of a string pattern matches.
type SegmentKind int

const (
	SegLiteral   SegmentKind = iota // Text, as is
	SegAnyString                    // `*`: any run of characters, empty included
	SegAnyChar                      // `?`: exactly one character
)

// Segment is one part of a string value's pattern.
type Segment struct {
	Kind SegmentKind
	Text string // for SegLiteral only
}

// Value is one value of a field matcher or keyword search.
type Value struct {
	Kind  ValueKind
	Raw   string // the value as YAML decoded it (numbers and booleans as written)
	Int   int64
	Float float64
	Bool  bool
	// Pattern is a string value with its wildcards and escapes resolved: literal segments
	// and wildcards, adjacent literals joined. Nil for non-strings and for values of a
	// matcher whose modifiers make them something other than a wildcard pattern (re, cidr,
	// fieldref, expand).
	Pattern []Segment
	Pos     diag.Pos
}

// IsNumber reports whether v is an integer or floating-point number.
func (v Value) IsNumber() bool { return v.Kind == KindInt || v.Kind == KindFloat }

// HasWildcards reports whether v's pattern holds a `*` or `?` wildcard.
func (v Value) HasWildcards() bool {
	for _, s := range v.Pattern {
		if s.Kind != SegLiteral {
			return true
		}
	}
	return false
}

// Literal returns the text of a pattern without wildcards; ok is false when it has some.
func (v Value) Literal() (string, bool) {
	var b strings.Builder
	for _, s := range v.Pattern {
		if s.Kind != SegLiteral {
			return "", false
		}
		b.WriteString(s.Text)
	}
	return b.String(), true
}

// PatternString renders v's pattern back in Sigma's syntax: wildcards bare, and `*`, `?`
// and a backslash before them escaped.
func (v Value) PatternString() string {
	var b strings.Builder
	for _, s := range v.Pattern {
		switch s.Kind {
		case SegAnyString:
			b.WriteByte('*')
		case SegAnyChar:
			b.WriteByte('?')
		default:
			b.WriteString(escapeLiteral(s.Text))
		}
	}
	return b.String()
}

// escapeLiteral escapes wildcards in text, and a backslash where the next character would
// otherwise read it as an escape.
func escapeLiteral(text string) string {
	var b strings.Builder
	for i := 0; i < len(text); i++ {
		c := text[i]
		switch {
		case c == '*' || c == '?':
			b.WriteByte('\\')
		case c == '\\' && (i+1 == len(text) || strings.IndexByte(`*?\`, text[i+1]) >= 0):
			b.WriteByte('\\')
		}
		b.WriteByte(c)
	}
	return b.String()
}

// ParsePattern parses a Sigma string into literal segments and wildcards: `*` and `?` are
// wildcards, a backslash before `*`, `?` or a backslash escapes it, and any other backslash
// is itself (specification, "Escape Character").
func ParsePattern(raw string) []Segment {
	var segs []Segment
	var lit strings.Builder
	flush := func() {
		if lit.Len() > 0 {
			segs = append(segs, Segment{Kind: SegLiteral, Text: lit.String()})
			lit.Reset()
		}
	}
	for i := 0; i < len(raw); i++ {
		c := raw[i]
		switch {
		case c == '\\' && i+1 < len(raw) && strings.IndexByte(`*?\`, raw[i+1]) >= 0:
			i++
			lit.WriteByte(raw[i])
		case c == '*' || c == '?':
			flush()
			kind := SegAnyString
			if c == '?' {
				kind = SegAnyChar
			}
			segs = append(segs, Segment{Kind: kind})
		default:
			lit.WriteByte(c)
		}
	}
	flush()
	return segs
}

// literalValue is a string value matching text exactly, at pos.
func literalValue(text string, pos diag.Pos) Value {
	v := Value{Kind: KindString, Raw: escapeLiteral(text), Pos: pos}
	if text != "" {
		v.Pattern = []Segment{{Kind: SegLiteral, Text: text}}
	}
	return v
}

// stringValue is a string value as written, its pattern parsed.
func stringValue(raw string, pos diag.Pos) Value {
	return Value{Kind: KindString, Raw: raw, Pattern: ParsePattern(raw), Pos: pos}
}

// numberValue parses an integer or float as written; ok is false for neither.
func numberValue(raw string, pos diag.Pos) (Value, bool) {
	if i, err := strconv.ParseInt(strings.ReplaceAll(raw, "_", ""), 0, 64); err == nil {
		return Value{Kind: KindInt, Raw: raw, Int: i, Float: float64(i), Pos: pos}, true
	}
	if f, err := strconv.ParseFloat(raw, 64); err == nil {
		return Value{Kind: KindFloat, Raw: raw, Float: f, Pos: pos}, true
	}
	return Value{}, false
}
