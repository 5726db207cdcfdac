package event

import (
	"io"
	"sync"
	"unsafe"

	"github.com/stixcel/stixcel/internal/jsonl"
)

// Decoding a chunk of lines on several cores (Reader.DecodeInChunks).
//
// A batch reads every line before it gives its first event (Sorter), and decoding is most of
// the reading's cost: one goroutine decoding 94k Windows events takes as long as the engine
// built beside it. A chunked Reader takes its lines from the LineSource a chunk at a time,
// copied into one buffer, decodes the chunk's lines on up to workers goroutines (each with a
// decoder of its own: a Decoder is not safe for concurrent use, and decodes each line alone),
// and then gives them one by one as Next always does. Events, rejections, errors and counts
// are those of the one-line-at-a-time Reader, in the same order: Read and Processed count a
// line when Next gives it, not when the chunk is read.
//
// Each chunk's buffer is new, sized to its lines, and never written once they are read, so
// that a StringDecoder's events are backed by their line as a slice of it instead of a copy
// (a second copy of every line, and an allocation each). An event so backed keeps its whole
// chunk alive while it is held (a held event pins its chunk, and only while held: what
// outlives an event, an alert's evidence and group values, a correlation key, a CEL value a
// profile remembers, is a copy). Footprint counts that: the bytes of a chunk that no event
// accounts for as its line (rejected lines, the buffer's unused room) are shared among the
// chunk's events, so that they account for the whole chunk, as --max-held asks.

// Chunk bounds: a chunk ends after chunkLines lines or once its lines hold chunkBytes.
const (
	chunkLines = 1024
	chunkBytes = 1 << 20
)

// decodeChunk is a chunked Reader's lines read and decoded, not yet given.
type decodeChunk struct {
	decoders []Decoder // one per worker; the first is the Reader's own
	// maxLines and maxBytes bound a chunk: chunkLines and chunkBytes (tests take less).
	maxLines, maxBytes int
	// text is the chunk's lines, one after the other: a new array for each chunk, never
	// written once the lines are read, which the events keep slices of.
	text      []byte
	lines     []chunkLine
	given     int   // lines given by Next
	err       error // what the LineSource returned after the chunk's lines
	lastBytes int   // the last chunk's length, which sizes the next one's text
}

// chunkLine is one line of a chunk: its place in text, and its decoding.
type chunkLine struct {
	number         int
	start, end     int
	reason, detail string // the LineSource's rejection, if any
	ev             *Event
	bad            *Invalid
	kept           bool // ev may be backed by text (decoded by a StringDecoder)
}

// DecodeInChunks makes r read its lines a chunk at a time and decode each chunk on up to
// workers goroutines, with decoders from newDecoder (nil: Normalized{}); the Reader's own
// decoder is one of them. Next gives what it gave before, in the same order; it may read up
// to a chunk of lines (1,024, or 1 MiB) before giving the first, so only a regular file read
// whole (a batch) should be chunked: a pipe's or a live input's line would wait for the ones
// after it, and a stop meanwhile would leave the lines read uncounted. Call it before the
// first Next; workers below 2 leaves r as it is.
func (r *Reader) DecodeInChunks(newDecoder func() Decoder, workers int) {
	if workers < 2 {
		return
	}
	c := &decodeChunk{decoders: []Decoder{r.dec}, maxLines: chunkLines, maxBytes: chunkBytes}
	for range workers - 1 {
		var d Decoder = Normalized{}
		if newDecoder != nil {
			if nd := newDecoder(); nd != nil {
				d = nd
			}
		}
		c.decoders = append(c.decoders, d)
	}
	r.chunk = c
}

// nextChunked is Next for a chunked Reader.
func (r *Reader) nextChunked() (*Event, *Rejection, error) {
	c := r.chunk
	for c.given == len(c.lines) {
		if c.err != nil {
			err := c.err
			if err != io.EOF {
				c.err = nil // an idle pause, or an error: reading goes on at the next call, as it would
			} else { // a batch of many files keeps its ended readers: they let go of their chunk
				c.text, c.lines, c.given = nil, nil, 0
			}
			return nil, nil, err
		}
		r.fill()
	}
	l := &c.lines[c.given]
	c.given++
	r.stats.Read++
	line := jsonl.Line{Number: l.number, Text: c.text[l.start:l.end], Reason: l.reason, Detail: l.detail}
	switch {
	case l.reason != "":
		return nil, r.reject(line, l.reason, l.detail), nil
	case l.bad != nil:
		return nil, r.reject(line, l.bad.Reason, l.bad.Detail), nil
	}
	ev := l.ev
	ev.Source, ev.Line, ev.lineBytes = r.name, l.number, l.end-l.start
	r.stats.Processed++
	return ev, nil, nil
}

// fill reads the next chunk of lines, up to the LineSource's first error (kept for after
// them), into a new buffer, and decodes it.
func (r *Reader) fill() {
	c := r.chunk
	clear(c.lines)
	c.lines, c.given = c.lines[:0], 0
	var text []byte
	for len(c.lines) < c.maxLines && len(text) < c.maxBytes {
		line, err := r.lines.Next()
		if err != nil {
			c.err = err
			break
		}
		if text == nil {
			text = make([]byte, 0, max(c.textSize(), len(line.Text)))
		}
		start := len(text)
		text = append(text, line.Text...)
		c.lines = append(c.lines, chunkLine{number: line.Number, start: start, end: len(text),
			reason: line.Reason, detail: line.Detail})
	}
	c.text = fitted(text)
	c.lastBytes = len(c.text)
	c.decode()
	c.share()
}

// textSize is the room a chunk's text starts with: the last chunk's length and a sixteenth
// (a chunk ends on its line count, or once its bytes pass maxBytes, so its length varies
// little from chunk to chunk); the first chunk starts small, as a file of a few lines is
// not worth a megabyte. A chunk that needs more grows, and is then fitted.
func (c *decodeChunk) textSize() int {
	if c.lastBytes == 0 {
		return min(firstChunkBytes, c.maxBytes)
	}
	return c.lastBytes + c.lastBytes/16
}

// firstChunkBytes is the room a chunked Reader's first chunk starts with.
const firstChunkBytes = 64 << 10

// fitted is text, copied into an array of its size when it leaves more than an eighth of
// its room unused (a file's last chunk, or one that grew): events keep the whole array.
func fitted(text []byte) []byte {
	if cap(text)-len(text) <= len(text)/8 {
		return text
	}
	return append(make([]byte, 0, len(text)), text...)
}

// decode decodes the chunk's lines, in contiguous parts, one per decoder.
func (c *decodeChunk) decode() {
	n := len(c.lines)
	parts := min(len(c.decoders), max(n/64, 1)) // a few lines are not worth a goroutine
	var wg sync.WaitGroup
	for k := 1; k < parts; k++ {
		wg.Go(func() { c.decodePart(k, k*n/parts, (k+1)*n/parts) })
	}
	c.decodePart(0, 0, n/parts)
	wg.Wait()
}

// decodePart decodes lines from to to with decoder k: as strings that its events may keep
// when it is a StringDecoder (text is not written again), else as bytes.
func (c *decodeChunk) decodePart(k, from, to int) {
	dec := c.decoders[k]
	kept, keeps := dec.(StringDecoder)
	text := unsafe.String(unsafe.SliceData(c.text), len(c.text))
	for i := from; i < to; i++ {
		l := &c.lines[i]
		switch {
		case l.reason != "":
		case keeps:
			l.ev, l.bad = kept.DecodeString(text[l.start:l.end])
			l.kept = l.ev != nil
		default:
			l.ev, l.bad = dec.Decode(c.text[l.start:l.end])
		}
	}
}

// share gives the events that may keep the chunk's text the bytes of it that are not their
// lines (rejected lines, unused room), each in proportion to its line, so that their
// footprints sum to the chunk's.
func (c *decodeChunk) share() {
	var lines int64
	for i := range c.lines {
		if l := &c.lines[i]; l.kept {
			lines += int64(l.end - l.start)
		}
	}
	if lines == 0 {
		return
	}
	unused := int64(cap(c.text)) - lines
	for i := range c.lines {
		if l := &c.lines[i]; l.kept {
			l.ev.chunkShare = int32(unused * int64(l.end-l.start) / lines)
			l.ev.inChunk = true
		}
	}
}
