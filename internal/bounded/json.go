package bounded

import (
	"bytes"
	"fmt"
)

// JSON checks a JSON document as it streams by, without parsing it: nesting no deeper
// than MaxDepth, and outside strings only bytes that JSON allows there. It does not check
// the grammar (the parser after it does), so it passes anything that is valid JSON and
// stops at the first byte of most that is not, with the offset, line and column of the
// byte. A leading UTF-8 byte order mark is skipped. The zero value is not usable: use
// NewJSON.
type JSON struct {
	file     string
	maxDepth int
	off      int64 // offset of the next byte
	line     int
	lineAt   int64 // offset where the current line starts
	depth    int
	inString bool
	escaped  bool // inside a string, the next byte is escaped
	bomBytes int  // bytes of a byte order mark read at the start
}

// NewJSON returns a checker for the JSON document of file, nested at most maxDepth deep.
func NewJSON(file string, maxDepth int) *JSON {
	return &JSON{file: file, maxDepth: maxDepth, line: 1}
}

// CheckJSON checks a whole JSON document in memory (see JSON).
func CheckJSON(file string, data []byte, maxDepth int) error {
	return NewJSON(file, maxDepth).Write(data)
}

// Write checks the next bytes of the document; the error is a *LimitError.
func (j *JSON) Write(p []byte) error {
	i := 0
	if j.off == int64(j.bomBytes) && j.bomBytes < len(bom) {
		var err error
		if i, err = j.skipBOM(p); err != nil {
			return err
		}
	}
	for i < len(p) {
		if j.inString {
			i = j.skipString(p, i)
			continue
		}
		switch jsonClass[p[i]] {
		case plain:
		case quote:
			j.inString = true
		case open:
			j.depth++
			if j.depth > j.maxDepth {
				return j.errorAt(p, i, fmt.Sprintf("JSON nested deeper than the depth limit of %d", j.maxDepth))
			}
		case closing:
			j.depth = max(0, j.depth-1)
		case newline:
			j.line++
			j.lineAt = j.off + int64(i) + 1
		default:
			err := j.errorAt(p, i, "not valid JSON: invalid character "+quoteByte(p[i]))
			err.Syntax = true
			return err
		}
		i++
	}
	j.off += int64(len(p))
	return nil
}

// skipBOM skips the bytes of p that continue a byte order mark at the start of the file,
// returning the index of the first other byte. A mark cut short is an error at its first
// byte, which JSON does not allow outside strings.
func (j *JSON) skipBOM(p []byte) (int, error) {
	i := 0
	for i < len(p) && j.bomBytes < len(bom) && p[i] == bom[j.bomBytes] {
		i++
		j.bomBytes++
	}
	switch {
	case j.bomBytes == len(bom):
		j.lineAt = int64(len(bom)) // columns do not count the mark
	case j.bomBytes > 0 && i < len(p):
		return i, &LimitError{File: j.file, Line: 1, Col: 1, Syntax: true, Msg: "not valid JSON: invalid character " + quoteByte(bom[0])}
	}
	return i, nil
}

// skipString moves past string bytes from p[i] to just after the closing quote, or to the
// end of p when the string goes on. It looks for the quote first and then for backslashes
// before it, so that each byte is looked at about once, with bytes.IndexByte.
func (j *JSON) skipString(p []byte, i int) int {
	if j.escaped {
		j.escaped = false
		i++
	}
	for i < len(p) {
		q := bytes.IndexByte(p[i:], '"')
		if q < 0 {
			q = len(p)
		} else {
			q += i
		}
		for {
			b := bytes.IndexByte(p[i:q], '\\')
			if b < 0 {
				break
			}
			i += b + 2 // the backslash and the byte it escapes
			if i > q {
				break
			}
		}
		switch {
		case i > len(p): // a backslash ends p: it escapes the first byte of the next
			j.escaped = true
			return len(p)
		case i > q: // the quote was escaped: look for the next
			continue
		case q == len(p):
			return len(p)
		}
		j.inString = false
		return q + 1
	}
	return i
}

// errorAt is the error at p[i].
func (j *JSON) errorAt(p []byte, i int, msg string) *LimitError {
	at := j.off + int64(i)
	return &LimitError{File: j.file, Offset: at, Line: j.line, Col: int(at-j.lineAt) + 1, Msg: msg}
}

// The classes of bytes outside strings.
const (
	invalid = iota
	plain   // whitespace, commas, colons, and the characters of numbers, true, false and null
	quote
	open
	closing
	newline
)

// jsonClass classes every byte as it stands outside a string.
var jsonClass = func() (class [256]uint8) {
	for _, c := range []byte(" \t\r,:0123456789+-.eEtrufalsn") {
		class[c] = plain
	}
	class['"'], class['\n'] = quote, newline
	class['['], class['{'], class[']'], class['}'] = open, open, closing, closing
	return class
}()

// quoteByte renders a byte for a message: 'x' for printable ASCII, '\x00' otherwise.
func quoteByte(c byte) string {
	if c >= 0x20 && c < 0x7f {
		return fmt.Sprintf("%q", rune(c))
	}
	return fmt.Sprintf(`'\x%02x'`, c)
}
