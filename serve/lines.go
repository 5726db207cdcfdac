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
)

// decoder decodes single event lines with their provenance, through the one event.Reader
// (its limits and rejections), normalized or with a source profile.
type decoder struct {
	profile *source.Profile // nil: normalized events
	dec     event.Decoder   // one per decoder: a profile's decoder is not safe for concurrent use
}

func newDecoder(profile *source.Profile) *decoder {
	d := &decoder{profile: profile}
	if profile != nil {
		d.dec = source.NewDecoder(profile)
	}
	return d
}

// decode reads the one line of msg as the event at the headers' source and line; a message
// without them is cited as "<subject>" and its stream sequence.
func (d *decoder) decode(msg jetstream.Msg) (*event.Event, *event.Rejection, error) {
	src, line := provenance(msg)
	r := event.NewReader(bytes.NewReader(msg.Data()), src, d.dec)
	ev, rej, err := r.Next()
	if err == io.EOF { // an empty message is an empty line
		return nil, &event.Rejection{File: src, Line: line, Reason: event.ReasonEmptyLine, Detail: "empty message"}, nil
	}
	if err != nil {
		return nil, nil, err
	}
	if rej != nil {
		rej.Line = line
		return nil, rej, nil
	}
	ev.Line = line
	return ev, nil, nil
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
