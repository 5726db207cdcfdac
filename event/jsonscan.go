package event

import (
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/tidwall/gjson"

	"github.com/stixcel/stixcel/internal/jsonl"
)

// lazyReadable reports whether line can be read lazily with the same result as
// jsonl.Decode: a valid JSON object, valid UTF-8 (encoding/json replaces bad bytes) and
// jsonl.Simple (no surrogate escapes, shallow nesting). See validObject.
func lazyReadable(line []byte) bool { return validObject(line) }

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\r' || c == '\n' }

// member is one top-level member of a JSON object: its key (unescaped) and its value's text.
type member struct {
	key string
	raw string
}

// appendMembers appends the top-level members of the JSON object text s, which
// lazyReadable accepted, in order.
func appendMembers(dst []member, s string) []member {
	for it := newMemberIter(s); ; {
		key, value, ok := it.next()
		if !ok {
			return dst
		}
		dst = append(dst, member{key: key, raw: value})
	}
}

// memberIter walks the top-level members of a JSON object text that lazyReadable accepted.
// Keys are substrings of the text unless they hold escapes.
type memberIter struct {
	s string
	i int
}

func newMemberIter(s string) memberIter {
	i := skipSpace(s, 0)
	if i >= len(s) || s[i] != '{' {
		return memberIter{s: s, i: len(s)}
	}
	return memberIter{s: s, i: i + 1}
}

// next returns the next member's key and value text; ok is false after the last one.
func (it *memberIter) next() (key, value string, ok bool) {
	s := it.s
	for {
		it.i = skipSpace(s, it.i)
		if it.i >= len(s) || s[it.i] == '}' {
			it.i = len(s)
			return "", "", false
		}
		if s[it.i] != ',' {
			break
		}
		it.i++
	}
	end := stringEnd(s, it.i)
	key = keyText(s[it.i:end])
	i := skipSpace(s, end)
	if i < len(s) && s[i] == ':' {
		i++
	}
	i = skipSpace(s, i)
	vend := valueEnd(s, i)
	it.i = vend
	return key, s[i:vend], true
}

func skipSpace(s string, i int) int {
	for i < len(s) && isSpace(s[i]) {
		i++
	}
	return i
}

// stringEnd returns the index after the closing quote of the string starting at s[i].
func stringEnd(s string, i int) int {
	j := i + 1
	for j < len(s) {
		q := strings.IndexByte(s[j:], '"')
		if q < 0 {
			return len(s)
		}
		end := j + q
		// The quote closes the string unless an odd number of backslashes precede it.
		n := 0
		for k := end - 1; k >= j && s[k] == '\\'; k-- {
			n++
		}
		if n%2 == 0 {
			return end + 1
		}
		j = end + 1
	}
	return len(s)
}

// valueEnd returns the index after the JSON value starting at s[i].
func valueEnd(s string, i int) int {
	if i >= len(s) {
		return i
	}
	switch s[i] {
	case '"':
		return stringEnd(s, i)
	case '{', '[':
		depth := 0
		for j := i; j < len(s); j++ {
			switch s[j] {
			case '"':
				j = stringEnd(s, j) - 1
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return j + 1
				}
			}
		}
		return len(s)
	}
	j := i
	for j < len(s) && !isSpace(s[j]) && s[j] != ',' && s[j] != '}' && s[j] != ']' {
		j++
	}
	return j
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
