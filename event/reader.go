package event

import (
	"fmt"
	"io"
	"sort"

	"github.com/stixcel/stixcel/internal/jsonl"
)

// Reasons a line is rejected; ReadStats.Rejected counts by these.
const (
	ReasonEmptyLine        = jsonl.ReasonEmptyLine
	ReasonLineTooLong      = jsonl.ReasonLineTooLong
	ReasonInvalidUTF8      = jsonl.ReasonInvalidUTF8
	ReasonInvalidJSON      = "invalid JSON"
	ReasonNotObject        = "not a JSON object"
	ReasonMissingTime      = "missing time"
	ReasonInvalidTime      = "invalid time"
	ReasonMissingLogSource = "missing log_source"
	ReasonInvalidLogSource = "invalid log_source"
)

// MaxLineBytes is the longest line a Reader accepts (16 MiB, not counting the line's
// terminator); longer lines are rejected as ReasonLineTooLong and skipped.
const MaxLineBytes = jsonl.MaxLineBytes

// MaxRejectedRaw is how much of a rejected line Rejection.Raw keeps: all of it, except for a
// line longer than MaxLineBytes, of which it keeps the first MaxRejectedRaw bytes (1 MiB).
const MaxRejectedRaw = jsonl.KeptBytes

// Rejection is a line that is not a valid normalized event.
type Rejection struct {
	File   string
	Line   int
	Reason string // one of the Reason constants
	Detail string // what exactly was wrong, may be empty
	// Raw is a copy of the line without its terminator, to write rejected lines out verbatim
	// for replay; a line rejected as too long keeps only its first MaxRejectedRaw bytes.
	Raw []byte
}

// Error renders "file:line: reason: detail".
func (r *Rejection) Error() string {
	if r.Detail == "" {
		return fmt.Sprintf("%s:%d: %s", r.File, r.Line, r.Reason)
	}
	return fmt.Sprintf("%s:%d: %s: %s", r.File, r.Line, r.Reason, r.Detail)
}

// ReadStats accounts for every line read: Read == Processed + sum(Rejected).
type ReadStats struct {
	Read      int64
	Processed int64
	Rejected  map[string]int64 // by reason
}

// RejectedTotal is the number of rejected lines.
func (s ReadStats) RejectedTotal() int64 {
	var n int64
	for _, c := range s.Rejected {
		n += c
	}
	return n
}

// Reasons returns the rejection reasons seen, sorted.
func (s ReadStats) Reasons() []string {
	out := make([]string, 0, len(s.Rejected))
	for r := range s.Rejected {
		out = append(out, r)
	}
	sort.Strings(out)
	return out
}

// Clone returns a copy that does not share the Rejected map.
func (s ReadStats) Clone() ReadStats {
	out := s
	out.Rejected = make(map[string]int64, len(s.Rejected))
	for k, v := range s.Rejected {
		out.Rejected[k] = v
	}
	return out
}

// Add adds the counts of o.
func (s *ReadStats) Add(o ReadStats) {
	if s.Rejected == nil {
		s.Rejected = map[string]int64{}
	}
	s.Read += o.Read
	s.Processed += o.Processed
	for k, v := range o.Rejected {
		s.Rejected[k] += v
	}
}

// reject counts a rejected line (it does not count it as read) and describes it, with a
// copy of raw.
func (s *ReadStats) reject(file string, line int, raw []byte, reason, detail string) *Rejection {
	s.Rejected[reason]++
	return rejection(file, line, raw, reason, detail)
}

// rejection describes a rejected line, with a copy of raw.
func rejection(file string, line int, raw []byte, reason, detail string) *Rejection {
	return &Rejection{File: file, Line: line, Reason: reason, Detail: detail, Raw: append([]byte{}, raw...)}
}

// Invalid says why a line has no event: Reason is one of the Reason constants, Detail what
// exactly was wrong (may be empty).
type Invalid struct {
	Reason string
	Detail string
}

// Error renders "reason: detail".
func (e *Invalid) Error() string {
	if e.Detail == "" {
		return e.Reason
	}
	return e.Reason + ": " + e.Detail
}

// A Decoder turns one line into an event: Normalized for normalized JSONL (docs/events.md), a
// source profile (package event/source) for raw logs. The Reader hands it only lines that
// are non-empty, at most MaxLineBytes long and valid UTF-8; Decode returns the event with
// Time and LogSource set, or why the line has none. The Reader sets Source and Line. The
// line is the Reader's: Decode does not write to it, nor keep it once it returns.
type Decoder interface {
	Decode(line []byte) (*Event, *Invalid)
}

// A StringDecoder is a Decoder that can also decode a line given as a string that it may
// keep: DecodeString returns what Decode returns for the same text, but its events may be
// backed by line itself (NewRawString) instead of a copy. A chunked Reader (DecodeInChunks)
// hands its lines so to the decoders that have the method, each line a slice of a chunk
// that is never written again; others get the line as bytes and copy what they keep.
type StringDecoder interface {
	Decoder
	DecodeString(line string) (*Event, *Invalid)
}

// Reader reads events, one JSON object per line, through a Decoder. Every line counts as
// read and is then processed or rejected, so that Read == Processed + Rejected always holds.
// A line is rejected, with its file, line number and one of the Reason constants, when it is
// longer than MaxLineBytes (16 MiB), empty or white space only, not valid UTF-8, or when
// the decoder finds no event in it. A final newline does not start a new line; a trailing
// "\r" is ignored, and so is a UTF-8 byte order mark at the start of line 1. Messages give
// JSON errors with the 1-based column of the character at fault, and quote a bad value by
// at most its first 80 bytes and its length (jsonl.Quote), so that a 5 MB value is not
// echoed whole.
type Reader struct {
	name  string
	lines LineSource
	stats ReadStats
	dec   Decoder
	chunk *decodeChunk // set by DecodeInChunks
}

// NewReader reads JSONL events from r through dec (Normalized{} when nil); name is the file
// name cited in events and rejections.
func NewReader(r io.Reader, name string, dec Decoder) *Reader {
	return NewLineReader(jsonl.NewReader(r, name), name, dec)
}

// LineSource gives a Reader its lines: jsonl.Reader splits JSON lines; a reader of another
// format (winlog.Lines: EVTX, XML) gives its records as lines, numbered as it documents, and
// its damaged records as lines with a Reason, which the Reader counts as rejected.
type LineSource interface {
	Next() (jsonl.Line, error)
}

// NewLineReader reads events from lines through dec (Normalized{} when nil); name is the file
// name cited in events and rejections.
func NewLineReader(lines LineSource, name string, dec Decoder) *Reader {
	if dec == nil {
		dec = Normalized{}
	}
	return &Reader{name: name, lines: lines, stats: ReadStats{Rejected: map[string]int64{}}, dec: dec}
}

// Next returns the next event, or the rejection of the next line. At the end of input it
// returns io.EOF; other errors come from the underlying reader and name the file and line
// ("x.jsonl: line 3: read: is a directory").
func (r *Reader) Next() (*Event, *Rejection, error) {
	if r.chunk != nil {
		return r.nextChunked()
	}
	line, err := r.lines.Next()
	if err != nil {
		return nil, nil, err
	}
	r.stats.Read++
	if line.Reason != "" {
		return nil, r.reject(line, line.Reason, line.Detail), nil
	}
	ev, bad := r.dec.Decode(line.Text)
	if bad != nil {
		return nil, r.reject(line, bad.Reason, bad.Detail), nil
	}
	ev.Source, ev.Line, ev.lineBytes = r.name, line.Number, len(line.Text)
	r.stats.Processed++
	return ev, nil, nil
}

// Stats returns the counts so far.
func (r *Reader) Stats() ReadStats { return r.stats.Clone() }

func (r *Reader) reject(line jsonl.Line, reason, detail string) *Rejection {
	return r.stats.reject(r.name, line.Number, line.Text, reason, detail)
}

// DecodeLine decodes line as a Reader named file reading it as its whole input would, giving
// it number: the same event, or the same rejection (jsonl.LineOf's verdict, then the
// decoder's). A StringDecoder decodes a slice of line itself, so its event may be backed by
// line: the caller never writes to line's bytes. For a line that comes on its own (a
// message of a stream), without the two copies a Reader makes.
func DecodeLine(dec Decoder, line string, file string, number int) (*Event, *Rejection) {
	if dec == nil {
		dec = Normalized{}
	}
	l := jsonl.LineOf(bytesOf(line), number)
	if l.Reason != "" {
		return nil, rejection(file, l.Number, l.Text, l.Reason, l.Detail)
	}
	var ev *Event
	var bad *Invalid
	if sd, ok := dec.(StringDecoder); ok {
		ev, bad = sd.DecodeString(stringOf(l.Text)) // l.Text is a slice of line
	} else {
		ev, bad = dec.Decode(l.Text)
	}
	if bad != nil {
		return nil, rejection(file, l.Number, l.Text, bad.Reason, bad.Detail)
	}
	ev.Source, ev.Line, ev.lineBytes = file, l.Number, len(l.Text)
	return ev, nil
}
