package pump

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/stixcel/stixcel/winlog"
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
	Inputs []Input
	// Skipped are the files of directory arguments that were not read, with why.
	Skipped []Skipped
	closers []func()
}

// Skipped is a file in a directory argument that Open did not read: what its content showed.
type Skipped struct {
	Path string
	Why  string // "empty", "not a log (unknown content)", "not a regular file", "hidden directory"
}

// SkippedNote is one line for people about what was skipped in directories ("" when none):
// "skipped 2 paths in directories: no logs (a.png: not a log (unknown content), ...)".
func (o *Opened) SkippedNote() string {
	if len(o.Skipped) == 0 {
		return ""
	}
	var first []string
	for _, s := range o.Skipped[:min(3, len(o.Skipped))] {
		first = append(first, s.Path+": "+s.Why)
	}
	if len(o.Skipped) > 3 {
		first = append(first, "...")
	}
	paths := "paths"
	if len(o.Skipped) == 1 {
		paths = "path"
	}
	return fmt.Sprintf("skipped %d %s in directories: no logs (%s)", len(o.Skipped), paths, strings.Join(first, ", "))
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
//
// Every input is read through winlog.Lines: what it holds is recognised by its content (EVTX,
// rendered XML, JSON lines or objects, any of them gzipped) and its records reach the event
// reader as JSON lines; an EVTX record's "line" is its record number in the file. A directory
// argument stands for the regular files under it, in lexical order of their paths; of those,
// the files whose content is none of these formats, or empty, and the directories whose name
// starts with a dot (.git), are skipped and listed in Opened.Skipped. A file named explicitly
// is always read.
func Open(ctx context.Context, names []string, opts OpenOptions) (*Opened, error) {
	o := &Opened{}
	for _, name := range names {
		if err := o.openArg(ctx, name, opts); err != nil {
			o.Close()
			return nil, &OpenError{Name: name, Err: err}
		}
	}
	return o, nil
}

// openArg opens one argument: a file, stdin, or the files of a directory.
func (o *Opened) openArg(ctx context.Context, name string, opts OpenOptions) error {
	if name != "-" {
		if st, err := os.Stat(name); err == nil && st.IsDir() {
			return o.openDir(ctx, name, opts)
		}
	}
	in, closer, err := open(ctx, name, opts)
	if err != nil {
		return err
	}
	o.add(in, closer)
	return nil
}

func (o *Opened) add(in Input, closer func()) {
	in.Lines = winlog.NewLines(in.R, in.Name)
	in.R = nil
	o.Inputs = append(o.Inputs, in)
	o.closers = append(o.closers, closer)
}

// openDir opens the files under dir that hold logs, in lexical order.
func (o *Opened) openDir(ctx context.Context, dir string, opts OpenOptions) error {
	return filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if path != dir && strings.HasPrefix(d.Name(), ".") { // .git and the like
				o.Skipped = append(o.Skipped, Skipped{Path: path, Why: "hidden directory"})
				return filepath.SkipDir
			}
			return nil
		}
		if st, err := os.Stat(path); err != nil || !st.Mode().IsRegular() {
			o.Skipped = append(o.Skipped, Skipped{Path: path, Why: "not a regular file"})
			return nil
		}
		in, closer, err := open(ctx, path, opts)
		if err != nil {
			return err
		}
		br := bufio.NewReaderSize(in.R, 64<<10)
		format, _, err := winlog.Detect(br)
		switch {
		case err != nil:
			closer()
			return fmt.Errorf("%s: %w", path, err)
		case format == winlog.FormatUnknown:
			why := "not a log (unknown content)"
			if _, err := br.Peek(1); err == io.EOF {
				why = "empty"
			}
			closer()
			o.Skipped = append(o.Skipped, Skipped{Path: path, Why: why})
			return nil
		}
		in.R = br
		o.add(in, closer)
		return nil
	})
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
