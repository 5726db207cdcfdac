package runtime

import (
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

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

// Reject counts a rejected line (it does not count it as read) and describes it, with a
// copy of raw. Event readers other than Reader (source.Reader) account with it.
func (s *ReadStats) Reject(file string, line int, raw []byte, reason, detail string) *Rejection {
	if s.Rejected == nil {
		s.Rejected = map[string]int64{}
	}
	s.Rejected[reason]++
	return &Rejection{File: file, Line: line, Reason: reason, Detail: detail, Raw: append([]byte{}, raw...)}
}

// Reader reads normalized events, one JSON object per line. Every line counts as read and is
// then processed or rejected, so that Read == Processed + Rejected always holds. A line is
// rejected, with its file, line number and one of the Reason constants, when it is longer
// than MaxLineBytes (16 MiB), empty or white space only, not valid UTF-8, not valid JSON,
// not a JSON object, or without a valid `time` (an RFC 3339 string) or `log_source` (a
// non-empty string). A final newline does not start a new line; a trailing "\r" is ignored.
//
// Events are backed by their line (NewRawEvent): Next validates the JSON and reads `time`
// and `log_source`, and the other fields are read when a plan reads them. Lines that do not
// read lazily exactly as encoding/json decodes them are decoded into Fields.
type Reader struct {
	name   string
	lines  *jsonl.Reader
	stats  ReadStats
	fields bool
}

// ReaderOption configures a Reader.
type ReaderOption func(*Reader)

// DecodeFields makes the Reader decode every event into Fields, as callers that read
// Event.Fields need; by default events are backed by their line.
func DecodeFields(on bool) ReaderOption { return func(r *Reader) { r.fields = on } }

// NewReader reads JSONL events from r; name is the file name cited in events and rejections.
func NewReader(r io.Reader, name string, opts ...ReaderOption) *Reader {
	rd := &Reader{name: name, lines: jsonl.NewReader(r, name), stats: ReadStats{Rejected: map[string]int64{}}}
	for _, o := range opts {
		o(rd)
	}
	return rd
}

// Next returns the next event, or the rejection of the next line. At the end of input it
// returns io.EOF; other errors come from the underlying reader.
func (r *Reader) Next() (*Event, *Rejection, error) {
	line, err := r.lines.Next()
	if err != nil {
		return nil, nil, err
	}
	r.stats.Read++
	if line.Reason != "" {
		return nil, r.reject(line, line.Reason, line.Detail), nil
	}
	ev, reason, detail := r.parse(line.Text)
	if reason != "" {
		return nil, r.reject(line, reason, detail), nil
	}
	ev.Source, ev.Line = r.name, line.Number
	r.stats.Processed++
	return ev, nil, nil
}

// Stats returns the counts so far.
func (r *Reader) Stats() ReadStats { return r.stats.Clone() }

func (r *Reader) reject(line jsonl.Line, reason, detail string) *Rejection {
	return r.stats.Reject(r.name, line.Number, line.Text, reason, detail)
}

// parse reads one valid UTF-8, non-empty line; a non-empty reason rejects it.
func (r *Reader) parse(line []byte) (ev *Event, reason, detail string) {
	if !r.fields {
		if ev, ok := newRawEvent(line, true); ok {
			return readRequired(ev)
		}
	}
	v, err := jsonl.Decode(line)
	if err != nil {
		return nil, ReasonInvalidJSON, err.Error()
	}
	fields, ok := v.(map[string]any)
	if !ok {
		return nil, ReasonNotObject, "got " + jsonl.Kind(v)
	}
	at, reason, detail := eventTime(fields["time"])
	if reason != "" {
		return nil, reason, detail
	}
	src := fields["log_source"]
	if src == nil {
		return nil, ReasonMissingLogSource, ""
	}
	logSource, ok := src.(string)
	if !ok || logSource == "" {
		return nil, ReasonInvalidLogSource, "want a non-empty string, got " + jsonl.Kind(src)
	}
	return &Event{Time: at, LogSource: logSource, Fields: fields}, "", ""
}

// eventTime reads a decoded `time` value.
func eventTime(raw any) (at time.Time, reason, detail string) {
	if raw == nil {
		return time.Time{}, ReasonMissingTime, ""
	}
	s, ok := raw.(string)
	if !ok {
		return time.Time{}, ReasonInvalidTime, "want an RFC 3339 string, got " + jsonl.Kind(raw)
	}
	return parseTime(s)
}

func parseTime(s string) (at time.Time, reason, detail string) {
	at, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, ReasonInvalidTime, fmt.Sprintf("%q is not RFC 3339", s)
	}
	return at, "", ""
}

// readRequired reads `time` and `log_source` of a raw-backed event, with the same checks and
// messages as parse.
func readRequired(ev *Event) (*Event, string, string) {
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
		return nil, ReasonMissingTime, ""
	}
	if timeRaw[0] != '"' {
		return nil, ReasonInvalidTime, "want an RFC 3339 string, got " + rawKind(timeRaw)
	}
	at, reason, detail := parseTime(rawString(timeRaw))
	if reason != "" {
		return nil, reason, detail
	}
	if sourceRaw == "" || sourceRaw == "null" {
		return nil, ReasonMissingLogSource, ""
	}
	if sourceRaw[0] != '"' || len(sourceRaw) == 2 {
		return nil, ReasonInvalidLogSource, "want a non-empty string, got " + rawKind(sourceRaw)
	}
	ev.Time, ev.LogSource = at, rawString(sourceRaw)
	return ev, "", ""
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
