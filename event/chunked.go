package event

import (
	"io"
	"strings"
	"sync"

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
	// text is the chunk's lines, one after the other: a new string for each chunk, which
	// the events keep slices of; room is the size of its array.
	text      string
	room      int
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
// to a chunk of lines (1,024, or 1 MiB) before giving the first, so only a regular file
// should be chunked: a pipe's or a live input's line would wait for the ones after it, and a
// stop meanwhile would leave the lines read uncounted. Call it before the first Next;
// workers below 2 leaves r as it is.
func (r *Reader) DecodeInChunks(newDecoder func() Decoder, workers int) {
	r.DecodeInChunksOf(newDecoder, workers, chunkBytes)
}

// DecodeInChunksOf is DecodeInChunks with chunks that end once their lines hold maxBytes
// (at most 1 MiB): files merged as a stream are read side by side, each holding a chunk.
func (r *Reader) DecodeInChunksOf(newDecoder func() Decoder, workers, maxBytes int) {
	if workers < 2 {
		return
	}
	c := &decodeChunk{decoders: []Decoder{r.dec}, maxLines: chunkLines, maxBytes: min(max(maxBytes, 1), chunkBytes)}
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
				c.text, c.room, c.lines, c.given = "", 0, nil, 0
			}
			return nil, nil, err
		}
		r.fill()
	}
	l := &c.lines[c.given]
	c.given++
	r.stats.Read++
	line := jsonl.Line{Number: l.number, Text: bytesOf(c.text[l.start:l.end]), Reason: l.reason, Detail: l.detail}
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
// them), into a new string (a strings.Builder's, whose array is not zeroed first), and
// decodes it.
func (r *Reader) fill() {
	c := r.chunk
	clear(c.lines)
	c.lines, c.given = c.lines[:0], 0
	var text strings.Builder
	maxBytes := c.maxBytes
	if c.lastBytes == 0 {
		maxBytes = min(maxBytes, firstChunkBytes)
	}
	for len(c.lines) < c.maxLines && text.Len() < maxBytes {
		line, err := r.lines.Next()
		if err != nil {
			c.err = err
			break
		}
		if text.Cap() == 0 {
			text.Grow(max(c.textSize(), len(line.Text)))
		}
		start := text.Len()
		text.Write(line.Text)
		c.lines = append(c.lines, chunkLine{number: line.Number, start: start, end: text.Len(),
			reason: line.Reason, detail: line.Detail})
	}
	c.text, c.room = fitted(&text)
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

// firstChunkBytes is the room a chunked Reader's first chunk starts with, and where it ends:
// files merged as a stream give nothing until each has given its first event, and a hundred
// files' first chunks of 320 KiB held publish's first message back for a fifth of the 94k
// lines of the OTRF datasets ten times over (0.3 s), while serve waited.
const firstChunkBytes = 64 << 10

// fitted is text's string and the size of its array, copied into an array of its size when
// it leaves more than an eighth of its room unused (a file's last chunk, or one that grew):
// events keep the whole array.
func fitted(text *strings.Builder) (string, int) {
	if text.Cap()-text.Len() <= text.Len()/8 {
		return text.String(), text.Cap()
	}
	var fit strings.Builder
	fit.Grow(text.Len())
	fit.WriteString(text.String())
	return fit.String(), fit.Cap()
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
// when it is a StringDecoder, else as bytes (that it copies what it keeps of).
func (c *decodeChunk) decodePart(k, from, to int) {
	dec := c.decoders[k]
	kept, keeps := dec.(StringDecoder)
	text := c.text
	for i := from; i < to; i++ {
		l := &c.lines[i]
		switch {
		case l.reason != "":
		case keeps:
			l.ev, l.bad = kept.DecodeString(text[l.start:l.end])
			l.kept = l.ev != nil
		default:
			l.ev, l.bad = dec.Decode(bytesOf(text[l.start:l.end]))
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
	unused := int64(c.room) - lines
	for i := range c.lines {
		if l := &c.lines[i]; l.kept {
			l.ev.chunkShare = int32(unused * int64(l.end-l.start) / lines)
			l.ev.inChunk = true
		}
	}
}
