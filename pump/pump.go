// Package pump reads event inputs and hands their events to a consumer in event time: the
// one loop behind `stixcel run`, `coverage`, `publish` (serve.Publish) and the tester. It
// opens the inputs (files, FIFOs, stdin with its idle flush), reads regular files ahead of
// the consumer within a byte budget, orders them (a batch sorted whole by event.Sorter:
// max-ahead, max-held spilled to temporary files; a stream merged by event.Merger: lateness,
// max-ahead, max-held), applies strict mode, reports and writes rejected lines, and accounts
// for every line read: Summary.Stats.Read = Processed + RejectedTotal, counting what the
// consumer used. Start begins the reading before the consumer is ready (`run` reads a large
// batch while its plans load), Started.Run hands the items over; Run is both.
package pump

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/stixcel/stixcel/event"
	"github.com/stixcel/stixcel/internal/termsafe"
	"github.com/stixcel/stixcel/winlog"
)

// DefaultReadAhead is how many bytes of events a regular file is read ahead of the consumer
// (event.Event.Footprint). Reading ahead pays for itself within a few events; what is ahead
// beyond that is memory: a budget in items let 100 lines of 15 MiB take 1.6 GB, and 32 MiB
// held about 45 MB of a batch's merged events live beside the engine for no gain in speed.
const DefaultReadAhead = 4 << 20

// MaxRejectMessages caps the messages written per rejection reason; counts are never capped.
const MaxRejectMessages = 10

// Input is one named source of event lines.
type Input struct {
	Name string    // cited by events and rejections ("<stdin>" for stdin)
	R    io.Reader // the lines
	// Regular is set for a regular file: its reads never block, so it may be read ahead.
	Regular bool
	// Lines, when set, gives the input's lines instead of splitting R (Open sets it: a
	// winlog.Lines, which reads EVTX, XML, JSON and gzip alike as JSON lines).
	Lines event.LineSource
	// Events, when set, reads the input instead of R and Options.Decoder (an input that
	// comes with its own reader, as a tester case's source mapping).
	Events *event.Reader
}

// Options configure Run; the zero value merges normalized events that must be in order
// within each input (a zero Merge.Lateness; `stixcel run` passes event.DefaultLateness),
// reads regular files ahead within DefaultReadAhead and writes nothing.
type Options struct {
	// Decoder returns a new decoder for each input (a decoder is not safe for concurrent
	// use); nil decodes normalized events.
	Decoder func() event.Decoder
	// Merge is the Merger's lateness, max-ahead and max-held (event.MergeOptions' zero
	// values); a batch takes its MaxAhead and MaxHeld.
	Merge event.MergeOptions
	// Batch reads the inputs as one body of evidence: every event, sorted by time whatever
	// the order of the lines (event.Sorter), instead of a stream merged within the lateness.
	// Nothing is late; the consumer gets the first event once every input has ended.
	Batch bool
	// ReadAhead bounds the bytes of events read ahead of the consumer when every input is
	// Regular: 0 means DefaultReadAhead, a negative value reads inline.
	ReadAhead int64
	// Strict stops the run at the first rejected line with an error naming it.
	Strict bool
	// Messages receives "rejected: file:line: reason" lines, at most MaxRejectMessages per
	// reason (then one line saying the rest are counted); nil writes none.
	Messages io.Writer
	// Rejects receives every rejected line verbatim, one per line, for replay; nil writes
	// none. Writing stops at its first error (the writer reports it when it is closed).
	Rejects io.Writer
}

// Handler is what Run hands items to. Event is required; the others may be nil.
type Handler struct {
	// Event consumes an event, in merged order. An error stops the run: Run returns nil if
	// ctx is done (the consumer stopped for it), else the error.
	Event func(ctx context.Context, ev *event.Event) error
	// Rejected notes a rejected line (counted, messaged and written by Run), also the one
	// that stops a strict run. An error stops the run as Event's does.
	Rejected func(ctx context.Context, rej *event.Rejection) error
	// Idle is called after a live input has been silent for its idle flush (Open) and the
	// events held for the lateness were handed to Event: the consumer may write what it
	// holds. An error stops the run as Event's does.
	Idle func(ctx context.Context) error
}

// Summary accounts for the lines of a run: what it read, processed and rejected (as of what
// the consumer used), over how many inputs, and how many events the Merger ran early.
type Summary struct {
	Inputs int
	Stats  event.ReadStats
	// Records is how many of Stats.Read were EVTX records (inputs winlog read as EVTX files),
	// not lines; the rest were lines. It is exact but when a run that read ahead over both
	// kinds of input stopped early: the records read ahead and not used then count as read,
	// and as many fewer lines.
	Records int64
	Forced  int64 // events released before their lateness had passed, for Merge.MaxHeld
	// Spilled is the events a batch sorted through temporary files, for Merge.MaxHeld.
	Spilled int64
}

// ordering is what orders the events of the inputs: an *event.Merger (a stream) or an
// *event.Sorter (a batch).
type ordering interface {
	Next() (*event.Event, *event.Rejection, error)
	Counts() (read, processed int64)
	Stats() event.ReadStats
	Forced() int64
	Release() []*event.Event
}

// order returns the ordering of readers opts asks for, and what to do when it is no longer
// read.
func order(opts Options, readers []*event.Reader) (ordering, func() int64) {
	if !opts.Batch {
		return event.NewMerger(opts.Merge, readers...), func() int64 { return 0 }
	}
	s := event.NewSorter(event.SortOptions{MaxAhead: opts.Merge.MaxAhead, MaxHeld: opts.Merge.MaxHeld}, readers...)
	return s, func() int64 {
		_ = s.Close() // temporary files are unlinked when created, where the platform allows it
		_, spilled := s.Spilled()
		return spilled
	}
}

// String is the run's count line: "read 9 lines from 2 files: 7 events processed, 2
// rejected (empty line: 1, late: 1)".
func (s Summary) String() string {
	var reasons []string
	for _, r := range s.Stats.Reasons() {
		reasons = append(reasons, fmt.Sprintf("%s: %d", r, s.Stats.Rejected[r]))
	}
	rej := fmt.Sprintf("%d rejected", s.Stats.RejectedTotal())
	if len(reasons) > 0 {
		rej += " (" + strings.Join(reasons, ", ") + ")"
	}
	return fmt.Sprintf("%s: %d events processed, %s", s.ReadPhrase(), s.Stats.Processed, rej)
}

// ReadPhrase says what was read, in the units of the inputs: "read 9 lines from 2 files",
// "read 146 records from 11 files" (EVTX files), "read 94200 lines and 146 records from 12
// files".
func (s Summary) ReadPhrase() string {
	files := "files"
	if s.Inputs == 1 {
		files = "file"
	}
	var read string
	switch lines := s.Stats.Read - s.Records; {
	case s.Records == 0:
		read = fmt.Sprintf("%d lines", lines)
	case lines == 0:
		read = fmt.Sprintf("%d records", s.Records)
	default:
		read = fmt.Sprintf("%d lines and %d records", lines, s.Records)
	}
	return fmt.Sprintf("read %s from %d %s", read, s.Inputs, files)
}

// Run merges inputs and hands their items to h until their end, an input's error, a strict
// rejection or until ctx is done. The error is an input's or the strict rejection's (the
// caller's exit 2); a stop for ctx returns nil, with the counts of what was used. It is
// Start and Started.Run.
func Run(ctx context.Context, inputs []Input, opts Options, h Handler) (Summary, error) {
	return Start(inputs, opts).Run(ctx, h)
}

// evtxRecords is how many records the readers of the inputs read as EVTX files read.
func evtxRecords(inputs []Input, readers []*event.Reader) int64 {
	var n int64
	for i, in := range inputs {
		if f, ok := in.Lines.(interface{ Format() winlog.Format }); ok && in.Events == nil && f.Format() == winlog.FormatEVTX {
			n += readers[i].Stats().Read
		}
	}
	return n
}

func newDecoder(fn func() event.Decoder) event.Decoder {
	if fn == nil {
		return nil
	}
	return fn()
}

func readAheadBudget(n int64) int64 {
	if n == 0 {
		return DefaultReadAhead
	}
	return n
}

// item is what one call of Merger.Next gave; an idle input's pause carries the events the
// Merger released (Merger.Release).
type item struct {
	// read and processed are the Merger's counts before the Next call that gave the item.
	read, processed int64
	ev              *event.Event
	rej             *event.Rejection
	err             error
	idle            bool
	released        []*event.Event
	size            int64 // sizeOf, once read ahead
}

// nextItem is what the Merger gives next, read inline.
func nextItem(merged ordering) item {
	ev, rej, err := merged.Next()
	if errors.Is(err, event.ErrIdle) {
		return item{idle: true, released: merged.Release()}
	}
	return item{ev: ev, rej: rej, err: err}
}

// loop hands items to a Handler.
type loop struct {
	opts      Options
	h         Handler
	messages  map[string]int // rejection messages written, by reason
	rejectErr error          // the first error writing Options.Rejects
}

func (l *loop) run(ctx context.Context, next func() (item, bool)) error {
	for ctx.Err() == nil {
		it, ok := next()
		switch {
		case !ok || it.err == io.EOF:
			return nil
		case it.err != nil && ctx.Err() != nil:
			return nil // the input was closed to stop the run
		case it.err != nil:
			return it.err
		case it.idle:
			if err := l.idle(ctx, it.released); err != nil {
				return stopped(ctx, err)
			}
		case it.rej != nil:
			if err := l.reject(ctx, it.rej); err != nil {
				return stopped(ctx, err)
			}
			if l.opts.Strict {
				return fmt.Errorf("%s (--strict)", it.rej)
			}
		default:
			if err := l.h.Event(ctx, it.ev); err != nil {
				return stopped(ctx, err)
			}
		}
	}
	return nil
}

// stopped is nil when err came from ctx being done (the consumer stopped for it).
func stopped(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return nil
	}
	return err
}

// idle hands over the events the Merger released, then tells the consumer.
func (l *loop) idle(ctx context.Context, released []*event.Event) error {
	for _, ev := range released {
		if err := l.h.Event(ctx, ev); err != nil {
			return err
		}
	}
	if l.h.Idle == nil {
		return nil
	}
	return l.h.Idle(ctx)
}

// reject tells the handler, writes the line to Rejects and, unless the run is strict (its
// error names the line), a capped message.
func (l *loop) reject(ctx context.Context, rej *event.Rejection) error {
	if l.h.Rejected != nil {
		if err := l.h.Rejected(ctx, rej); err != nil {
			return err
		}
	}
	if l.opts.Rejects != nil && l.rejectErr == nil {
		_, l.rejectErr = l.opts.Rejects.Write(append(rej.Raw[:len(rej.Raw):len(rej.Raw)], '\n'))
	}
	if l.opts.Messages == nil || l.opts.Strict {
		return nil
	}
	l.messages[rej.Reason]++
	switch n := l.messages[rej.Reason]; {
	case n <= MaxRejectMessages:
		fmt.Fprintf(l.opts.Messages, "rejected: %s\n", termsafe.Line(rej.Error()))
	case n == MaxRejectMessages+1:
		fmt.Fprintf(l.opts.Messages, "rejected: further %q lines are counted, not listed\n", termsafe.Line(rej.Reason))
	}
	return nil
}

// NothingProcessed is the error of a run that read lines but could process none of them
// (docs/cli.md, "Rules every command follows": input of which no line could be processed is
// an input error); nil otherwise.
func NothingProcessed(st event.ReadStats) error {
	if st.Read == 0 || st.Processed > 0 {
		return nil
	}
	return fmt.Errorf("no line of the input could be processed: %d read, %d rejected (see the reasons above)",
		st.Read, st.RejectedTotal())
}
