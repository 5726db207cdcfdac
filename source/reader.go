package source

import (
	"io"

	"github.com/stixcel/stixcel/internal/jsonl"
	"github.com/stixcel/stixcel/runtime"
)

// Reader reads raw JSONL and yields normalized events, like runtime.Reader does for
// normalized JSONL: every line counts as read and is either processed or rejected, so
// Read == Processed + Rejected. A line is rejected (with its file, line, a runtime.Reason*
// reason and a copy of the line) when it is longer than runtime.MaxLineBytes, empty, not
// valid UTF-8, not JSON, not a JSON object, or when the profile gives it no valid time or log
// source. A trailing "\r" is ignored.
type Reader struct {
	name  string
	lines *jsonl.Reader
	stats runtime.ReadStats
	norm  *normalizer
	lazy  bool
	view  *runtime.FieldView // the raw line, read on use (lazy)
}

// ReaderOption configures a Reader.
type ReaderOption func(*Reader)

// LazyEvents(true), the default, makes the Reader read lines without decoding them into
// maps: the profile reads the raw fields it needs from the line, and with keep_raw each event
// is backed by its line (runtime.NewRawEvent) with the profile's output fields as overrides,
// so that a plan reads the other fields only if it needs them; Event.Fields is then nil. With
// LazyEvents(false) every line is decoded into a map and keep_raw events hold their fields in
// Fields. The events are the same either way: read their fields with Event.Get or Event.Map.
func LazyEvents(on bool) ReaderOption { return func(r *Reader) { r.lazy = on } }

// NewReader reads raw JSONL from r through profile p; name is the file name cited in events
// and rejections.
func NewReader(r io.Reader, name string, p *Profile, opts ...ReaderOption) *Reader {
	rd := &Reader{
		name:  name,
		lines: jsonl.NewReader(r, name),
		stats: runtime.ReadStats{Rejected: map[string]int64{}},
		norm:  newNormalizer(p),
		lazy:  true,
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
	line, err := r.lines.Next()
	if err != nil {
		return nil, nil, err
	}
	r.stats.Read++
	if line.Reason != "" {
		return nil, r.reject(line, line.Reason, line.Detail), nil
	}
	ev, nerr := r.parse(line.Text)
	if nerr != nil {
		return nil, r.reject(line, nerr.Reason, nerr.Detail), nil
	}
	ev.Source, ev.Line = r.name, line.Number
	r.stats.Processed++
	return ev, nil, nil
}

// Stats returns the counts so far.
func (r *Reader) Stats() runtime.ReadStats { return r.stats.Clone() }

func (r *Reader) reject(line jsonl.Line, reason, detail string) *runtime.Rejection {
	return r.stats.Reject(r.name, line.Number, line.Text, reason, detail)
}

// parse reads one valid UTF-8, non-empty line.
func (r *Reader) parse(line []byte) (*runtime.Event, *NormalizeError) {
	if r.lazy {
		if ev, ok := runtime.NewRawEvent(line); ok {
			return r.parseLazy(ev)
		}
	}
	v, err := jsonl.Decode(line)
	if err != nil {
		return nil, &NormalizeError{Reason: runtime.ReasonInvalidJSON, Detail: err.Error()}
	}
	raw, ok := v.(map[string]any)
	if !ok {
		return nil, &NormalizeError{Reason: runtime.ReasonNotObject, Detail: "got " + jsonl.Kind(v)}
	}
	at, logSource, fields, nerr := r.norm.normalize(raw)
	if nerr != nil {
		return nil, nerr
	}
	return &runtime.Event{Time: at, LogSource: logSource, Fields: fields}, nil
}

// parseLazy normalizes a raw-backed event through the profile, reading the raw fields it
// needs from the line.
func (r *Reader) parseLazy(ev *runtime.Event) (*runtime.Event, *NormalizeError) {
	r.view.Reset(ev)
	at, logSource, nerr := r.norm.required(r.view)
	if nerr != nil {
		return nil, nerr
	}
	out := r.norm.outputs(at, logSource)
	if r.norm.p.KeepRaw {
		ev.Overrides = out
	} else {
		ev = &runtime.Event{Fields: overridesMap(out)}
	}
	ev.Time, ev.LogSource = at, logSource
	return ev, nil
}
