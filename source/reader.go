package source

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"

	"github.com/stixcel/stixcel/runtime"
)

// Reader reads raw JSONL and yields normalized events, like runtime.Reader does for
// normalized JSONL: every line counts as read and is either processed or rejected, so
// Read == Processed + Rejected. A line is rejected (with its file, line and a runtime.Reason*
// reason) when it is empty, longer than runtime.MaxLineBytes, not JSON, not a JSON object, or
// when the profile gives it no valid time or log source. A trailing "\r" is ignored.
type Reader struct {
	name  string
	br    *bufio.Reader
	line  int
	stats runtime.ReadStats
	buf   []byte
	norm  *normalizer
	lazy  bool
	view  *runtime.FieldView // the raw line, read on use (lazy)
}

// ReaderOption configures a Reader.
type ReaderOption func(*Reader)

// LazyEvents makes the Reader read lines without decoding them into maps: the profile reads
// the raw fields it needs from the line, and each event is backed by its line
// (runtime.NewRawEvent) with the profile's output fields as overrides, so that a plan reads
// the other fields only if it needs them. Event.Fields is then nil (read fields with
// Event.Get or Event.Map); without keep_raw, events hold the profile's fields in Fields as
// before. The events are the same either way.
func LazyEvents(on bool) ReaderOption { return func(r *Reader) { r.lazy = on } }

// NewReader reads raw JSONL from r through profile p; name is the file name cited in events
// and rejections.
func NewReader(r io.Reader, name string, p *Profile, opts ...ReaderOption) *Reader {
	rd := &Reader{
		name:  name,
		br:    bufio.NewReaderSize(r, 64<<10),
		stats: runtime.ReadStats{Rejected: map[string]int64{}},
		norm:  newNormalizer(p),
		view:  runtime.NewFieldView(),
	}
	for _, o := range opts {
		o(rd)
	}
	return rd
}

// Next returns the next event, or the rejection of the next line. At the end of input it
// returns io.EOF; other errors come from the underlying reader.
func (r *Reader) Next() (*runtime.Event, *runtime.Rejection, error) {
	line, tooLong, err := r.readLine()
	if err != nil {
		return nil, nil, err
	}
	r.line++
	r.stats.Read++
	if tooLong {
		return nil, r.reject(runtime.ReasonLineTooLong, fmt.Sprintf("longer than %d bytes", runtime.MaxLineBytes)), nil
	}
	ev, rej := r.parse(line)
	if rej != nil {
		return nil, rej, nil
	}
	r.stats.Processed++
	return ev, nil, nil
}

// Stats returns the counts so far.
func (r *Reader) Stats() runtime.ReadStats {
	out := r.stats
	out.Rejected = make(map[string]int64, len(r.stats.Rejected))
	for k, v := range r.stats.Rejected {
		out.Rejected[k] = v
	}
	return out
}

func (r *Reader) parse(line []byte) (*runtime.Event, *runtime.Rejection) {
	if len(bytes.TrimSpace(line)) == 0 {
		return nil, r.reject(runtime.ReasonEmptyLine, "")
	}
	if r.lazy {
		if ev, ok := runtime.NewRawEvent(line); ok {
			return r.parseLazy(ev)
		}
	}
	v, err := decodeJSON(line)
	if err != nil {
		return nil, r.reject(runtime.ReasonInvalidJSON, err.Error())
	}
	raw, ok := v.(map[string]any)
	if !ok {
		return nil, r.reject(runtime.ReasonNotObject, "got "+jsonKind(v))
	}
	at, logSource, fields, nerr := r.norm.normalize(raw)
	if nerr != nil {
		return nil, r.reject(nerr.Reason, nerr.Detail)
	}
	return &runtime.Event{Time: at, LogSource: logSource, Fields: fields, Source: r.name, Line: r.line}, nil
}

// parseLazy normalizes a raw-backed event through the profile, reading the raw fields it
// needs from the line.
func (r *Reader) parseLazy(ev *runtime.Event) (*runtime.Event, *runtime.Rejection) {
	r.view.Reset(ev)
	at, logSource, nerr := r.norm.required(r.view)
	if nerr != nil {
		return nil, r.reject(nerr.Reason, nerr.Detail)
	}
	out := r.norm.outputs(at, logSource)
	if r.norm.p.KeepRaw {
		ev.Overrides = out
	} else {
		ev = &runtime.Event{Fields: overridesMap(out)}
	}
	ev.Time, ev.LogSource, ev.Source, ev.Line = at, logSource, r.name, r.line
	return ev, nil
}

func (r *Reader) reject(reason, detail string) *runtime.Rejection {
	r.stats.Rejected[reason]++
	return &runtime.Rejection{File: r.name, Line: r.line, Reason: reason, Detail: detail}
}

// readLine returns the next line without its terminator, as runtime.Reader reads them. A
// line longer than runtime.MaxLineBytes is consumed and reported as tooLong. io.EOF means no
// more lines.
func (r *Reader) readLine() (line []byte, tooLong bool, err error) {
	r.buf = r.buf[:0]
	for {
		chunk, err := r.br.ReadSlice('\n')
		if !tooLong {
			if len(r.buf)+len(chunk) > runtime.MaxLineBytes+2 {
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
