package serve

import (
	"strconv"

	"github.com/nats-io/nats.go"
)

// Defaults of PublishOptions.MaxLines and MaxBytes.
const (
	DefaultMaxLines = 1000
	DefaultMaxBytes = 1 << 20 // the server's default maximum payload
)

// packer packs event lines, in order, into messages of at most maxLines lines and maxBytes
// bytes, headers and message id included: newline-separated, their provenance in HeaderSource
// (one value per file) and HeaderLine (one entry per line). A message of one line is the
// message of one line per message (HeaderLine a number); a line too large for maxBytes goes
// alone.
type packer struct {
	subject  string
	maxLines int
	maxBytes int64

	data     []byte
	sources  []string
	index    map[string]int // sources' positions
	entries  []byte         // HeaderLine's value
	lines    int
	firstSrc string
	first    int
	header   int64 // the bytes of the headers so far, as msgSize counts them
}

func newPacker(subject string, maxLines int, maxBytes int64) *packer {
	p := &packer{subject: subject, maxLines: max(maxLines, 1), maxBytes: maxBytes}
	p.reset()
	return p
}

// reset starts a message, its buffer taking maxBytes at once (grown line by line, it was
// copied over and over).
func (p *packer) reset() {
	p.data, p.sources, p.entries, p.lines = make([]byte, 0, min(p.maxBytes, 64<<20)), nil, nil, 0
	p.index = map[string]int{}
	p.header = int64(len("NATS/1.0\r\n") + len("\r\n") + len(HeaderLine) + len(": \r\n"))
}

// add packs line (a string: an event's raw text is one, uncopied), line n of src, and returns the message it completed, if any (with its
// message id): the one in progress when line does not fit in it, or the one line completed.
// At most one message is returned: a full one is returned as soon as it is full.
func (p *packer) add(line string, src string, n int) (full *nats.Msg, id string, lines int) {
	if p.lines > 0 && !p.fits(line, src, n) {
		full, id, lines = p.take()
	}
	p.append(line, src, n)
	if p.lines >= p.maxLines {
		if full != nil {
			panic("serve: packer: two messages at once") // maxLines ≥ 1 and an empty message takes one line
		}
		full, id, lines = p.take()
	}
	return full, id, lines
}

// fits reports whether line, line n of src, fits in the message in progress.
func (p *packer) fits(line string, src string, n int) bool {
	size := int64(len(p.data)+1+len(line)) + p.header + int64(len(entry(p.sourceIndex(src), n))+1)
	if _, ok := p.index[src]; !ok {
		size += int64(len(HeaderSource) + len(": \r\n") + len(src))
	}
	return size+idRoom <= p.maxBytes
}

// sourceIndex is src's position among the message's sources, or the one it would take.
func (p *packer) sourceIndex(src string) int {
	if i, ok := p.index[src]; ok {
		return i
	}
	return len(p.sources)
}

// entry is HeaderLine's entry for line n of source s.
func entry(s, n int) string {
	if s == 0 {
		return strconv.Itoa(n)
	}
	return strconv.Itoa(s) + ":" + strconv.Itoa(n)
}

func (p *packer) append(line string, src string, n int) {
	s := p.sourceIndex(src)
	if s == len(p.sources) {
		p.index[src] = s
		p.sources = append(p.sources, src)
		p.header += int64(len(HeaderSource) + len(": \r\n") + len(src))
	}
	if p.lines > 0 {
		p.data = append(p.data, '\n')
		p.entries = append(p.entries, ',')
		p.header++
	} else {
		p.firstSrc, p.first = src, n
	}
	e := entry(s, n)
	p.data = append(p.data, line...)
	p.entries = append(p.entries, e...)
	p.header += int64(len(e))
	p.lines++
}

// take returns the message in progress, if any, with its message id and its number of
// lines: the id is the file:line of its first line, and "+<lines>" when it holds several (publishing the same files with the same
// packing again stores nothing twice within the stream's duplicate window).
func (p *packer) take() (*nats.Msg, string, int) {
	if p.lines == 0 {
		return nil, "", 0
	}
	m := nats.NewMsg(p.subject)
	m.Data = p.data
	for _, src := range p.sources {
		m.Header.Add(HeaderSource, src)
	}
	m.Header.Set(HeaderLine, string(p.entries))
	id, lines := lineID(p.firstSrc, p.first), p.lines
	if lines > 1 {
		id += "+" + strconv.Itoa(lines)
	}
	p.reset()
	return m, id, lines
}
