package winlog

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/stixcel/stixcel/internal/jsonl"
)

// errTooLarge is the error of a record whose JSON would be longer than a line may be: binary
// XML can repeat a template's tree inside itself, so that a small record stands for a huge one.
var errTooLarge = fmt.Errorf("the record's JSON is longer than %d bytes", jsonl.MaxLineBytes)

// appendRecord appends the JSON object of a record's root element: {"Event": {...}}, or
// returns errTooLarge (its work bounded by the size of a line).
func appendRecord(buf []byte, root *node) ([]byte, error) {
	start := len(buf)
	buf = append(buf, '{')
	buf = appendString(buf, root.name)
	buf = append(buf, ':')
	buf = appendElement(buf, root, true)
	if len(buf)-start > jsonl.MaxLineBytes {
		return buf[:start], errTooLarge
	}
	return append(buf, '}'), nil
}

// appendElement appends an element's JSON value as evtx_dump writes it: null when it is
// empty, its value when it has only text, else an object of "#attributes" (attributes with a
// value), its child elements by name, and "#text". A <Data Name="X"> child is keyed X and
// keeps only its text; the text of <Data> children without a name is gathered under
// "Data": {"#text": ...}. A name seen twice is suffixed _1, _2, ...
func appendElement(buf []byte, n *node, withAttrs bool) []byte {
	if len(buf) > jsonl.MaxLineBytes {
		return buf // too large already: appendRecord says so
	}
	var attrs []attr
	if withAttrs {
		for _, a := range n.attrs {
			if a.value != nil {
				attrs = append(attrs, a)
			}
		}
	}
	var texts []any
	hasElems := false
	for _, k := range n.kids {
		if _, ok := k.(*node); ok {
			hasElems = true
		} else {
			texts = append(texts, k)
		}
	}
	if len(attrs) == 0 && !hasElems {
		return appendText(buf, texts)
	}
	buf = append(buf, '{')
	o := object{buf: buf}
	if len(attrs) > 0 {
		o.key("#attributes")
		o.buf = append(o.buf, '{')
		for i, a := range attrs {
			if i > 0 {
				o.buf = append(o.buf, ',')
			}
			o.buf = appendString(o.buf, a.name)
			o.buf = append(o.buf, ':')
			o.buf = appendValue(o.buf, a.value)
		}
		o.buf = append(o.buf, '}')
	}
	o.children(n.kids)
	if len(texts) > 0 {
		o.key("#text")
		o.buf = appendText(o.buf, texts)
	}
	return append(o.buf, '}')
}

// object writes the members of a JSON object, keeping its keys unique.
type object struct {
	buf  []byte
	keys map[string]bool
	n    int
}

func (o *object) key(k string) {
	if o.keys == nil {
		o.keys = map[string]bool{}
	}
	name := k
	for i := 1; o.keys[name]; i++ {
		name = k + "_" + strconv.Itoa(i)
	}
	o.keys[name] = true
	if o.n > 0 {
		o.buf = append(o.buf, ',')
	}
	o.n++
	o.buf = appendString(o.buf, name)
	o.buf = append(o.buf, ':')
}

// children writes the child elements of kids.
func (o *object) children(kids []any) {
	var unnamed []any // the text of <Data> elements without a Name
	hasUnnamed := false
	for _, k := range kids {
		c, ok := k.(*node)
		if !ok {
			continue
		}
		if c.name == "Data" {
			if name, ok := dataName(c); ok {
				o.key(name)
				o.buf = appendElement(o.buf, c, false)
				continue
			}
			hasUnnamed = true
			unnamed = append(unnamed, textValue(c))
			continue
		}
		o.key(c.name)
		o.buf = appendElement(o.buf, c, true)
	}
	if hasUnnamed {
		o.key("Data")
		o.buf = append(o.buf, `{"#text":`...)
		if len(unnamed) == 1 {
			o.buf = appendValue(o.buf, unnamed[0])
		} else {
			o.buf = appendValue(o.buf, unnamed)
		}
		o.buf = append(o.buf, '}')
	}
}

// dataName is the Name attribute of a <Data> element.
func dataName(n *node) (string, bool) {
	for _, a := range n.attrs {
		if a.name == "Name" && a.value != nil {
			return textOf(a.value), true
		}
	}
	return "", false
}

// textValue is an element's text: one value keeps its type, several join as a string.
func textValue(n *node) any {
	var texts []any
	for _, k := range n.kids {
		if _, ok := k.(*node); !ok {
			texts = append(texts, k)
		}
	}
	switch len(texts) {
	case 0:
		return nil
	case 1:
		if s, ok := texts[0].(string); ok {
			return trimEnd(s)
		}
		return texts[0]
	}
	s := ""
	for _, t := range texts {
		s += textOf(t)
	}
	return trimEnd(s)
}

// appendText appends an element's text: one value keeps its type, several join as a string;
// text ends without white space, as evtx_dump writes it.
func appendText(buf []byte, texts []any) []byte {
	switch len(texts) {
	case 0:
		return append(buf, "null"...)
	case 1:
		if s, ok := texts[0].(string); ok {
			return appendString(buf, trimEnd(s))
		}
		return appendValue(buf, texts[0])
	}
	s := ""
	for _, t := range texts {
		s += textOf(t)
	}
	return appendString(buf, trimEnd(s))
}

func trimEnd(s string) string { return strings.TrimRight(s, " \t\r\n") }

func appendValue(buf []byte, v any) []byte {
	switch v := v.(type) {
	case nil:
		return append(buf, "null"...)
	case string:
		return appendString(buf, v)
	case int64:
		return strconv.AppendInt(buf, v, 10)
	case uint64:
		return strconv.AppendUint(buf, v, 10)
	case float64:
		if math.IsInf(v, 0) || math.IsNaN(v) {
			return appendString(buf, strconv.FormatFloat(v, 'g', -1, 64))
		}
		return strconv.AppendFloat(buf, v, 'g', -1, 64)
	case bool:
		return strconv.AppendBool(buf, v)
	case []any:
		buf = append(buf, '[')
		for i, x := range v {
			if i > 0 {
				buf = append(buf, ',')
			}
			buf = appendValue(buf, x)
		}
		return append(buf, ']')
	}
	return appendString(buf, textOf(v))
}

const hexDigits = "0123456789abcdef"

// appendString appends s as a JSON string; invalid UTF-8 becomes U+FFFD, as encoding/json
// does, and <, > and & are left as they are.
func appendString(buf []byte, s string) []byte {
	buf = append(buf, '"')
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case c == '"' || c == '\\':
				buf = append(buf, '\\', c)
			case c == '\n':
				buf = append(buf, '\\', 'n')
			case c == '\r':
				buf = append(buf, '\\', 'r')
			case c == '\t':
				buf = append(buf, '\\', 't')
			case c < 0x20:
				buf = append(buf, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			default:
				buf = append(buf, c)
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			buf = append(buf, "\ufffd"...)
		} else {
			buf = append(buf, s[i:i+size]...)
		}
		i += size
	}
	return append(buf, '"')
}
