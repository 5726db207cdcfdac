package serve

import (
	"bytes"
	"io"
	"strconv"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/stixcel/stixcel/event"
	"github.com/stixcel/stixcel/source"
)

// Headers of event, match and reject messages.
const (
	HeaderSource = "Stixcel-Source" // the file (or collector) an event line came from
	HeaderLine   = "Stixcel-Line"   // its 1-based line number there
	HeaderReason = "Stixcel-Reason" // why a parked line was rejected
	HeaderDetail = "Stixcel-Detail" // the rejection's message
	// HeaderSize is the full size in bytes of a parked line of which the message holds only
	// the first bytes (the line and its headers exceeded the server's maximum payload).
	HeaderSize = "Stixcel-Size"
	// HeaderStored is, on a match, when the events stream stored its event (RFC 3339): the
	// reference of the time-range rule, so that both stages give one verdict on every replay.
	HeaderStored = "Stixcel-Stored"
)

// ReasonSeveralLines rejects a message holding more than one line: an event is one line.
const ReasonSeveralLines = "several lines in one message"

// decoder decodes single event lines with their provenance, through one event.Reader (its
// limits and rejections), normalized or with a source profile. The reader is kept across
// messages: it reads each message's line from a feed that holds exactly that line.
type decoder struct {
	feed   lineFeed
	reader *event.Reader
}

func newDecoder(profile *source.Profile) *decoder {
	d := &decoder{}
	var dec event.Decoder // nil: normalized; a profile's decoder is not safe for concurrent use
	if profile != nil {
		dec = source.NewDecoder(profile)
	}
	d.reader = event.NewReader(&d.feed, "", dec)
	return d
}

// decode reads the one line of msg as the event at the headers' source and line; a message
// without them is cited as "<subject>" and its stream sequence.
func (d *decoder) decode(msg jetstream.Msg) (*event.Event, *event.Rejection, error) {
	src, line := provenance(msg)
	data := bytes.TrimSuffix(bytes.TrimSuffix(msg.Data(), []byte("\n")), []byte("\r"))
	if bytes.IndexByte(data, '\n') >= 0 {
		return nil, &event.Rejection{File: src, Line: line, Reason: ReasonSeveralLines, Raw: msg.Data()}, nil
	}
	d.feed.set(data)
	ev, rej, err := d.reader.Next()
	if err != nil {
		return nil, nil, err
	}
	if rej != nil {
		rej.File, rej.Line = src, line
		return nil, rej, nil
	}
	ev.Source, ev.Line = src, line
	return ev, nil, nil
}

// lineFeed is an io.Reader that holds one line and its newline until set again.
type lineFeed struct {
	data []byte
	nl   bool // the newline is still to be read
}

func (f *lineFeed) set(line []byte) { f.data, f.nl = line, true }

func (f *lineFeed) Read(p []byte) (int, error) {
	n := copy(p, f.data)
	f.data = f.data[n:]
	if len(f.data) == 0 && f.nl && n < len(p) {
		p[n] = '\n'
		n++
		f.nl = false
	}
	if n == 0 {
		return 0, io.ErrNoProgress // a reader asked past the line: cannot happen
	}
	return n, nil
}

// provenance returns a message's source and line: its headers, else its subject and
// stream sequence.
func provenance(msg jetstream.Msg) (string, int) {
	h := msg.Headers()
	src := h.Get(HeaderSource)
	line, err := strconv.Atoi(h.Get(HeaderLine))
	if src != "" && err == nil {
		return src, line
	}
	if md, err := msg.Metadata(); err == nil {
		return "<" + msg.Subject() + ">", int(md.Sequence.Stream)
	}
	return "<" + msg.Subject() + ">", 0
}

// lineMsg is a message carrying one line with its provenance.
func lineMsg(subject string, data []byte, src string, line int) *nats.Msg {
	m := nats.NewMsg(subject)
	m.Data = data
	m.Header.Set(HeaderSource, src)
	m.Header.Set(HeaderLine, strconv.Itoa(line))
	return m
}

// rejectMsg parks a rejected line with its reason.
func rejectMsg(subject string, rej *event.Rejection) *nats.Msg {
	m := lineMsg(subject, rej.Raw, rej.File, rej.Line)
	m.Header.Set(HeaderReason, rej.Reason)
	m.Header.Set(HeaderDetail, rej.Detail)
	return m
}
