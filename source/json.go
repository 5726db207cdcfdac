package source

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"strconv"
	"unicode/utf8"

	"github.com/tidwall/gjson"
)

// maxFastDepth bounds the nesting of a line decoded with gjson, whose conversion rescans each
// nested value (quadratic in depth); deeper lines go through encoding/json.
const maxFastDepth = 32

// decodeJSON decodes exactly one JSON value; whole numbers that fit become int64, other
// numbers float64 (as runtime.Reader decodes events). Most lines are decoded with gjson, about
// twice as fast as encoding/json with a third of the allocations; invalid lines and the rare
// ones gjson would decode differently go through encoding/json, whose errors say what is wrong.
func decodeJSON(line []byte) (any, error) {
	if fastPath(line) && gjson.ValidBytes(line) {
		return fromGJSON(gjson.ParseBytes(line), 32), nil
	}
	return decodeStd(line)
}

// fastPath reports whether gjson decodes line as encoding/json does, and fast: valid UTF-8
// (encoding/json replaces bad bytes), no surrogate escapes (gjson mishandles a lone one),
// shallow nesting.
func fastPath(line []byte) bool {
	return utf8.Valid(line) &&
		!bytes.Contains(line, []byte(`\ud`)) && !bytes.Contains(line, []byte(`\uD`)) &&
		shallow(line, maxFastDepth)
}

// shallow reports whether brackets outside strings nest at most limit deep.
func shallow(line []byte, limit int) bool {
	depth, inString, escaped := 0, false, false
	for _, c := range line {
		switch {
		case escaped:
			escaped = false
		case inString:
			escaped = c == '\\'
			inString = c != '"'
		case c == '"':
			inString = true
		case c == '{' || c == '[':
			depth++
			if depth > limit {
				return false
			}
		case c == '}' || c == ']':
			depth--
		}
	}
	return true
}

// fromGJSON converts a parsed value; sizeHint sizes an object's map.
func fromGJSON(r gjson.Result, sizeHint int) any {
	switch r.Type {
	case gjson.Null:
		return nil
	case gjson.False:
		return false
	case gjson.True:
		return true
	case gjson.String:
		return r.Str
	case gjson.Number:
		return number(r.Raw)
	}
	if r.IsArray() {
		out := []any{}
		r.ForEach(func(_, v gjson.Result) bool {
			out = append(out, fromGJSON(v, 0))
			return true
		})
		return out
	}
	out := make(map[string]any, sizeHint)
	r.ForEach(func(k, v gjson.Result) bool {
		out[k.Str] = fromGJSON(v, 0)
		return true
	})
	return out
}

// number converts a JSON number literal: int64 when it is whole and fits, else float64
// (±Inf when it overflows).
func number(lit string) any {
	if i, err := strconv.ParseInt(lit, 10, 64); err == nil {
		return i
	}
	f, _ := strconv.ParseFloat(lit, 64) // a valid literal; overflow gives ±Inf
	return f
}

// decodeStd decodes with encoding/json, for the lines decodeJSON does not take the fast way.
func decodeStd(line []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(line))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, errors.New("trailing data after the JSON value")
	}
	return convertNumbers(v), nil
}

func convertNumbers(v any) any {
	switch t := v.(type) {
	case json.Number:
		return number(string(t))
	case map[string]any:
		for k, e := range t {
			t[k] = convertNumbers(e)
		}
		return t
	case []any:
		for i, e := range t {
			t[i] = convertNumbers(e)
		}
		return t
	}
	return v
}
