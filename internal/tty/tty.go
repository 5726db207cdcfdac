// Package tty is what the CLI shows only on a terminal: it tells whether a writer is one,
// and draws progress bars of the bytes read per events file there. Piped or captured output
// (CI, tests, redirects) stays free of control sequences.
package tty

import (
	"io"
	"os"

	"github.com/vbauerster/mpb/v8"
	"github.com/vbauerster/mpb/v8/decor"
)

// IsTerminal reports whether w is a terminal (a character device).
func IsTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// Progress shows bytes read per events file; on a writer that is not a terminal it shows
// nothing.
type Progress struct {
	p *mpb.Progress
}

// NewProgress draws progress bars on w when it is a terminal.
func NewProgress(w io.Writer) *Progress {
	if !IsTerminal(w) {
		return &Progress{}
	}
	return newBars(w)
}

// NewProgressFrom is NewProgress with nothing drawn until shown is closed; the bars added
// before are drawn then, with what was read so far (a run reads its events while its plans
// load, and nothing may be drawn before a plan error).
func NewProgressFrom(w io.Writer, shown <-chan any) *Progress {
	if !IsTerminal(w) {
		return &Progress{}
	}
	return newBars(w, mpb.WithRenderDelay(shown))
}

func newBars(w io.Writer, opts ...mpb.ContainerOption) *Progress {
	return &Progress{p: mpb.New(append([]mpb.ContainerOption{mpb.WithOutput(w), mpb.WithWidth(40)}, opts...)...)}
}

// Track wraps r (a file of size bytes) with a progress bar named name; r itself when no bar
// is drawn.
func (pr *Progress) Track(r io.Reader, name string, size int64) io.Reader {
	if pr.p == nil || size <= 0 {
		return r
	}
	bar := pr.p.AddBar(size,
		mpb.PrependDecorators(decor.Name(name, decor.WC{C: decor.DindentRight | decor.DextraSpace})),
		mpb.AppendDecorators(decor.CountersKibiByte("% .1f / % .1f"), decor.Percentage(decor.WCSyncSpace)),
		mpb.BarRemoveOnComplete(),
	)
	proxy, err := bar.ProxyReader(r)
	if err != nil {
		bar.Abort(true)
		return r
	}
	return proxy
}

// Wait lets the bars finish rendering, so that what is written next (the run's summary)
// comes after them.
func (pr *Progress) Wait() {
	if pr.p != nil {
		pr.p.Shutdown()
	}
}
