package jsonl

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"unicode/utf8"

	"github.com/tidwall/gjson"
)

// MaxSimpleDepth bounds the nesting of a Simple line: gjson conversion rescans each nested
// value (quadratic in depth), so deeper lines go through encoding/json.
const MaxSimpleDepth = 32

// Decode decodes exactly one JSON value: objects as map[string]any (the last of duplicate
// keys wins), arrays as []any, whole numbers that fit as int64, other numbers as float64
// (±Inf when they overflow), invalid UTF-8 and lone surrogate escapes replaced by U+FFFD, as
// encoding/json does. Errors are encoding/json's.
func Decode(line []byte) (any, error) {
	if utf8.Valid(line) && Simple(line) && gjson.ValidBytes(line) {
		return fromGJSON(gjson.ParseBytes(line), 32), nil
	}
	return decodeStd(line)
}

// DecodeValid converts a value that gjson parsed from a valid, Simple, UTF-8 text, giving
// what Decode gives for that text.
func DecodeValid(r gjson.Result) any { return fromGJSON(r, 0) }

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
		return Number(r.Raw)
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

// Simple reports whether brackets outside strings nest at most MaxSimpleDepth deep, no
// string holds a surrogate escape (\uD800-\uDFFF, which encoding/json and gjson read
// differently when alone), and no number could be too large for a float64 (more than
// maxNumberDigits digits in a row, or an exponent of three digits or more: encoding/json
// rejects 1e400, where parsing it alone gives +Inf, which no alert could be written with). Such a text, if valid JSON and UTF-8, reads the same with gjson
// or a scan of its members as with encoding/json. It skips through strings with IndexByte, so
// long values cost little.
func Simple(line []byte) bool { return simple(line, MaxSimpleDepth) }

func simple(line []byte, limit int) bool {
	depth, digits := 0, 0
	for i := 0; i < len(line); i++ {
		c := line[i]
		if '0' <= c && c <= '9' {
			if digits++; digits > maxNumberDigits {
				return false
			}
			continue
		}
		if (c == 'e' || c == 'E') && digits > 0 && bigExponent(line[i+1:]) {
			return false
		}
		digits = 0
		switch c {
		case '"':
			end, ok := stringEnd(line, i+1)
			if !ok {
				return false
			}
			i = end
		case '{', '[':
			depth++
			if depth > limit {
				return false
			}
		case '}', ']':
			depth--
		}
	}
	return true
}

// maxNumberDigits is the longest run of digits Simple lets through: float64 reaches 1.8e308.
const maxNumberDigits = 300

// bigExponent reports whether the exponent at the start of b (after the e) has three digits
// or more, leading zeros aside.
func bigExponent(b []byte) bool {
	if len(b) > 0 && (b[0] == '+' || b[0] == '-') {
		b = b[1:]
	}
	for len(b) > 0 && b[0] == '0' {
		b = b[1:]
	}
	n := 0
	for n < len(b) && '0' <= b[n] && b[n] <= '9' {
		n++
	}
	return n >= 3
}

// stringEnd returns the index of the quote that closes the string whose body starts at
// line[j]; ok is false at a surrogate escape.
func stringEnd(line []byte, j int) (int, bool) {
	for j < len(line) {
		q := bytes.IndexByte(line[j:], '"')
		if q < 0 {
			return len(line), true
		}
		b := bytes.IndexByte(line[j:j+q], '\\')
		if b < 0 {
			return j + q, true
		}
		j += b
		if j+2 < len(line) && line[j+1] == 'u' && line[j+2]|0x20 == 'd' {
			return 0, false
		}
		j += 2
	}
	return len(line), true
}

// Number converts a JSON number literal: int64 when it is whole and fits, else float64 (±Inf
// when it overflows).
func Number(lit string) any {
	if i, err := strconv.ParseInt(lit, 10, 64); err == nil {
		return i
	}
	f, _ := strconv.ParseFloat(lit, 64) // a valid literal; overflow gives ±Inf
	return f
}

// Kind describes a decoded value for messages: "null", "a string", "an object", ...
func Kind(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case bool:
		return "a boolean"
	case int64, float64:
		return "a number"
	case string:
		return "a string"
	case []any:
		return "an array"
	case map[string]any:
		return "an object"
	}
	return fmt.Sprintf("%T", v)
}

// decodeStd decodes with encoding/json, for the lines Decode does not give gjson.
func decodeStd(line []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(line))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, atColumn(line, err)
	}
	at := int(dec.InputOffset()) // the end of the value
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		for at < len(line) && isJSONSpace(line[at]) {
			at++
		}
		return nil, fmt.Errorf("trailing data after the JSON value at column %d", Column(line, at))
	}
	return convertNumbers(v)
}

// SyntaxError is an encoding/json syntax error in a line, with the 1-based column of the
// byte at fault.
type SyntaxError struct {
	Column int
	Err    *json.SyntaxError
}

func (e *SyntaxError) Error() string { return fmt.Sprintf("%s at column %d", e.Err, e.Column) }
func (e *SyntaxError) Unwrap() error { return e.Err }

// atColumn adds the column to a syntax error: encoding/json's Offset counts the bytes read,
// the bad one included.
func atColumn(line []byte, err error) error {
	var syntax *json.SyntaxError
	if !errors.As(err, &syntax) || syntax.Offset < 1 {
		return err
	}
	return &SyntaxError{Column: Column(line, int(syntax.Offset)-1), Err: syntax}
}

// Column is the 1-based column of line[i], counting characters (Unicode code points) as
// file:line:col positions do everywhere in stixcel.
func Column(line []byte, i int) int {
	return utf8.RuneCount(line[:min(max(i, 0), len(line))]) + 1
}

func isJSONSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\r' || c == '\n' }

// convertNumbers turns json.Numbers into int64 or float64, refusing a number too large for
// a float64 (as encoding/json does when it decodes into float64): it would be ±Inf, which
// no alert could be written with.
func convertNumbers(v any) (any, error) {
	switch t := v.(type) {
	case json.Number:
		n := Number(string(t))
		if f, ok := n.(float64); ok && math.IsInf(f, 0) {
			return nil, fmt.Errorf("number %s is out of range for a float64", clip(string(t)))
		}
		return n, nil
	case map[string]any:
		for k, e := range t {
			c, err := convertNumbers(e)
			if err != nil {
				return nil, err
			}
			t[k] = c
		}
	case []any:
		for i, e := range t {
			c, err := convertNumbers(e)
			if err != nil {
				return nil, err
			}
			t[i] = c
		}
	}
	return v, nil
}
