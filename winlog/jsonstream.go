package winlog

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/stixcel/stixcel/internal/jsonl"
)

// jsonStream reads JSON objects that are not one per line (evtx_dump's pretty output, with
// its "Record N" lines; a JSON array of objects) and gives each as one compact line, numbered
// by the line it starts on. Anything else between objects is rejected a line at a time.
type jsonStream struct {
	name string
	br   *bufio.Reader
	line int // lines read so far
	buf  []byte
	out  bytes.Buffer
}

func newJSONStream(br *bufio.Reader, name string) *jsonStream {
	return &jsonStream{name: name, br: br}
}

// Next returns the next object.
func (s *jsonStream) Next() (jsonl.Line, error) {
	for {
		c, err := s.br.ReadByte()
		if err != nil {
			return jsonl.Line{}, s.readErr(err)
		}
		switch c {
		case '\n':
			s.line++
		case ' ', '\t', '\r', ',', '[', ']':
		case '{':
			return s.object()
		default:
			_ = s.br.UnreadByte()
			if line, skip, err := s.other(); !skip || err != nil {
				return line, err
			}
		}
	}
}

func (s *jsonStream) readErr(err error) error {
	if errors.Is(err, io.EOF) {
		return io.EOF
	}
	return fmt.Errorf("%s: line %d: %w", s.name, s.line+1, err)
}

// object reads an object whose '{' was read, up to its matching '}'.
func (s *jsonStream) object() (jsonl.Line, error) {
	start := s.line + 1
	s.buf = append(s.buf[:0], '{')
	depth, inString, escaped, tooLong := 1, false, false, false
	for depth > 0 {
		c, err := s.br.ReadByte()
		if errors.Is(err, io.EOF) {
			return s.reject(start, "the input ends inside an object"), nil
		}
		if err != nil {
			return jsonl.Line{}, s.readErr(err)
		}
		if c == '\n' {
			s.line++
		}
		if len(s.buf) <= jsonl.MaxLineBytes {
			s.buf = append(s.buf, c)
		} else {
			tooLong = true
		}
		switch {
		case escaped:
			escaped = false
		case inString && c == '\\':
			escaped = true
		case c == '"':
			inString = !inString
		case inString:
		case c == '{' || c == '[':
			depth++
		case c == '}' || c == ']':
			depth--
		}
	}
	if tooLong {
		return s.reject(start, fmt.Sprintf("an object longer than %d bytes", jsonl.MaxLineBytes)), nil
	}
	s.out.Reset()
	if err := json.Compact(&s.out, s.buf); err != nil {
		return s.reject(start, err.Error()), nil
	}
	return jsonl.Line{Number: start, Text: s.out.Bytes()}, nil
}

// other reads a line that is not an object: evtx_dump's "Record N" lines are skipped, others
// rejected.
func (s *jsonStream) other() (line jsonl.Line, skip bool, err error) {
	text, err := s.br.ReadSlice('\n')
	if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, bufio.ErrBufferFull) {
		return jsonl.Line{}, false, s.readErr(err)
	}
	s.line++
	trimmed := bytes.TrimSpace(text)
	if bytes.HasPrefix(trimmed, []byte("Record ")) && len(trimmed) < 40 {
		return jsonl.Line{}, true, nil
	}
	s.buf = append(s.buf[:0], trimmed[:min(len(trimmed), 200)]...)
	line = jsonl.Line{Number: s.line, Text: s.buf, Reason: ReasonBadJSON, Detail: "not a JSON object"}
	for errors.Is(err, bufio.ErrBufferFull) { // the rest of a long line
		_, err = s.br.ReadSlice('\n')
	}
	return line, false, nil
}

func (s *jsonStream) reject(line int, why string) jsonl.Line {
	return jsonl.Line{Number: line, Text: s.buf[:min(len(s.buf), 200)], Reason: ReasonBadJSON, Detail: why}
}
