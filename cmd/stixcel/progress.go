package main

import (
	"io"
	"os"

	"github.com/vbauerster/mpb/v8"
	"github.com/vbauerster/mpb/v8/decor"
)

// progress shows bytes read per events file on stderr, only when stderr is a terminal: piped
// or captured output (CI, tests, redirects) stays free of control sequences.
type progress struct {
	p *mpb.Progress
}

func newProgress(stderr io.Writer) *progress {
	if !isTerminal(stderr) {
		return &progress{}
	}
	return &progress{p: mpb.New(mpb.WithOutput(stderr), mpb.WithWidth(40))}
}

// track wraps r (a file of size bytes) with a progress bar named name.
func (pr *progress) track(r io.Reader, name string, size int64) io.Reader {
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

// wait lets the bars finish rendering before the summary is printed.
func (pr *progress) wait() {
	if pr.p != nil {
		pr.p.Shutdown()
	}
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}
