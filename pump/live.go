package pump

import (
	"context"
	"io"
	"time"

	"github.com/stixcel/stixcel/event"
)

// liveReader reads a live input (stdin) through a goroutine, so that a read returns as soon
// as ctx is done even when the input blocks (closing stdin does not interrupt a read on every
// platform; the goroutine is left behind if the input never returns). With idle > 0, a read
// at a line boundary that waits longer than idle returns event.ErrIdle; reading may go on
// after it.
type liveReader struct {
	ctx    context.Context
	chunks chan []byte
	err    error // the input's own error or io.EOF, once chunks is closed
	cur    []byte
	idle   time.Duration
	atLine bool // the last byte returned ends a line (or nothing was returned yet)
	timer  *time.Timer
}

func newLiveReader(ctx context.Context, r io.Reader, idle time.Duration) *liveReader {
	lr := &liveReader{ctx: ctx, chunks: make(chan []byte, 1), idle: idle, atLine: true}
	go lr.pump(r)
	return lr
}

// pump copies r into chunks until r ends.
func (lr *liveReader) pump(r io.Reader) {
	defer close(lr.chunks)
	for {
		buf := make([]byte, 64<<10)
		n, err := r.Read(buf)
		if n > 0 {
			select {
			case lr.chunks <- buf[:n]:
			case <-lr.ctx.Done():
				return
			}
		}
		if err != nil {
			lr.err = err
			return
		}
	}
}

// Read implements io.Reader.
func (lr *liveReader) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	if len(lr.cur) == 0 {
		chunk, err := lr.next()
		if err != nil {
			return 0, err
		}
		lr.cur = chunk
	}
	n := copy(p, lr.cur)
	lr.cur = lr.cur[n:]
	lr.atLine = p[n-1] == '\n'
	return n, nil
}

// next waits for the next chunk, the end of the input, ctx, or (at a line boundary) idle.
func (lr *liveReader) next() ([]byte, error) {
	var idle <-chan time.Time
	if lr.idle > 0 && lr.atLine {
		if lr.timer == nil {
			lr.timer = time.NewTimer(lr.idle)
		} else {
			lr.timer.Reset(lr.idle)
		}
		defer lr.timer.Stop()
		idle = lr.timer.C
	}
	select {
	case chunk, ok := <-lr.chunks:
		if !ok {
			if lr.err == nil || lr.err == io.EOF {
				return nil, io.EOF
			}
			return nil, lr.err
		}
		return chunk, nil
	case <-lr.ctx.Done():
		return nil, context.Cause(lr.ctx)
	case <-idle:
		return nil, event.ErrIdle
	}
}
