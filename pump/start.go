package pump

import (
	"context"
	"errors"
	"io"
	"runtime"
	"sync/atomic"

	"github.com/stixcel/stixcel/event"
	"github.com/stixcel/stixcel/internal/jsonl"
)

// errStopped is what an input's next line is once Started.Stop dropped the reading.
var errStopped = errors.New("reading stopped")

// Started is the reading of a run's inputs, begun before their consumer is ready: a batch's
// regular files are read, decoded and sorted while, say, the plans load. Run hands the items
// over; Stop drops them. A Started is used by one goroutine.
type Started struct {
	inputs  []Input
	opts    Options
	readers []*event.Reader
	merged  ordering
	done    func() int64 // closes merged (a batch's temporary files); nil once called
	ahead   *ahead       // reads merged on a goroutine of its own; nil: Run reads inline
	halt    *atomic.Bool // set by Stop: the inputs read ahead end with errStopped
}

// streamChunkBytes is what the chunks of a stream's regular files, read side by side, hold
// in all; a batch's files, read one after the other, hold a chunk of up to 1 MiB each.
const streamChunkBytes = 32 << 20

// chunkBytesOf is how many bytes of lines each of n regular files decodes at a time.
func chunkBytesOf(batch bool, n int) int {
	if batch {
		return streamChunkBytes
	}
	return max(streamChunkBytes/max(n, 1), 64<<10)
}

// Start opens the readers of inputs and their ordering as opts asks (Decoder, Merge, Batch)
// and, when every input is Regular and opts.ReadAhead allows it, starts reading them ahead
// at once, within the read-ahead budget (a batch is read whole, its events held within
// Merge.MaxHeld, before the first is queued). Nothing is written until Run: opts' Strict,
// Messages and Rejects are Run's. Pipes, terminals and FIFOs are never read before Run, as
// a read from them can block forever. Every Started ends with Run or Stop.
func Start(inputs []Input, opts Options) *Started {
	s := &Started{inputs: inputs, opts: opts, readers: make([]*event.Reader, len(inputs)), halt: new(atomic.Bool)}
	regular := true
	for _, in := range inputs {
		regular = regular && in.Regular
	}
	early := regular && opts.ReadAhead >= 0
	for i, in := range inputs {
		s.readers[i] = in.Events
		switch {
		case s.readers[i] != nil:
		case in.Lines != nil && early:
			s.readers[i] = event.NewLineReader(haltLines{in.Lines, s.halt}, in.Name, newDecoder(opts.Decoder))
		case in.Lines != nil:
			s.readers[i] = event.NewLineReader(in.Lines, in.Name, newDecoder(opts.Decoder))
		case early:
			s.readers[i] = event.NewReader(haltReader{in.R, s.halt}, in.Name, newDecoder(opts.Decoder))
		default:
			s.readers[i] = event.NewReader(in.R, in.Name, newDecoder(opts.Decoder))
		}
		if in.Regular && in.Events == nil && (opts.Batch || regular) {
			// a regular file's lines are decoded on every core, a chunk at a time (a pipe's
			// line may wait for the next: its lines are read and counted one by one, as a
			// stop may come between). A batch reads its files one after the other; a stream
			// of regular files merges them, each holding a chunk: streamChunkBytes in all.
			s.readers[i].DecodeInChunksOf(opts.Decoder, runtime.GOMAXPROCS(0), chunkBytesOf(opts.Batch, len(inputs)))
		}
	}
	s.merged, s.done = order(opts, s.readers)
	if early {
		s.ahead = startAhead(s.merged, readAheadBudget(opts.ReadAhead))
	}
	return s
}

// Run hands the items of the inputs to h, in merged order, until their end, an input's
// error, a strict rejection or until ctx is done, as the package's Run does; it may be
// called once, and not after Stop.
func (s *Started) Run(ctx context.Context, h Handler) (Summary, error) {
	if s.done == nil {
		return Summary{}, errors.New("pump: Run after Run or Stop")
	}
	l := &loop{opts: s.opts, h: h, messages: map[string]int{}}
	var stats event.ReadStats
	var err error
	if s.ahead == nil {
		err = l.run(ctx, func() (item, bool) { return nextItem(s.merged), true })
		stats = s.merged.Stats()
	} else {
		err = l.run(ctx, s.ahead.next)
		s.ahead.stop()
		stats = s.merged.Stats()
		s.ahead.unread(&stats)
	}
	records := min(evtxRecords(s.inputs, s.readers), stats.Read)
	sum := Summary{Inputs: len(s.inputs), Stats: stats, Records: records, Forced: s.merged.Forced(), Spilled: s.done()}
	s.done = nil
	return sum, err
}

// Stop drops the reading: the goroutine reading ahead ends (at its inputs' next line) and
// is waited for, and a batch's temporary files are removed; the inputs are the caller's to
// close. Nothing was written. It does nothing after Run or Stop.
func (s *Started) Stop() {
	if s.done == nil {
		return
	}
	s.halt.Store(true)
	if s.ahead != nil {
		s.ahead.stop()
	}
	s.done()
	s.done = nil
}

// haltLines are an input's lines until halt is set.
type haltLines struct {
	lines event.LineSource
	halt  *atomic.Bool
}

func (h haltLines) Next() (jsonl.Line, error) {
	if h.halt.Load() {
		return jsonl.Line{}, errStopped
	}
	return h.lines.Next()
}

// haltReader is an input's bytes until halt is set.
type haltReader struct {
	r    io.Reader
	halt *atomic.Bool
}

func (h haltReader) Read(p []byte) (int, error) {
	if h.halt.Load() {
		return 0, errStopped
	}
	return h.r.Read(p)
}
