package event

import (
	"io"
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
	text               []byte // the chunk's lines, one after the other
	lines              []chunkLine
	given              int   // lines given by Next
	err                error // what the LineSource returned after the chunk's lines
}

// chunkLine is one line of a chunk: its place in text, and its decoding.
type chunkLine struct {
	number         int
	start, end     int
	reason, detail string // the LineSource's rejection, if any
	ev             *Event
	bad            *Invalid
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
			} else {
				c.text, c.lines, c.given = nil, nil, 0 // a batch of many files keeps its ended readers
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
// them), and decodes it.
func (r *Reader) fill() {
	c := r.chunk
	clear(c.lines)
	c.text, c.lines, c.given = c.text[:0], c.lines[:0], 0
	for len(c.lines) < c.maxLines && len(c.text) < c.maxBytes {
		line, err := r.lines.Next()
		if err != nil {
			c.err = err
			break
		}
		start := len(c.text)
		c.text = append(c.text, line.Text...)
		c.lines = append(c.lines, chunkLine{number: line.Number, start: start, end: len(c.text),
			reason: line.Reason, detail: line.Detail})
	}
	c.decode()
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

func (c *decodeChunk) decodePart(k, from, to int) {
	dec := c.decoders[k]
	for i := from; i < to; i++ {
		l := &c.lines[i]
		if l.reason == "" {
			l.ev, l.bad = dec.Decode(c.text[l.start:l.end])
		}
	}
}
