package serve

import (
	"bytes"
	"encoding/json"
	"strconv"
	"strings"
	"unsafe"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/stixcel/stixcel/event"
	"github.com/stixcel/stixcel/source"
)

// Headers of event, match and reject messages.
const (
	// HeaderSource is the file (or collector) an event line came from; a message of lines
	// from several files has one value per file, in the order HeaderLine numbers them.
	HeaderSource = "Stixcel-Source"
	// HeaderLine is a line's 1-based number in its source. A message of several lines has
	// one comma-separated entry per line, "N" for line N of the first source or "S:N" for
	// line N of source S (0-based, in the order of the HeaderSource values); a single
	// number on a message of k lines numbers them N to N+k-1 of the first source.
	HeaderLine   = "Stixcel-Line"
	HeaderReason = "Stixcel-Reason" // why a parked line was rejected
	HeaderDetail = "Stixcel-Detail" // the rejection's message
	// HeaderSize is the full size in bytes of a parked line of which the message holds only
	// the first bytes (the line and its headers exceeded the server's maximum payload).
	HeaderSize = "Stixcel-Size"
	// HeaderStored is, on a match, when the events stream stored its event (RFC 3339): the
	// reference of the time-range rule, so that both stages give one verdict on every replay.
	HeaderStored = "Stixcel-Stored"
)

// decoder decodes the event lines of a message with their provenance, each as a file of
// that line alone would be read (event.DecodeLine: the Reader's limits and rejections),
// normalized or with a source profile, without copying it: an event may be backed by its
// message's bytes, which nothing writes to.
type decoder struct {
	dec   event.Decoder // nil: normalized; a profile's decoder is not safe for concurrent use
	lines []msgLine
}

func newDecoder(profile *source.Profile) *decoder {
	d := &decoder{}
	if profile != nil {
		d.dec = source.NewDecoder(profile)
	}
	return d
}

// msgLine is one line of a message and where it came from.
type msgLine struct {
	text []byte
	src  string
	line int
}

// decoded is a line of a message read: its event or its rejection, and its text.
type decoded struct {
	ev   *event.Event
	rej  *event.Rejection
	text []byte
}

// decode reads every line of msg (stream sequence seq) as an event at its provenance, in
// order, calling each for each line with the line's 0-based index; an error of each stops
// it. A bad line is a rejection; the lines after it go on.
func (d *decoder) decode(msg jetstream.Msg, seq uint64, each func(i, n int, l decoded) error) error {
	d.lines = splitLines(d.lines[:0], msg, seq)
	defer clear(d.lines)
	for i, ml := range d.lines {
		if err := each(i, len(d.lines), d.decodeLine(ml)); err != nil {
			return err
		}
	}
	return nil
}

// decodeLine reads one line as the event at its source and line. Each line is read as a
// file of that line alone is: a byte-order mark at its start is skipped, whichever line of
// whichever message it is, so that the verdict on a line is the line's alone, not that of
// the lines a decoder read before.
func (d *decoder) decodeLine(ml msgLine) decoded {
	ev, rej := event.DecodeLine(d.dec, unsafe.String(unsafe.SliceData(ml.text), len(ml.text)), ml.src, ml.line)
	return decoded{ev: ev, rej: rej, text: ml.text}
}

// splitLines appends the lines of msg to out with their provenance (lineSources). A message
// holds newline-separated lines (a final newline ends the last one; a trailing "\r" is
// dropped), or one JSON array of records as Fluent Bit's NATS output sends a flush: each
// element an object, or a [time, object] pair whose object is the line.
func splitLines(out []msgLine, msg jetstream.Msg, seq uint64) []msgLine {
	data := msg.Data()
	texts, ok := arrayRecords(data)
	if !ok {
		data = bytes.TrimSuffix(data, []byte("\n"))
		for {
			text, rest, more := bytes.Cut(data, []byte("\n"))
			out = append(out, msgLine{text: bytes.TrimSuffix(text, []byte("\r"))})
			if !more {
				break
			}
			data = rest
		}
	} else {
		for _, t := range texts {
			out = append(out, msgLine{text: t})
		}
	}
	lineSources(out, msg, seq)
	return out
}

// lineSources sets the source and line of each of lines, the lines of msg: from its headers
// when they number every line (HeaderLine); else a single line is cited as "<subject>" at
// the message's stream sequence, and line i of several as line i of "<subject>:<seq>".
func lineSources(lines []msgLine, msg jetstream.Msg, seq uint64) {
	h := msg.Headers()
	if srcs := h.Values(HeaderSource); len(srcs) > 0 && numberLines(lines, srcs, h.Get(HeaderLine)) {
		return
	}
	if len(lines) == 1 {
		lines[0].src, lines[0].line = "<"+msg.Subject()+">", int(seq)
		return
	}
	src := "<" + msg.Subject() + ">:" + strconv.FormatUint(seq, 10)
	for i := range lines {
		lines[i].src, lines[i].line = src, i+1
	}
}

// numberLines sets lines' sources and numbers from HeaderLine's value, reporting whether it
// numbers them all.
func numberLines(lines []msgLine, srcs []string, value string) bool {
	if n, err := strconv.Atoi(value); err == nil {
		for i := range lines {
			lines[i].src, lines[i].line = srcs[0], n+i
		}
		return true
	}
	if strings.Count(value, ",")+1 != len(lines) {
		return false
	}
	for i := range lines {
		var entry string
		entry, value, _ = strings.Cut(value, ",")
		s, n := 0, entry
		if sIdx, num, ok := strings.Cut(entry, ":"); ok {
			var err error
			if s, err = strconv.Atoi(sIdx); err != nil || s < 0 || s >= len(srcs) {
				return false
			}
			n = num
		}
		num, err := strconv.Atoi(n)
		if err != nil {
			return false
		}
		lines[i].src, lines[i].line = srcs[s], num
	}
	return true
}

// arrayRecords returns the records of data when it is one JSON array whose first element is
// an object or a [time, object] pair (Fluent Bit's NATS output): each element compacted to
// one line, the object of a pair. Other elements are kept as they are (a line the decoder
// rejects as not an object). ok is false for anything else: lines.
func arrayRecords(data []byte) (records [][]byte, ok bool) {
	trimmed := bytes.TrimLeft(data, " \t\r\n")
	if len(trimmed) == 0 || trimmed[0] != '[' {
		return nil, false
	}
	var elems []json.RawMessage
	if json.Unmarshal(trimmed, &elems) != nil || len(elems) == 0 {
		return nil, false
	}
	for i, e := range elems {
		rec := record(e)
		if i == 0 && (len(rec) == 0 || rec[0] != '{') {
			return nil, false
		}
		var buf bytes.Buffer
		if json.Compact(&buf, rec) != nil {
			return nil, false // cannot happen: Unmarshal checked it
		}
		records = append(records, buf.Bytes())
	}
	return records, true
}

// record is an array element's record: the object of a [time, object] pair, else itself.
func record(e json.RawMessage) json.RawMessage {
	if len(e) == 0 || e[0] != '[' {
		return e
	}
	var pair []json.RawMessage
	if json.Unmarshal(e, &pair) == nil && len(pair) == 2 && len(pair[1]) > 0 && pair[1][0] == '{' {
		return pair[1]
	}
	return e
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
