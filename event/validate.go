package event

import (
	"slices"
	"unicode/utf8"

	"github.com/stixcel/stixcel/internal/jsonl"
)

// scanObject reads the top-level members of line and the length of its longest string in
// one pass, and reports whether line
// reads lazily with the same result as jsonl.Decode: it is one JSON object (surrounding white
// space allowed), valid JSON and valid UTF-8, and jsonl.Simple (brackets nest at most
// jsonl.MaxSimpleDepth deep, no \uDxxx escape, no run of more than 300 digits, no exponent of
// three digits or more). Lines it refuses take the slow path (encoding/json), so a false
// answer costs time, never a different result.
//
// It is the hot loop of reading events: before it, the same verdict took three passes
// (jsonl.Simple, utf8.Valid, gjson.ValidBytes) and every reader of the event's fields
// scanned its members once more.
//
// The members are gathered in a scratch array on the stack and copied out at their exact
// number: an event keeps one slice of the size it needs, and a line of a few dozen members
// no longer leaves the slices it outgrew behind as garbage.
func scanObject(line string) ([]member, int, bool) {
	var scratch [scanScratch]member
	members, longest, ok := scanMembers(line, scratch[:0])
	if !ok {
		return nil, 0, false
	}
	return slices.Clone(members), longest, true
}

// scanMembers is scanObject, the members appended to dst.
func scanMembers(line string, dst []member) ([]member, int, bool) {
	s := scanner{b: line}
	s.space()
	if s.i >= len(s.b) || s.b[s.i] != '{' {
		return nil, 0, false
	}
	members, ok := s.object(1, dst)
	if !ok {
		return nil, 0, false
	}
	s.space()
	if s.i != len(s.b) {
		return nil, 0, false
	}
	return members, s.longest, true
}

// scanScratch is how many members scanObject gathers before it spills them to the heap:
// Windows events have about 25.
const scanScratch = 48

// validObject is scanObject's verdict alone.
func validObject(line string) bool {
	_, _, ok := scanObject(line)
	return ok
}

// scanner is scanObject's cursor.
type scanner struct {
	b       string
	i       int
	longest int // the longest string's decoded length in bytes (escapes decoded)
}

// maxDigitRun is the longest run of digits a simple line holds (jsonl.Simple's bound).
const maxDigitRun = 300

func (s *scanner) space() {
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case ' ', '\t', '\r', '\n':
			s.i++
		default:
			return
		}
	}
}

// value checks the value at s.i, depth brackets deep already.
func (s *scanner) value(depth int) bool {
	if s.i >= len(s.b) {
		return false
	}
	switch c := s.b[s.i]; {
	case c == '{':
		if depth >= jsonl.MaxSimpleDepth {
			return false
		}
		_, ok := s.object(depth+1, nil)
		return ok
	case c == '[':
		return depth < jsonl.MaxSimpleDepth && s.array(depth+1)
	case c == '"':
		return s.string()
	case c == '-' || '0' <= c && c <= '9':
		return s.number()
	case c == 't':
		return s.literal("true")
	case c == 'f':
		return s.literal("false")
	case c == 'n':
		return s.literal("null")
	}
	return false
}

// object checks the object at s.i, depth brackets deep with its own; the members of the
// top-level object (depth 1) are appended to members, which it returns.
func (s *scanner) object(depth int, members []member) ([]member, bool) {
	s.i++ // {
	s.space()
	if s.i < len(s.b) && s.b[s.i] == '}' {
		s.i++
		return members, true
	}
	for {
		key := s.i
		if s.i >= len(s.b) || s.b[s.i] != '"' || !s.string() {
			return members, false
		}
		keyEnd := s.i
		s.space()
		if s.i >= len(s.b) || s.b[s.i] != ':' {
			return members, false
		}
		s.i++
		s.space()
		value := s.i
		if !s.value(depth) {
			return members, false
		}
		if depth == 1 {
			members = append(members, member{key: keyText(s.b[key:keyEnd]), raw: s.b[value:s.i]})
		}
		if more, ok := s.next('}'); !more {
			return members, ok
		}
	}
}

func (s *scanner) array(depth int) bool {
	s.i++ // [
	s.space()
	if s.i < len(s.b) && s.b[s.i] == ']' {
		s.i++
		return true
	}
	for {
		if !s.value(depth) {
			return false
		}
		if more, ok := s.next(']'); !more {
			return ok
		}
	}
}

// next moves past white space and then a comma (more: another element follows, after white
// space) or the closing bracket (ok: the object or array is complete).
func (s *scanner) next(closing byte) (more, ok bool) {
	s.space()
	if s.i >= len(s.b) {
		return false, false
	}
	switch s.b[s.i] {
	case ',':
		s.i++
		s.space()
		return true, true
	case closing:
		s.i++
		return false, true
	}
	return false, false
}

// plainString marks the bytes a string holds as they are: printable ASCII but the quote and
// the backslash.
var plainString = func() (t [256]bool) {
	for c := 0x20; c < 0x80; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

// string checks the string at s.i (its opening quote) and moves past its closing quote. It
// measures the string as decoded, so that a string's length is the same however the line
// escapes it (`\u00e9` and `é` are both two bytes).
func (s *scanner) string() bool {
	b, i := s.b, s.i+1
	saved := 0 // bytes the escapes take beyond what they decode to
	for {
		for i+8 <= len(b) && !mayEndPlain(load64(b, i)) {
			i += 8
		}
		for i < len(b) && plainString[b[i]] {
			i++
		}
		if i >= len(b) {
			return false
		}
		switch c := b[i]; {
		case c == '"':
			s.longest = max(s.longest, i-s.i-1-saved)
			s.i = i + 1
			return true
		case c == '\\':
			n, decoded, ok := escapeLen(b[i+1:])
			if !ok {
				return false
			}
			saved += 1 + n - decoded
			i += 1 + n
		case c < 0x20:
			return false
		default:
			r, size := utf8.DecodeRuneInString(b[i:])
			if r == utf8.RuneError && size <= 1 {
				return false
			}
			i += size
		}
	}
}

// load64 reads the eight bytes of s at i as a little-endian number (the compiler makes it one
// load).
func load64(s string, i int) uint64 {
	_ = s[i+7]
	return uint64(s[i]) | uint64(s[i+1])<<8 | uint64(s[i+2])<<16 | uint64(s[i+3])<<24 |
		uint64(s[i+4])<<32 | uint64(s[i+5])<<40 | uint64(s[i+6])<<48 | uint64(s[i+7])<<56
}

// mayEndPlain reports whether one of the eight bytes of w may not be plain string text (a
// control character, a quote, a backslash or a byte of a multi-byte character), eight bytes
// at a time: every such byte sets it, and when it is set the bytes are looked at one by one.
func mayEndPlain(w uint64) bool {
	const ones, highs = 0x0101010101010101, 0x8080808080808080
	below := func(x, n uint64) uint64 { return (x - ones*n) & ^x & highs } // a byte under n
	return (w&highs)|below(w, 0x20)|below(w^(ones*'"'), 1)|below(w^(ones*'\\'), 1) != 0
}

// escapeLen is the length of the escape after a backslash and the length in bytes of the
// UTF-8 it decodes to; \uDxxx (a possible surrogate) is not simple.
func escapeLen(b string) (n, decoded int, ok bool) {
	if len(b) == 0 {
		return 0, 0, false
	}
	switch b[0] {
	case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
		return 1, 1, true
	case 'u':
		if len(b) < 5 || b[1]|0x20 == 'd' {
			return 0, 0, false
		}
		r := rune(0)
		for i := 1; i < 5; i++ {
			v, ok := hexValue(b[i])
			if !ok {
				return 0, 0, false
			}
			r = r<<4 | v
		}
		return 5, utf8.RuneLen(r), true
	}
	return 0, 0, false
}

// hexValue is the value of a hexadecimal digit.
func hexValue(c byte) (rune, bool) {
	switch l := c | 0x20; {
	case '0' <= c && c <= '9':
		return rune(c - '0'), true
	case 'a' <= l && l <= 'f':
		return rune(l-'a') + 10, true
	}
	return 0, false
}

// number checks a JSON number: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?, with every
// run of digits at most maxDigitRun long and an exponent under 100 (leading zeros aside).
func (s *scanner) number() bool {
	if s.b[s.i] == '-' {
		s.i++
	}
	if s.i < len(s.b) && s.b[s.i] == '0' {
		s.i++
	} else if s.digits() == 0 {
		return false
	}
	if s.i < len(s.b) && s.b[s.i] == '.' {
		s.i++
		if s.digits() == 0 {
			return false
		}
	}
	if s.i < len(s.b) && s.b[s.i]|0x20 == 'e' {
		s.i++
		if s.i < len(s.b) && (s.b[s.i] == '+' || s.b[s.i] == '-') {
			s.i++
		}
		start := s.i
		for s.i < len(s.b) && s.b[s.i] == '0' {
			s.i++
		}
		zeros := s.i - start
		s.i = start
		n := s.digits()
		if n == 0 || n-zeros >= 3 {
			return false
		}
	}
	return true
}

// digits moves past a run of digits and returns its length, 0 (refusal) past maxDigitRun.
func (s *scanner) digits() int {
	start := s.i
	for s.i < len(s.b) && '0' <= s.b[s.i] && s.b[s.i] <= '9' {
		s.i++
	}
	if n := s.i - start; n <= maxDigitRun {
		return n
	}
	return 0
}

func (s *scanner) literal(word string) bool {
	if len(s.b)-s.i < len(word) || s.b[s.i:s.i+len(word)] != word {
		return false
	}
	s.i += len(word)
	return true
}
