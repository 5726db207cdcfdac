package event

import (
	"errors"
	"io"
	"slices"
	"strings"
	"time"
)

// SortOptions configure a Sorter.
type SortOptions struct {
	// MaxAhead is how far after Now an event may be dated; 0 means DefaultMaxAhead. A later
	// event is a broken clock, not an observation, and is rejected as ReasonTimeOutOfRange.
	MaxAhead time.Duration
	// Now is the time MaxAhead counts from; the zero time means the wall clock when the
	// Sorter is made.
	Now time.Time
	// MaxHeld bounds the approximate memory of the events held in memory, in bytes
	// (Event.Footprint); 0 means DefaultMaxHeld. Past it the events held are sorted and
	// written to a temporary file, and the files are merged at the end.
	MaxHeld int64
	// TempDir is where the temporary files go; "" means os.TempDir().
	TempDir string
}

// Sorter reads a batch, its inputs as one body of evidence, and gives their events sorted by
// event time (BatchCompare) whatever order the lines came in: a Merger with an infinite
// lateness, and nothing late. It reads every input to its end before it gives the first
// event; lines it rejects (the Readers' rejections, and events dated before 1970 or more
// than MaxAhead after Now) come as they are read. Memory holds at most MaxHeld bytes of
// events: past it the events held are sorted and spilled to a temporary file (a sorted
// run), and the runs are merged at the end, so the order, and the results, do not depend on
// MaxHeld. Temporary files are unlinked as soon as they are created where the platform
// allows it (they vanish with the process however it ends), and removed by Close otherwise.
//
// The order, the rejections and the counts are functions of the inputs' contents alone: not
// of the order the inputs are given in, nor of the order of the lines within them (an event
// cites its file and line, so only the citations change). A Sorter is not safe for
// concurrent use.
type Sorter struct {
	opts    SortOptions
	readers []*Reader
	cur     int // the reader being read
	held    []sortItem
	bytes   int64 // the footprint of held
	runs    runSet
	out     *runMerge // the sorted events, once every input is read
	stats   sortStats
	// lines and admitted are the lines read and the events admitted so far (Counts).
	lines, admitted int64
	rejected        map[string]int64 // events the Sorter rejected, by reason
}

// sortStats counts what the Sorter spilled.
type sortStats struct {
	runs, spilled int64
}

// NewSorter sorts the events read by readers.
func NewSorter(opts SortOptions, readers ...*Reader) *Sorter {
	if opts.MaxAhead <= 0 {
		opts.MaxAhead = DefaultMaxAhead
	}
	if opts.MaxHeld <= 0 {
		opts.MaxHeld = DefaultMaxHeld
	}
	if opts.Now.IsZero() {
		opts.Now = time.Now()
	}
	return &Sorter{opts: opts, readers: readers, rejected: map[string]int64{},
		runs: runSet{dir: opts.TempDir}}
}

// Next returns the next event in BatchCompare order, or the rejection of a line or an event
// of any input as it is read. At the end it returns io.EOF; other errors come from an
// input's reader, which name it, or from the temporary files.
func (s *Sorter) Next() (*Event, *Rejection, error) {
	for s.out == nil {
		if s.cur == len(s.readers) {
			if err := s.finish(); err != nil {
				return nil, nil, err
			}
			break
		}
		ev, rej, err := s.read(s.readers[s.cur])
		switch {
		case err == io.EOF:
			s.cur++
		case errors.Is(err, ErrIdle):
			// a batch does not pause: read on
		case err != nil:
			return nil, nil, err
		case rej != nil:
			return nil, rej, nil
		case ev != nil:
			if err := s.hold(ev); err != nil {
				return nil, nil, err
			}
		}
	}
	ev, err := s.out.next()
	if err != nil {
		return nil, nil, err
	}
	if ev == nil {
		return nil, nil, io.EOF
	}
	return ev, nil, nil
}

// read reads one line of r: an event to hold, or a rejection.
func (s *Sorter) read(r *Reader) (*Event, *Rejection, error) {
	ev, rej, err := r.Next()
	if err != nil {
		return nil, nil, err
	}
	s.lines++
	if rej != nil {
		return nil, rej, nil
	}
	if why := OutOfRange(ev.Time, s.opts.Now, "the run's start", s.opts.MaxAhead); why != "" {
		s.rejected[ReasonTimeOutOfRange]++
		if ev.inChunk { // its line stays in memory with the events held from its chunk
			s.bytes += ev.Footprint()
		}
		return nil, rejectEvent(ev, ReasonTimeOutOfRange, why), nil
	}
	s.admitted++
	return ev, nil, nil
}

// hold keeps ev; past MaxHeld the events held are spilled as a sorted run.
func (s *Sorter) hold(ev *Event) error {
	it := newSortItem(ev)
	s.held = append(s.held, it)
	s.bytes += it.bytes
	if s.bytes <= s.opts.MaxHeld {
		return nil
	}
	slices.SortFunc(s.held, compareItems)
	if err := s.runs.spill(s.held); err != nil {
		return err
	}
	s.stats.runs++
	s.stats.spilled += int64(len(s.held))
	clear(s.held)
	s.held, s.bytes = s.held[:0], 0
	return nil
}

// finish sorts what is held and starts merging it with the runs spilled.
func (s *Sorter) finish() error {
	slices.SortFunc(s.held, compareItems)
	out, err := s.runs.merge(s.held)
	if err != nil {
		return err
	}
	s.out, s.held = out, nil
	return nil
}

// Spilled is how many sorted runs, and how many events in them, went to temporary files.
func (s *Sorter) Spilled() (runs, events int64) { return s.stats.runs, s.stats.spilled }

// Forced is always 0: a Sorter releases nothing early (it is there for callers that take
// a Merger or a Sorter).
func (s *Sorter) Forced() int64 { return 0 }

// Release gives nothing: a batch does not pause (it is there for callers that take a
// Merger or a Sorter).
func (s *Sorter) Release() []*Event { return nil }

// Counts returns Stats().Read and Stats().Processed without building Stats.
func (s *Sorter) Counts() (read, processed int64) { return s.lines, s.admitted }

// Stats returns the counts of every input so far, summed: what the readers counted, with the
// events the Sorter rejected moved from processed to rejected.
func (s *Sorter) Stats() ReadStats {
	var st ReadStats
	for _, r := range s.readers {
		st.Add(r.Stats())
	}
	if st.Rejected == nil {
		st.Rejected = map[string]int64{}
	}
	for reason, n := range s.rejected {
		st.Processed -= n
		st.Rejected[reason] += n
	}
	return st
}

// Close removes the temporary files; the Sorter gives nothing after it.
func (s *Sorter) Close() error {
	s.held, s.out = nil, nil
	return s.runs.close()
}

// sortItem is an event with what it is sorted by, computed once.
type sortItem struct {
	sec   int64
	nsec  int32
	bytes int64
	key   string // contentKey
	ev    *Event
}

func newSortItem(ev *Event) sortItem {
	it := newMergeItem(ev)
	it.bytes = ev.Footprint()
	return it
}

// newMergeItem is newSortItem without the footprint, which merging runs does not count.
func newMergeItem(ev *Event) sortItem {
	return sortItem{sec: ev.Time.Unix(), nsec: int32(ev.Time.Nanosecond()), key: contentKey(ev), ev: ev}
}

func compareItems(a, b sortItem) int {
	switch {
	case a.sec != b.sec:
		return cmpInt(a.sec, b.sec)
	case a.nsec != b.nsec:
		return cmpInt(int64(a.nsec), int64(b.nsec))
	}
	if c := strings.Compare(a.key, b.key); c != 0 {
		return c
	}
	return citationCompare(a.ev, b.ev)
}

func cmpInt(a, b int64) int {
	if a < b {
		return -1
	}
	return 1
}

// BatchCompare is the order of a batch (Sorter): by time, then by the event's content (its
// line as read, or its fields as JSON for an event decoded into a map), then source and
// line. Events of equal time are thus ordered by what they say, not by where they were
// read: shuffling lines or moving them between files changes only which file and line an
// event cites, since events that tie on content are the same event.
func BatchCompare(a, b *Event) int {
	return compareItems(newMergeItem(a), newMergeItem(b))
}

// citationCompare orders events by source, then line.
func citationCompare(a, b *Event) int {
	if c := strings.Compare(a.Source, b.Source); c != 0 {
		return c
	}
	switch {
	case a.Line < b.Line:
		return -1
	case a.Line > b.Line:
		return 1
	}
	return 0
}
