package winlog

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"

	"golang.org/x/text/encoding/unicode"
	"golang.org/x/text/transform"

	"github.com/stixcel/stixcel/event"
	"github.com/stixcel/stixcel/internal/jsonl"
)

// Format is what an input holds, as its content shows.
type Format int

const (
	// FormatUnknown is content that is none of the others (Detect only; Lines reads it as
	// JSON lines, and rejects the lines that are not).
	FormatUnknown Format = iota
	FormatJSONLines
	FormatJSONStream // JSON objects not one per line: pretty-printed, in an array
	FormatEVTX
	FormatXML
)

func (f Format) String() string {
	switch f {
	case FormatJSONLines:
		return "JSON lines"
	case FormatJSONStream:
		return "JSON"
	case FormatEVTX:
		return "EVTX"
	case FormatXML:
		return "XML events"
	}
	return "unknown"
}

// sniffBytes is how much of an input Detect looks at, at most.
const sniffBytes = 4096

// bufferSize is the buffer of a Lines, as large as jsonl's, so that the line reader reuses it.
const bufferSize = 64 << 10

var gzipMagic = []byte{0x1f, 0x8b}

// Lines reads one input's records as JSON lines (see the package doc): an event.Reader
// reads it as it reads a JSON lines file. It is not safe for concurrent use.
type Lines struct {
	name    string
	br      *bufio.Reader
	src     interface{ Next() (jsonl.Line, error) }
	format  Format
	gzipped bool
}

// NewLines reads r, whose format is recognised at the first call of Next; name is the file
// name cited in errors.
func NewLines(r io.Reader, name string) *Lines {
	return &Lines{name: name, br: bufio.NewReaderSize(r, bufferSize)}
}

// Format is what the input holds (FormatUnknown before the first Next).
func (l *Lines) Format() Format { return l.format }

// Gzipped reports whether the input was compressed with gzip.
func (l *Lines) Gzipped() bool { return l.gzipped }

// Next returns the next record. At the end of input it returns io.EOF; other errors come from
// the underlying reader and name the file (a live input's event.ErrIdle among them, after which
// reading may go on).
func (l *Lines) Next() (jsonl.Line, error) {
	if l.src == nil {
		if err := l.start(); err != nil {
			return jsonl.Line{}, err
		}
	}
	return l.src.Next()
}

// start recognises the input, through gzip if it is compressed, and picks its reader.
func (l *Lines) start() error {
	head, err := l.br.Peek(len(gzipMagic))
	if bytes.Equal(head, gzipMagic) {
		zr, err := gzip.NewReader(waitIdle{l.br})
		if err != nil {
			return fmt.Errorf("%s: gzip: %w", l.name, err)
		}
		l.gzipped = true
		l.br = bufio.NewReaderSize(zr, bufferSize)
	} else if err != nil && !errors.Is(err, io.EOF) && len(head) == 0 {
		return err // nothing yet from a live input: look again at the next call
	}
	if head, _ := l.br.Peek(2); isUTF16BOM(head) {
		l.br = bufio.NewReaderSize(fromUTF16(waitIdle{l.br}), bufferSize)
	}
	format, err := detect(l.br)
	if err != nil {
		return err
	}
	l.format = format
	switch format { // only JSON lines can pause between records
	case FormatEVTX:
		l.src = newEVTXReader(waitIdle{l.br}, l.name)
	case FormatXML:
		l.src = newXMLReader(waitIdle{l.br}, l.name)
	case FormatJSONStream:
		l.src = newJSONStream(bufio.NewReader(waitIdle{l.br}), l.name)
	default:
		l.format = FormatJSONLines
		l.src = jsonl.NewReader(l.br, l.name)
	}
	return nil
}

// Detect says what the start of br holds, without consuming it: EVTX (its magic), gzip
// (gzipped true, format what the decompressed start holds), text in UTF-16 with a byte order
// mark (format what the text holds), XML (a '<' first, after a byte
// order mark and white space), JSON objects one per line ('{' first, and the first line
// holds a whole object) or otherwise (FormatJSONStream: '[' first, or an object over several
// lines, as evtx_dump prints), else FormatUnknown.
func Detect(br *bufio.Reader) (format Format, gzipped bool, err error) {
	head, err := br.Peek(len(gzipMagic))
	if err != nil && !errors.Is(err, io.EOF) && len(head) == 0 {
		return FormatUnknown, false, err
	}
	gzipped = bytes.Equal(head, gzipMagic)
	if !gzipped && !isUTF16BOM(head) {
		f, err := detect(br)
		return f, false, err
	}
	head, _ = br.Peek(br.Buffered())
	var inner io.Reader = bytes.NewReader(head)
	if gzipped {
		if inner, err = gzip.NewReader(inner); err != nil {
			return FormatUnknown, true, nil
		}
	}
	start, _ := io.ReadAll(io.LimitReader(inner, sniffBytes))
	if isUTF16BOM(start) {
		start, _ = io.ReadAll(fromUTF16(bytes.NewReader(start)))
	}
	f, _ := detect(bufio.NewReader(bytes.NewReader(start)))
	return f, gzipped, nil
}

// waitIdle reads through a live input's pauses (event.ErrIdle): the readers of EVTX, XML,
// gzip and UTF-16 cannot stop in the middle of a record and go on later, so a pause there is
// waited out, as a regular file's reads are.
type waitIdle struct{ r io.Reader }

func (w waitIdle) Read(p []byte) (int, error) {
	for {
		n, err := w.r.Read(p)
		if n > 0 || err == nil || !errors.Is(err, event.ErrIdle) {
			return n, err
		}
	}
}

// isUTF16BOM reports whether head starts with a UTF-16 byte order mark: text that Windows
// PowerShell 5 redirects to a file (wevtutil qe ... > events.xml).
func isUTF16BOM(head []byte) bool {
	return bytes.HasPrefix(head, []byte{0xff, 0xfe}) || bytes.HasPrefix(head, []byte{0xfe, 0xff})
}

// fromUTF16 reads UTF-16 text with a byte order mark as UTF-8.
func fromUTF16(r io.Reader) io.Reader {
	return transform.NewReader(r, unicode.BOMOverride(unicode.UTF8.NewDecoder()))
}

// detect peeks at br byte by byte as needed (a live input may have sent only one line).
// Content of no known format is EVTX still when its first chunk's magic is where it should
// be (a file whose header is damaged).
func detect(br *bufio.Reader) (Format, error) {
	for n := 1; ; n++ {
		head, err := br.Peek(n)
		f, done := classify(head, err != nil || n >= sniffBytes)
		if done && f == FormatUnknown {
			if head, _ := br.Peek(fileHeaderSize + len(chunkMagic)); bytes.HasSuffix(head, []byte(chunkMagic)) {
				return FormatEVTX, nil
			}
		}
		if done {
			return f, nil
		}
		if err != nil && !errors.Is(err, io.EOF) {
			return FormatUnknown, err
		}
	}
}

var utf8BOM = []byte("\xef\xbb\xbf")

// classify says what head starts; done is false when it needs more bytes (and atEnd is
// false: there are more to look at).
func classify(head []byte, atEnd bool) (Format, bool) {
	if len(head) > 0 && head[0] == 'E' {
		if len(head) < len(evtxMagic) && !atEnd {
			return FormatUnknown, false
		}
		if bytes.HasPrefix(head, []byte(evtxMagic)) {
			return FormatEVTX, true
		}
		return FormatUnknown, true
	}
	if bytes.HasPrefix(utf8BOM, head) && len(head) < len(utf8BOM) && !atEnd {
		return FormatUnknown, false
	}
	text := bytes.TrimPrefix(head, utf8BOM)
	trimmed := bytes.TrimLeft(text, " \t\r\n")
	if len(trimmed) == 0 {
		return FormatUnknown, atEnd
	}
	switch trimmed[0] {
	case '<':
		return FormatXML, true
	case '[':
		return FormatJSONStream, true
	case '{':
		// an object alone on its first line is pretty-printed
		rest := bytes.TrimLeft(trimmed[1:], " \t\r")
		if len(rest) == 0 && !atEnd {
			return FormatUnknown, false
		}
		if len(rest) > 0 && rest[0] == '\n' {
			return FormatJSONStream, true
		}
		return FormatJSONLines, true
	}
	if record := []byte("Record "); bytes.HasPrefix(record, trimmed) && !atEnd {
		return FormatUnknown, false
	} else if bytes.HasPrefix(trimmed, record) {
		return FormatJSONStream, true // evtx_dump's default output
	}
	return FormatUnknown, true
}
