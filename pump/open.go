package pump

import (
	"context"
	"io"
	"os"
	"time"
)

// OpenOptions configure Open.
type OpenOptions struct {
	// Stdin is read for the name "-"; when it is an *os.File it is read through a goroutine,
	// so that a read returns when ctx is done, with IdleFlush.
	Stdin io.Reader
	// IdleFlush is how long stdin may be silent at a line boundary before the run hands the
	// events held for the lateness over and calls Handler.Idle (0: wait forever).
	IdleFlush time.Duration
	// Track, when set, wraps each file opened (of size bytes), for a progress bar.
	Track func(r io.Reader, name string, size int64) io.Reader
}

// Opened are the inputs Open opened; Close closes them.
type Opened struct {
	Inputs  []Input
	closers []func()
}

// Close closes every input opened.
func (o *Opened) Close() {
	for _, c := range o.closers {
		c()
	}
}

// StdinName is the name events and rejections read from stdin cite.
const StdinName = "<stdin>"

// OpenError is the error of an input Open could not open; its text is Err's (which names
// the file, or is ctx's cause).
type OpenError struct {
	Name string
	Err  error
}

func (e *OpenError) Error() string { return e.Err.Error() }

func (e *OpenError) Unwrap() error { return e.Err }

// Open opens every input ("-": stdin) before any is read, so that a missing file stops the
// run before it starts. Opening stops when ctx is done (a FIFO without a writer: the error is
// ctx's cause), and files are closed when ctx is done, so that a read blocked on a FIFO
// returns.
func Open(ctx context.Context, names []string, opts OpenOptions) (*Opened, error) {
	o := &Opened{}
	for _, name := range names {
		in, closer, err := open(ctx, name, opts)
		if err != nil {
			o.Close()
			return nil, &OpenError{Name: name, Err: err}
		}
		o.Inputs = append(o.Inputs, in)
		o.closers = append(o.closers, closer)
	}
	return o, nil
}

// open opens one input, with what closes it.
func open(ctx context.Context, name string, opts OpenOptions) (Input, func(), error) {
	if name == "-" {
		in := Input{Name: StdinName, R: opts.Stdin}
		if _, ok := opts.Stdin.(*os.File); ok {
			in.R = newLiveReader(ctx, opts.Stdin, opts.IdleFlush)
		}
		return in, func() {}, nil
	}
	file, err := OpenFile(ctx, name) // a FIFO blocks here until it has a writer
	if err != nil {
		return Input{}, nil, err
	}
	unwatch := CloseOnDone(ctx, file)
	in := Input{Name: name, R: file}
	if st, err := file.Stat(); err == nil {
		in.Regular = st.Mode().IsRegular()
		if opts.Track != nil {
			in.R = opts.Track(file, name, st.Size())
		}
	}
	return in, func() { unwatch(); _ = file.Close() }, nil
}

// CloseOnDone closes c when ctx is done, so that a read blocked on it (a FIFO, a pipe)
// returns; the returned function stops watching.
func CloseOnDone(ctx context.Context, c io.Closer) (stop func() bool) {
	return context.AfterFunc(ctx, func() { _ = c.Close() })
}

// OpenFile opens name for reading unless ctx is done first: opening a FIFO blocks until a
// writer opens it, and a signal must still stop the run. On cancellation the open goes on in
// the background and a file it opens later is closed; the error is ctx's cause.
func OpenFile(ctx context.Context, name string) (*os.File, error) {
	type opened struct {
		f   *os.File
		err error
	}
	done := make(chan opened, 1)
	go func() {
		f, err := os.Open(name)
		done <- opened{f, err}
	}()
	select {
	case o := <-done:
		return o.f, o.err
	case <-ctx.Done():
		go func() {
			if o := <-done; o.f != nil {
				_ = o.f.Close()
			}
		}()
		return nil, context.Cause(ctx)
	}
}
