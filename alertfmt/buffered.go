package alertfmt

import (
	"bufio"
	"io"
	"os"

	"github.com/stixcel/stixcel/internal/tty"
	"github.com/stixcel/stixcel/runtime"
)

// Buffered writes the outputs of a run in one format through one buffer, as the engine
// emits them (Emit fits runtime.Engine.Process and Flush), and keeps the first error for
// Close. An alert is flushed at once, so that a consumer of a live stream (a pipe) sees it
// when its window closes, not when a buffer fills; hunt records, which come by the
// thousand, are written as the buffer fills.
type Buffered struct {
	w   *bufio.Writer
	out Writer
	err error
}

// NewBuffered returns a Buffered writer of format f on w.
func NewBuffered(w io.Writer, f Format, opts Options) (*Buffered, error) {
	bw := bufio.NewWriter(w)
	out, err := New(f, bw, opts)
	if err != nil {
		return nil, err
	}
	return &Buffered{w: bw, out: out}, nil
}

// Emit writes o; an error is kept for Close, and later alerts are no longer flushed.
func (b *Buffered) Emit(o runtime.Output) {
	if err := b.out.Write(o); err != nil && b.err == nil {
		b.err = err
	}
	if _, isAlert := o.(*runtime.Alert); isAlert && b.err == nil {
		b.err = b.w.Flush()
	}
}

// Close writes what the format keeps for the end (a STIX bundle) and flushes the buffer.
// Its error is the flush's, else the first error of Emit or of the format's Close.
func (b *Buffered) Close() error {
	if err := b.out.Close(); err != nil && b.err == nil {
		b.err = err
	}
	if err := b.w.Flush(); err != nil {
		return err
	}
	return b.err
}

// ColorOn reports whether text written to w may be coloured (Options.Color): w is a terminal
// and NO_COLOR (https://no-color.org) is unset.
func ColorOn(w io.Writer) bool {
	return tty.IsTerminal(w) && os.Getenv("NO_COLOR") == ""
}
