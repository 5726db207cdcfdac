package runtime

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Reasons a line is rejected; ReadStats.Rejected counts by these.
const (
	ReasonEmptyLine        = "empty line"
	ReasonLineTooLong      = "line too long"
	ReasonInvalidJSON      = "invalid JSON"
	ReasonNotObject        = "not a JSON object"
	ReasonMissingTime      = "missing time"
	ReasonInvalidTime      = "invalid time"
	ReasonMissingLogSource = "missing log_source"
	ReasonInvalidLogSource = "invalid log_source"
)

// MaxLineBytes is the longest line a Reader accepts; longer lines are rejected as
// ReasonLineTooLong and skipped.
const MaxLineBytes = 64 << 20

// Rejection is a line that is not a valid normalized event.
type Rejection struct {
	File   string
	Line   int
	Reason string // one of the Reason constants
	Detail string // what exactly was wrong, may be empty
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

// Reader reads normalized events, one JSON object per line. Every line counts as read,
// including empty (whitespace-only) lines, which are rejected as ReasonEmptyLine so that
// Read == Processed + Rejected always holds; a final newline does not start a new line.
// A trailing "\r" is ignored.
//
// Events are backed by their line (NewRawEvent): Next validates the JSON and reads `time`
// and `log_source`, and the other fields are read when a plan reads them. Lines that do not
// read lazily exactly as encoding/json decodes them are decoded into Fields.
type Reader struct {
	name   string
	br     *bufio.Reader
	line   int
	stats  ReadStats
	buf    []byte
	fields bool
}

// ReaderOption configures a Reader.
type ReaderOption func(*Reader)

// DecodeFields makes the Reader decode every event into Fields, as callers that read
// Event.Fields need; by default events are backed by their line.
func DecodeFields(on bool) ReaderOption { return func(r *Reader) { r.fields = on } }

// NewReader reads JSONL events from r; name is the file name cited in events and rejections.
func NewReader(r io.Reader, name string, opts ...ReaderOption) *Reader {
	rd := &Reader{
		name:  name,
		br:    bufio.NewReaderSize(r, 64<<10),
		stats: ReadStats{Rejected: map[string]int64{}},
	}
	for _, o := range opts {
		o(rd)
	}
	return rd
}

// Next returns the next event, or the rejection of the next line. At the end of input it
// returns io.EOF; other errors come from the underlying reader.
func (r *Reader) Next() (*Event, *Rejection, error) {
	line, tooLong, err := r.readLine()
	if err != nil {
		return nil, nil, err
	}
	r.line++
	r.stats.Read++
	if tooLong {
		return nil, r.reject(ReasonLineTooLong, fmt.Sprintf("longer than %d bytes", MaxLineBytes)), nil
	}
	ev, rej := r.parse(line)
	if rej != nil {
		return nil, rej, nil
	}
	r.stats.Processed++
	return ev, nil, nil
}

// Stats returns the counts so far.
func (r *Reader) Stats() ReadStats {
	out := r.stats
	out.Rejected = make(map[string]int64, len(r.stats.Rejected))
	for k, v := range r.stats.Rejected {
		out.Rejected[k] = v
	}
	return out
}

// readLine returns the next line without its terminator. A line longer than MaxLineBytes is
// consumed and reported as tooLong. io.EOF means no more lines.
func (r *Reader) readLine() (line []byte, tooLong bool, err error) {
	r.buf = r.buf[:0]
	for {
		chunk, err := r.br.ReadSlice('\n')
		if !tooLong {
			if len(r.buf)+len(chunk) > MaxLineBytes+2 {
				tooLong = true
				r.buf = r.buf[:0]
			} else {
				r.buf = append(r.buf, chunk...)
			}
		}
		switch {
		case err == nil:
			return trimEOL(r.buf), tooLong, nil
		case errors.Is(err, bufio.ErrBufferFull):
			continue
		case errors.Is(err, io.EOF):
			if len(r.buf) == 0 && !tooLong && len(chunk) == 0 {
				return nil, false, io.EOF
			}
			return trimEOL(r.buf), tooLong, nil
		default:
			return nil, false, fmt.Errorf("%s: line %d: %w", r.name, r.line+1, err)
		}
	}
}

func trimEOL(b []byte) []byte {
	b = bytes.TrimSuffix(b, []byte("\n"))
	return bytes.TrimSuffix(b, []byte("\r"))
}

func (r *Reader) reject(reason, detail string) *Rejection {
	r.stats.Rejected[reason]++
	return &Rejection{File: r.name, Line: r.line, Reason: reason, Detail: detail}
}

func (r *Reader) parse(line []byte) (*Event, *Rejection) {
	if len(bytes.TrimSpace(line)) == 0 {
		return nil, r.reject(ReasonEmptyLine, "")
	}
	if !r.fields {
		if ev, ok := NewRawEvent(line); ok {
			return r.readRequired(ev)
		}
	}
	v, err := decodeJSON(line)
	if err != nil {
		return nil, r.reject(ReasonInvalidJSON, err.Error())
	}
	fields, ok := v.(map[string]any)
	if !ok {
		return nil, r.reject(ReasonNotObject, "got "+jsonKind(v))
	}
	at, rej := r.eventTime(fields)
	if rej != nil {
		return nil, rej
	}
	src, ok := fields["log_source"]
	if !ok || src == nil {
		return nil, r.reject(ReasonMissingLogSource, "")
	}
	logSource, ok := src.(string)
	if !ok || logSource == "" {
		return nil, r.reject(ReasonInvalidLogSource, "want a non-empty string, got "+jsonKind(src))
	}
	return &Event{Time: at, LogSource: logSource, Fields: fields, Source: r.name, Line: r.line}, nil
}

func (r *Reader) eventTime(fields map[string]any) (time.Time, *Rejection) {
	raw, ok := fields["time"]
	if !ok || raw == nil {
		return time.Time{}, r.reject(ReasonMissingTime, "")
	}
	s, ok := raw.(string)
	if !ok {
		return time.Time{}, r.reject(ReasonInvalidTime, "want an RFC 3339 string, got "+jsonKind(raw))
	}
	at, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, r.reject(ReasonInvalidTime, fmt.Sprintf("%q is not RFC 3339", s))
	}
	return at, nil
}

// readRequired reads `time` and `log_source` of a raw-backed event, with the same checks and
// messages as parse.
func (r *Reader) readRequired(ev *Event) (*Event, *Rejection) {
	var timeRaw, sourceRaw string
	for it := newMemberIter(ev.raw); ; {
		key, value, ok := it.next()
		if !ok {
			break
		}
		switch key {
		case "time":
			timeRaw = value
		case "log_source":
			sourceRaw = value
		}
	}
	if timeRaw == "" || timeRaw == "null" {
		return nil, r.reject(ReasonMissingTime, "")
	}
	if timeRaw[0] != '"' {
		return nil, r.reject(ReasonInvalidTime, "want an RFC 3339 string, got "+rawKind(timeRaw))
	}
	s := rawString(timeRaw)
	at, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return nil, r.reject(ReasonInvalidTime, fmt.Sprintf("%q is not RFC 3339", s))
	}
	if sourceRaw == "" || sourceRaw == "null" {
		return nil, r.reject(ReasonMissingLogSource, "")
	}
	if sourceRaw[0] != '"' || len(sourceRaw) == 2 {
		return nil, r.reject(ReasonInvalidLogSource, "want a non-empty string, got "+rawKind(sourceRaw))
	}
	ev.Time, ev.LogSource = at, rawString(sourceRaw)
	ev.Source, ev.Line = r.name, r.line
	return ev, nil
}

// rawString returns the string a quoted JSON string stands for: a substring when it holds
// no escapes.
func rawString(quoted string) string {
	body := quoted[1 : len(quoted)-1]
	if strings.IndexByte(body, '\\') < 0 {
		return body
	}
	return string(appendUnescaped(nil, body))
}

// decodeJSON decodes exactly one JSON value; whole numbers become int64, others float64.
func decodeJSON(line []byte) (any, error) {
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

// convertNumbers replaces json.Number: integer literals that fit become int64, the rest
// float64.
func convertNumbers(v any) any {
	switch t := v.(type) {
	case json.Number:
		if i, err := strconv.ParseInt(string(t), 10, 64); err == nil {
			return i
		}
		f, _ := t.Float64() // the decoder validated the literal; overflow gives ±Inf
		return f
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

func jsonKind(v any) string {
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
