package jsonl

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"unicode/utf8"
)

// MaxLineBytes is the longest line a Reader accepts, without its terminator. A 5 MB event is
// ordinary input; a longer line than this is rejected as ReasonLineTooLong.
const MaxLineBytes = 16 << 20

// KeptBytes is how much of a line longer than MaxLineBytes Reader keeps in Line.Text.
const KeptBytes = 1 << 20

// Reasons a Reader rejects a line; the event readers add their own.
const (
	ReasonEmptyLine   = "empty line"
	ReasonLineTooLong = "line too long"
	ReasonInvalidUTF8 = "invalid UTF-8"
)

// byteOrderMark is U+FEFF in UTF-8, which a Reader skips at the start of the input.
var byteOrderMark = []byte("\xef\xbb\xbf")

// Line is one line of input.
type Line struct {
	// Number is the line's 1-based number in its input.
	Number int
	// Text is the line without its terminator, valid until the next call to Next; for a line
	// rejected as too long, its first KeptBytes bytes.
	Text []byte
	// Reason is empty for a line to parse, else why the line is rejected; Detail may say
	// more.
	Reason string
	Detail string
}

// Reader splits input into lines. It is not safe for concurrent use.
type Reader struct {
	name string
	br   *bufio.Reader
	last int // number of the last line read
	buf  []byte
}

// NewReader reads lines from r; name is the file name cited in errors.
func NewReader(r io.Reader, name string) *Reader {
	return &Reader{name: name, br: bufio.NewReaderSize(r, 64<<10)}
}

// Next returns the next line. At the end of input it returns io.EOF; other errors come from
// the underlying reader and name the file and line.
func (r *Reader) Next() (Line, error) {
	text, tooLong, err := r.read()
	if err != nil {
		return Line{}, err
	}
	r.last++
	if r.last == 1 {
		text = bytes.TrimPrefix(text, byteOrderMark) // written by some Windows tools
	}
	return judged(Line{Number: r.last, Text: text}, tooLong), nil
}

// judged is line with its Reason and Detail set when it is rejected; tooLong says that it was
// longer than MaxLineBytes (Text then holds its first KeptBytes).
func judged(line Line, tooLong bool) Line {
	switch text := line.Text; {
	case tooLong:
		line.Reason = ReasonLineTooLong
		line.Detail = fmt.Sprintf("longer than %d bytes (only the first %d are kept)", MaxLineBytes, KeptBytes)
	case len(bytes.TrimSpace(text)) == 0:
		line.Reason = ReasonEmptyLine
	case !utf8.Valid(text):
		line.Reason = ReasonInvalidUTF8
		line.Detail = invalidUTF8Detail(text)
	}
	return line
}

// LineOf is what a Reader gives for text as the whole input, numbered number: text without
// a byte order mark at its start and one line terminator at its end ("\n", "\r\n", or a
// "\r" alone), with the Reader's verdict. Text is a slice of text: no copy. The caller is
// to give one line: text holds no "\n" but, perhaps, at its end.
func LineOf(text []byte, number int) Line {
	text = trimEOL(bytes.TrimPrefix(text, byteOrderMark))
	tooLong := len(text) > MaxLineBytes
	if tooLong {
		text = text[:KeptBytes]
	}
	return judged(Line{Number: number, Text: text}, tooLong)
}

// read returns the next line without its terminator; a line longer than MaxLineBytes is
// consumed, reported as tooLong and cut to KeptBytes. io.EOF means no more lines.
func (r *Reader) read() (text []byte, tooLong bool, err error) {
	r.buf = r.buf[:0]
	for {
		chunk, err := r.br.ReadSlice('\n')
		r.buf = append(r.buf, chunk[:min(len(chunk), r.room(tooLong))]...)
		if len(r.buf) > MaxLineBytes+len("\r\n") {
			tooLong = true
			r.buf = r.buf[:KeptBytes]
		}
		switch {
		case err == nil:
		case errors.Is(err, bufio.ErrBufferFull):
			continue
		case errors.Is(err, io.EOF):
			if len(r.buf) == 0 && !tooLong {
				return nil, false, io.EOF
			}
		default:
			return nil, false, r.readError(err)
		}
		text = trimEOL(r.buf)
		if len(text) > MaxLineBytes {
			tooLong, text = true, text[:KeptBytes]
		}
		return text, tooLong, nil
	}
}

// readError names the file and line of a read error, once: an os error's own copy of the
// path is dropped ("x.jsonl: line 1: read: is a directory", not "x.jsonl: line 1: read
// x.jsonl: is a directory").
func (r *Reader) readError(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return fmt.Errorf("%s: line %d: %s: %w", r.name, r.last+1, pe.Op, pe.Err)
	}
	return fmt.Errorf("%s: line %d: %w", r.name, r.last+1, err)
}

// room is how many more bytes the line buffer takes: one past the limit (with a terminator)
// to notice a long line, and nothing past KeptBytes once it is too long.
func (r *Reader) room(tooLong bool) int {
	if tooLong {
		return max(KeptBytes-len(r.buf), 0)
	}
	return MaxLineBytes + len("\r\n") + 1 - len(r.buf)
}

func trimEOL(b []byte) []byte {
	b = bytes.TrimSuffix(b, []byte("\n"))
	return bytes.TrimSuffix(b, []byte("\r"))
}

// invalidUTF8Detail names the first byte that is not valid UTF-8, with its 1-based column
// (in characters, as every column).
func invalidUTF8Detail(text []byte) string {
	for i := 0; i < len(text); {
		r, size := utf8.DecodeRune(text[i:])
		if r == utf8.RuneError && size <= 1 {
			return fmt.Sprintf("byte 0x%02x at column %d", text[i], Column(text, i))
		}
		i += size
	}
	return ""
}
