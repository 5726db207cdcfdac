package event

import (
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/tidwall/gjson"

	"github.com/stixcel/stixcel/internal/jsonl"
)

// member is one top-level member of a JSON object: its key (unescaped) and its value's text.
type member struct {
	key string
	raw string
}

// keyText unescapes a quoted key; keys without escapes stay substrings.
func keyText(quoted string) string {
	body := quoted[1 : len(quoted)-1]
	if strings.IndexByte(body, '\\') < 0 {
		return body
	}
	return string(appendUnescaped(nil, body))
}

// appendUnescaped appends the JSON string body s (without quotes) unescaped.
func appendUnescaped(dst []byte, s string) []byte {
	for i := 0; i < len(s); {
		c := s[i]
		if c != '\\' {
			j := strings.IndexByte(s[i:], '\\')
			if j < 0 {
				return append(dst, s[i:]...)
			}
			dst = append(dst, s[i:i+j]...)
			i += j
			continue
		}
		if i+1 >= len(s) {
			return dst
		}
		switch e := s[i+1]; e {
		case 'b':
			dst = append(dst, '\b')
		case 'f':
			dst = append(dst, '\f')
		case 'n':
			dst = append(dst, '\n')
		case 'r':
			dst = append(dst, '\r')
		case 't':
			dst = append(dst, '\t')
		case 'u':
			r := rune(utf8.RuneError)
			if i+6 <= len(s) {
				if n, err := strconv.ParseUint(s[i+2:i+6], 16, 32); err == nil {
					r = rune(n)
				}
			}
			if utf16.IsSurrogate(r) {
				r = utf8.RuneError
			}
			dst = utf8.AppendRune(dst, r)
			i += 6
			continue
		default: // '"', '\\', '/'
			dst = append(dst, e)
		}
		i += 2
	}
	return dst
}

// rawNative decodes the JSON value text raw, from a line lazyReadable accepted, into the Go
// value jsonl.Decode gives.
func rawNative(raw string) any {
	if raw == "" {
		return nil
	}
	switch raw[0] {
	case '"':
		return string(appendUnescaped(nil, raw[1:len(raw)-1]))
	case 't':
		return true
	case 'f':
		return false
	case 'n':
		return nil
	case '{', '[':
		return jsonl.DecodeValid(gjson.Parse(raw))
	}
	return jsonl.Number(raw)
}

// rawKind describes a JSON value text as jsonl.Kind describes decoded values.
func rawKind(raw string) string {
	if raw == "" {
		return "null"
	}
	switch raw[0] {
	case '"':
		return "a string"
	case 't', 'f':
		return "a boolean"
	case 'n':
		return "null"
	case '{':
		return "an object"
	case '[':
		return "an array"
	}
	return "a number"
}
