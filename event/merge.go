package event

import (
	"container/heap"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"time"
)

// Reasons the Merger rejects an event; ReadStats.Rejected counts them as it counts the
// Reader's.
const (
	// ReasonLate is an event older than its input's watermark: more than the lateness behind
	// the latest time its input gave before it.
	ReasonLate = "late"
	// ReasonTimeOutOfRange is an event time that cannot be a real observation: before 1970,
	// or more than MergeOptions.MaxAhead after the latest time its input gave before it.
	ReasonTimeOutOfRange = "time out of range"
)

// DefaultLateness is how far out of order an input may be (5 minutes): the real Windows
// exports in the shared datasets are up to 54 s out of order within a file, and collectors
// that batch per channel or per host are minutes out of order; alerts of a live stream are
// written at most this much later than the event that closes their window.
const DefaultLateness = 5 * time.Minute

// DefaultMaxAhead is how far an event may be ahead of its input's latest time (24 hours): a
// later one is a broken clock, not an observation, and it must not move the watermark.
const DefaultMaxAhead = 24 * time.Hour

// ErrIdle is what a live input's reader returns, at a line boundary, when no line has come
// for a while (cmd's --idle-flush); the Merger passes it on without ending the input, and
// reading may go on after it.
var ErrIdle = errors.New("input idle")

// epoch is the earliest event time accepted.
var epoch = time.Unix(0, 0).UTC()

// MergeOptions configure a Merger.
type MergeOptions struct {
	// Lateness is how far out of order each input may be; 0 requires each input sorted.
	Lateness time.Duration
	// MaxAhead is how far an event may be ahead of its input's latest time; 0 means
	// DefaultMaxAhead.
	MaxAhead time.Duration
	// MaxHeld bounds the approximate memory of the events held for the lateness, in bytes;
	// 0 means DefaultMaxHeld. Past it the oldest events are released early (see Merger).
	MaxHeld int64
}

// DefaultMaxHeld is how much memory the events held for the lateness may take (256 MiB):
// the shared Windows datasets (16 MB), all ten read at once ten times over, hold about
// 65 MiB at the default lateness, while 150 lines of 15 MiB within five minutes would hold
// 2.2 GB.
const DefaultMaxHeld = 256 << 20

// DefaultBatchHeld is what `run` holds of a batch before it sorts the rest through temporary
// files: sorted runs on disk cost no more time than held events (94k Windows events: 1.6 s of
// CPU at 32 MiB against 1.75 s at 256 MiB) and a fraction of the memory (200 MB peak against
// 575 MB), so a batch holds less than a stream, which can only run the oldest early. What is
// held is live beside the engine: with the enterprise plans and SigmaHQ's Windows rules, 32
// MiB rather than 64 takes 45 MB off the peak of those events for the same CPU.
const DefaultBatchHeld = 32 << 20

// Merger merges inputs into one stream in event-time order, the order the engine's windows
// need. Each input may be out of order by up to the lateness: its watermark is the latest
// time it has given minus the lateness, and an event older than its input's watermark is
// rejected as ReasonLate. An event before 1970 or more than MaxAhead after its input's latest
// time is rejected as ReasonTimeOutOfRange and never moves a watermark (the first event of
// an input sets its clock). Events are released once every input's watermark has passed
// them, in the order (time, source, line), so the merged stream, the late events and the
// counts are functions of the inputs' contents alone: not of the order the inputs are given
// in, nor of the order in which the Merger reads them. Memory holds the events of the last
// lateness of each input, up to MaxHeld bytes: past it the Merger releases its oldest events
// before the watermark has passed them and raises every input's watermark to the last one
// released (later events older than it are late). Results then depend on the order in which
// events arrived, so Forced counts such events for the caller to say so.
//
// A Merger is not safe for concurrent use.
type Merger struct {
	opts   MergeOptions
	inputs []*mergeInput // every input, in the order given
	live   inputHeap     // the inputs not at their end, slowest watermark first
	held   heldEvents
	forced int64 // events released early for MaxHeld
	// lines and admitted are the lines read and the events decoded and admitted so far, over
	// every input (Stats' Read and Processed, kept as they change: see Counts).
	lines, admitted int64
}

// mergeInput is one input with its clock.
type mergeInput struct {
	r        *Reader
	index    int       // in the order given: breaks watermark ties
	pos      int       // in Merger.live
	latest   time.Time // the latest time given; zero before the first event
	floor    time.Time // set by Release: the watermark does not go back below it
	wm       time.Time // the watermark, kept up to date with latest and floor
	done     bool
	rejected map[string]int64 // events the Merger rejected, by reason
}

// NewMerger merges the inputs read by readers.
func NewMerger(opts MergeOptions, readers ...*Reader) *Merger {
	if opts.MaxAhead <= 0 {
		opts.MaxAhead = DefaultMaxAhead
	}
	if opts.MaxHeld <= 0 {
		opts.MaxHeld = DefaultMaxHeld
	}
	m := &Merger{opts: opts}
	for i, r := range readers {
		in := &mergeInput{r: r, index: i, pos: i, rejected: map[string]int64{}}
		m.inputs = append(m.inputs, in)
		m.live = append(m.live, in)
	}
	heap.Init(&m.live)
	return m
}

// Next returns the next event in event-time order, or the rejection of a line or an event
// of any input as it is read. At the end of every input it returns io.EOF; other errors come
// from an input's reader and name it.
func (m *Merger) Next() (*Event, *Rejection, error) {
	for {
		if m.held.len() > 0 && m.released(m.held.first()) {
			return m.held.pop(), nil, nil
		}
		if m.held.bytes > m.opts.MaxHeld {
			return m.releaseEarly(), nil, nil
		}
		if len(m.live) == 0 {
			return nil, nil, io.EOF
		}
		in := m.live[0] // the slowest: reading it is what can raise the lowest watermark
		ev, rej, err := m.read(in)
		m.reposition(in)
		if err != nil || rej != nil {
			return nil, rej, err
		}
		if ev != nil {
			m.held.push(ev)
		}
	}
}

// released reports whether ev is older than every live input's watermark, so that no event
// still to come can precede it.
func (m *Merger) released(ev *Event) bool {
	return len(m.live) == 0 || ev.Time.Before(m.live[0].wm)
}

// releaseEarly releases the oldest event held although the watermark has not passed it, for
// MaxHeld, and raises every input's watermark to its time, so that the stream stays in
// order: an event older than it is late from now on.
func (m *Merger) releaseEarly() *Event {
	ev := m.held.pop()
	m.forced++
	for _, in := range m.live {
		if ev.Time.After(in.floor) {
			in.floor = ev.Time
		}
		in.wm = in.watermark(m.opts.Lateness)
	}
	heap.Init(&m.live)
	return ev
}

// Forced is the number of events released before the watermark passed them because the
// events held exceeded MaxHeld.
func (m *Merger) Forced() int64 { return m.forced }

// reposition puts in back in its place among the live inputs after a read, or takes it out
// at its end.
func (m *Merger) reposition(in *mergeInput) {
	if in.done {
		heap.Remove(&m.live, in.pos)
		return
	}
	in.wm = in.watermark(m.opts.Lateness)
	heap.Fix(&m.live, in.pos)
}

// read reads one line of in: an event to hold, a rejection, or nothing at its end.
func (m *Merger) read(in *mergeInput) (*Event, *Rejection, error) {
	ev, rej, err := in.r.Next()
	if err == nil {
		m.lines++
		if rej == nil {
			m.admitted++
		}
	}
	switch {
	case err == io.EOF:
		in.done = true
		return nil, nil, nil
	case errors.Is(err, ErrIdle):
		return nil, nil, err // the Reader's errors name the file and line
	case err != nil:
		in.done = true
		return nil, nil, err
	case rej != nil:
		return nil, rej, nil
	}
	if reason, detail := m.check(in, ev); reason != "" {
		in.rejected[reason]++
		m.admitted--
		return nil, rejectEvent(ev, reason, detail), nil
	}
	if ev.Time.After(in.latest) {
		in.latest = ev.Time
	}
	return ev, nil, nil
}

// check says why ev cannot enter the stream of in, if it cannot.
func (m *Merger) check(in *mergeInput, ev *Event) (reason, detail string) {
	switch {
	case ev.Time.Before(epoch):
		return ReasonTimeOutOfRange, ev.Time.Format(time.RFC3339Nano) + " is before 1970"
	case in.latest.IsZero():
		return "", ""
	case ev.Time.Sub(in.latest) > m.opts.MaxAhead:
		return ReasonTimeOutOfRange, fmt.Sprintf("%s is %s ahead of the input's latest time %s (at most %s)",
			ev.Time.Format(time.RFC3339Nano), aheadText(ev.Time.Sub(in.latest)),
			in.latest.Format(time.RFC3339Nano), m.opts.MaxAhead)
	}
	wm := in.watermark(m.opts.Lateness)
	switch {
	case !ev.Time.Before(wm):
		return "", ""
	case wm.Equal(in.floor):
		return ReasonLate, fmt.Sprintf("by %s (events up to %s were already released, before the lateness had passed)",
			roundDuration(wm.Sub(ev.Time)), wm.Format(time.RFC3339Nano))
	}
	return ReasonLate, fmt.Sprintf("by %s (the input is at %s, lateness %s)",
		roundDuration(wm.Sub(ev.Time)), in.latest.Format(time.RFC3339Nano), m.opts.Lateness)
}

// watermark is the time before which in gives no more events: its latest time minus the
// lateness; the zero time before its first event.
func (in *mergeInput) watermark(lateness time.Duration) time.Time {
	if in.latest.IsZero() {
		return in.floor
	}
	if wm := in.latest.Add(-lateness); wm.After(in.floor) {
		return wm
	}
	return in.floor
}

// Release gives up waiting for the lateness: it returns the events held, in order, and
// raises every input's watermark past its latest time, so that events older than what was
// released are late from now on. A live stream calls it when its inputs have been idle: the
// results then depend on when the silence came, which is the price of closing windows
// without waiting for events.
func (m *Merger) Release() []*Event {
	out := make([]*Event, 0, m.held.len())
	for m.held.len() > 0 {
		out = append(out, m.held.pop())
	}
	for _, in := range m.live {
		if !in.latest.IsZero() {
			in.floor = in.latest.Add(time.Nanosecond)
		}
		in.wm = in.watermark(m.opts.Lateness)
	}
	heap.Init(&m.live)
	return out
}

// Counts returns Stats().Read and Stats().Processed without building Stats: a caller that
// reads ahead notes them before each Next, to give the counts as of what it used.
func (m *Merger) Counts() (read, processed int64) { return m.lines, m.admitted }

// Stats returns the counts of every input so far, summed: what the readers counted, with the
// events the Merger rejected moved from processed to rejected.
func (m *Merger) Stats() ReadStats {
	var s ReadStats
	for _, in := range m.inputs {
		s.Add(in.r.Stats())
		for reason, n := range in.rejected {
			s.Processed -= n
			s.Rejected[reason] += n
		}
	}
	if s.Rejected == nil {
		s.Rejected = map[string]int64{}
	}
	return s
}

// rejectEvent describes an event the Merger rejects, with its line when the event kept it
// (else the event as decoded, re-encoded).
func rejectEvent(ev *Event, reason, detail string) *Rejection {
	raw := []byte(ev.Raw())
	if len(raw) == 0 {
		raw, _ = json.Marshal(ev.Map())
	}
	return &Rejection{File: ev.Source, Line: ev.Line, Reason: reason, Detail: detail, Raw: raw}
}

// roundDuration shortens d for messages: milliseconds below a minute, seconds above.
func roundDuration(d time.Duration) time.Duration {
	if d < time.Minute {
		return d.Round(time.Millisecond)
	}
	return d.Round(time.Second)
}

// aheadText words how far ahead an event is: in days past a few days (a Duration saturates
// at 292 years, so a clock set to 9999 reads "over 292 years").
func aheadText(d time.Duration) string {
	const day = 24 * time.Hour
	switch {
	case d == math.MaxInt64:
		return "over 292 years"
	case d >= 3*day:
		return fmt.Sprintf("%d days", d/day)
	}
	return roundDuration(d).String()
}

// inputHeap orders live inputs by watermark, then by the order they were given in.
type inputHeap []*mergeInput

func (h inputHeap) Len() int { return len(h) }

func (h inputHeap) Less(i, j int) bool {
	if !h[i].wm.Equal(h[j].wm) {
		return h[i].wm.Before(h[j].wm)
	}
	return h[i].index < h[j].index
}

func (h inputHeap) Swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].pos, h[j].pos = i, j
}

func (h *inputHeap) Push(x any) {
	in := x.(*mergeInput)
	in.pos = len(*h)
	*h = append(*h, in)
}

func (h *inputHeap) Pop() any {
	old := *h
	in := old[len(old)-1]
	old[len(old)-1] = nil
	*h = old[:len(old)-1]
	return in
}

// Before is the order of a merged stream: by time, then source, then line. It depends on the
// events alone, so a set of events sorted by it (slices.SortFunc with Compare) is in the
// order a Merger releases them.
func Before(a, b *Event) bool {
	if !a.Time.Equal(b.Time) {
		return a.Time.Before(b.Time)
	}
	if a.Source != b.Source {
		return a.Source < b.Source
	}
	return a.Line < b.Line
}

// Compare is Before as a three-way comparison, for slices.SortFunc.
func Compare(a, b *Event) int {
	switch {
	case Before(a, b):
		return -1
	case Before(b, a):
		return 1
	}
	return 0
}
