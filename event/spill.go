package event

import (
	"bufio"
	"container/heap"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"slices"
	"time"
	"unsafe"
)

// maxFanIn is how many sorted runs of one size are merged into one: runs are merged as the
// digits of a counter in base maxFanIn carry (64 runs of the first size make one of the
// second, and so on), so that every event is rewritten a few times at most and a batch far
// larger than MaxHeld keeps few files open.
const maxFanIn = 64

// spillBuffer is the buffer of each temporary file, written or read.
const spillBuffer = 64 << 10

// runSet is a Sorter's sorted runs on disk.
type runSet struct {
	dir   string
	files []*os.File // each a sorted run, written and rewound
	level []int      // of each file: how many merges made it; never rising along files
	all   []*os.File // every file created, for close
}

// spill writes items, sorted, as a new run, and merges the runs of its size once there are
// maxFanIn of them.
func (rs *runSet) spill(items []sortItem) error {
	err := rs.write(0, func(w *runWriter) error {
		for _, it := range items {
			if err := w.put(it.ev); err != nil {
				return err
			}
		}
		return nil
	})
	for err == nil {
		n, level := rs.trailing()
		if n < maxFanIn {
			break
		}
		err = rs.compact(len(rs.files)-n, level+1)
	}
	return err
}

// trailing is how many of the last runs share the last run's level, and that level.
func (rs *runSet) trailing() (int, int) {
	last := len(rs.level) - 1
	n := 0
	for n <= last && rs.level[last-n] == rs.level[last] {
		n++
	}
	return n, rs.level[last]
}

// compact merges the runs from the from'th on into one run of the given level.
func (rs *runSet) compact(from, level int) error {
	merged := slices.Clone(rs.files[from:])
	m, err := mergeRuns(merged, nil)
	if err != nil {
		return err
	}
	rs.files, rs.level = rs.files[:from], rs.level[:from]
	err = rs.write(level, func(w *runWriter) error {
		for {
			ev, err := m.next()
			if err != nil || ev == nil {
				return err
			}
			if err := w.put(ev); err != nil {
				return err
			}
		}
	})
	rs.all = slices.DeleteFunc(rs.all, func(f *os.File) bool { return slices.Contains(merged, f) })
	return errors.Join(err, removeFiles(merged))
}

// write creates a temporary file, fills it with fill and adds it to the runs, rewound.
func (rs *runSet) write(level int, fill func(*runWriter) error) error {
	f, err := createRun(rs.dir)
	if err != nil {
		return fmt.Errorf("sorting the batch beyond --max-held: %w", err)
	}
	rs.all = append(rs.all, f)
	w := &runWriter{w: bufio.NewWriterSize(f, spillBuffer)}
	err = fill(w)
	if err == nil {
		err = w.w.Flush()
	}
	if err == nil {
		_, err = f.Seek(0, io.SeekStart)
	}
	if err != nil {
		return fmt.Errorf("sorting the batch beyond --max-held: %s: %w", f.Name(), err)
	}
	rs.files, rs.level = append(rs.files, f), append(rs.level, level)
	return nil
}

// merge starts a k-way merge of every run and held (sorted), and gives the runs up: the
// merge reads them.
func (rs *runSet) merge(held []sortItem) (*runMerge, error) {
	files := rs.files
	rs.files, rs.level = nil, nil
	return mergeRuns(files, held)
}

// mergeRuns starts a k-way merge of files and held.
func mergeRuns(files []*os.File, held []sortItem) (*runMerge, error) {
	m := &runMerge{}
	if len(held) > 0 {
		m.add(&memCursor{items: held})
	}
	for _, f := range files {
		m.add(&fileCursor{name: f.Name(), r: bufio.NewReaderSize(f, spillBuffer)})
	}
	if err := m.start(); err != nil {
		return nil, err
	}
	return m, nil
}

// close closes and removes every temporary file.
func (rs *runSet) close() error {
	err := removeFiles(rs.all)
	rs.all, rs.files, rs.level = nil, nil, nil
	return err
}

// runPattern names the temporary files of sorted runs where they need a name.
const runPattern = "stixcel-sort-*.run"

// removeFiles closes and removes files (where createRun could not leave them nameless).
func removeFiles(files []*os.File) error {
	var errs []error
	for _, f := range files {
		_ = f.Close()
		if err := os.Remove(f.Name()); err != nil && !errors.Is(err, os.ErrNotExist) {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// cursor is one sorted run being merged.
type cursor interface {
	// next returns the run's next event, or nil at its end.
	next() (*Event, error)
}

type memCursor struct {
	items []sortItem
}

func (c *memCursor) next() (*Event, error) {
	if len(c.items) == 0 {
		return nil, nil
	}
	ev := c.items[0].ev
	c.items[0] = sortItem{}
	c.items = c.items[1:]
	return ev, nil
}

type fileCursor struct {
	name string
	r    *bufio.Reader
	buf  []byte // the record being read; what the event keeps is copied out of it
}

func (c *fileCursor) next() (*Event, error) {
	ev, err := readSpilled(c.r, &c.buf)
	if err != nil {
		return nil, fmt.Errorf("sorting the batch beyond --max-held: %s: %w", c.name, err)
	}
	return ev, nil
}

// runMerge merges sorted runs: a heap of each run's next event.
type runMerge struct {
	heads []mergeHead
}

type mergeHead struct {
	item sortItem
	c    cursor
}

func (m *runMerge) add(c cursor) { m.heads = append(m.heads, mergeHead{c: c}) }

// start reads the first event of every run.
func (m *runMerge) start() error {
	heads := m.heads
	m.heads = m.heads[:0]
	for _, h := range heads {
		ev, err := h.c.next()
		if err != nil {
			return err
		}
		if ev != nil {
			m.heads = append(m.heads, mergeHead{item: newSortItem(ev), c: h.c})
		}
	}
	heap.Init(m)
	return nil
}

// next returns the next event of the merge, or nil at its end.
func (m *runMerge) next() (*Event, error) {
	if len(m.heads) == 0 {
		return nil, nil
	}
	top := &m.heads[0]
	ev := top.item.ev
	nxt, err := top.c.next()
	switch {
	case err != nil:
		return nil, err
	case nxt == nil:
		heap.Pop(m)
	default:
		top.item = newSortItem(nxt)
		heap.Fix(m, 0)
	}
	return ev, nil
}

func (m *runMerge) Len() int           { return len(m.heads) }
func (m *runMerge) Less(i, j int) bool { return compareItems(m.heads[i].item, m.heads[j].item) < 0 }
func (m *runMerge) Swap(i, j int)      { m.heads[i], m.heads[j] = m.heads[j], m.heads[i] }
func (m *runMerge) Push(x any)         { m.heads = append(m.heads, x.(mergeHead)) }
func (m *runMerge) Pop() any {
	last := m.heads[len(m.heads)-1]
	m.heads[len(m.heads)-1] = mergeHead{}
	m.heads = m.heads[:len(m.heads)-1]
	return last
}

// contentKey is what events of equal time are ordered by: the line of an event backed by
// it, else its fields as JSON (keys sorted).
func contentKey(ev *Event) string {
	if ev.raw != "" {
		return ev.raw
	}
	b, err := json.Marshal(ev.Fields)
	if err != nil { // fields decoded from JSON: cannot happen
		return ""
	}
	return string(b)
}

// A spilled event is one record: its length (uvarint), then time, log source, source,
// line, line length, and either its raw text and overrides or its fields. Values keep their
// Go types (string, int64, float64, bool, nil, []any, map[string]any), so that an event
// read back is the event written.
const (
	tagNil byte = iota
	tagFalse
	tagTrue
	tagInt
	tagFloat
	tagString
	tagList
	tagMap
	tagJSON // another type, as JSON
)

// runWriter writes spilled events.
type runWriter struct {
	w   *bufio.Writer
	buf []byte
}

func (w *runWriter) put(ev *Event) error {
	b := w.buf[:0]
	b = binary.AppendVarint(b, ev.Time.Unix())
	b = binary.AppendUvarint(b, uint64(ev.Time.Nanosecond()))
	b = appendZone(b, ev.Time)
	b = appendString(b, ev.LogSource)
	b = appendString(b, ev.Source)
	b = binary.AppendVarint(b, int64(ev.Line))
	b = binary.AppendUvarint(b, uint64(ev.lineBytes))
	if ev.raw != "" {
		b = append(b, 1)
		b = appendString(b, ev.raw)
		b = appendMembers(b, ev)
		b = binary.AppendUvarint(b, uint64(len(ev.Overrides)))
		for _, o := range ev.Overrides {
			b = appendString(b, o.Name)
			b = appendBool(b, o.Set)
			b = appendValue(b, o.Value)
		}
	} else {
		b = append(b, 0)
		b = appendValue(b, ev.Fields)
	}
	w.buf = b
	var n [binary.MaxVarintLen64]byte
	if _, err := w.w.Write(n[:binary.PutUvarint(n[:], uint64(len(b)))]); err != nil {
		return err
	}
	_, err := w.w.Write(b)
	return err
}

// Zones of spilled times: the location an event's time was parsed in is kept, so that the
// time read back formats as the time written.
const (
	zoneUTC byte = iota
	zoneLocal
	zoneFixed
)

func appendZone(b []byte, t time.Time) []byte {
	switch t.Location() {
	case time.UTC:
		return append(b, zoneUTC)
	case time.Local:
		return append(b, zoneLocal)
	}
	name, offset := t.Zone()
	return binary.AppendVarint(appendString(append(b, zoneFixed), name), int64(offset))
}

func (d *spillDecoder) zone() *time.Location {
	switch d.byte() {
	case zoneUTC:
		return time.UTC
	case zoneLocal:
		return time.Local
	}
	name := d.string()
	return time.FixedZone(name, int(d.varint()))
}

// appendMembers writes where the members of a raw-backed event are in its text (offsets, or
// a key as unescaped text), so that reading it back does not scan the text again.
func appendMembers(b []byte, ev *Event) []byte {
	b = binary.AppendUvarint(b, uint64(ev.longest))
	b = binary.AppendUvarint(b, uint64(len(ev.members)))
	for _, m := range ev.members {
		if off := offsetIn(ev.raw, m.key); off >= 0 {
			b = binary.AppendUvarint(append(b, 1), uint64(off))
			b = binary.AppendUvarint(b, uint64(len(m.key)))
		} else {
			b = appendString(append(b, 0), m.key)
		}
		off := max(offsetIn(ev.raw, m.raw), 0) // a value is always a substring of the text
		b = binary.AppendUvarint(b, uint64(off))
		b = binary.AppendUvarint(b, uint64(len(m.raw)))
	}
	return b
}

// offsetIn is where sub lies in s, if it is a substring of s's memory; else -1.
func offsetIn(s, sub string) int {
	if len(sub) == 0 {
		return 0
	}
	base, p := uintptr(unsafe.Pointer(unsafe.StringData(s))), uintptr(unsafe.Pointer(unsafe.StringData(sub)))
	if p < base || p+uintptr(len(sub)) > base+uintptr(len(s)) {
		return -1
	}
	return int(p - base)
}

// rawEvent reads the text and the members of a raw-backed event.
func (d *spillDecoder) rawEvent() *Event {
	raw := d.string()
	longest, n := d.uvarint(), d.count()
	ev := &Event{raw: raw, longest: int(longest), members: make([]member, 0, n)}
	for i := 0; i < n && d.err == nil; i++ {
		var key string
		if d.byte() == 1 {
			key = d.slice(raw)
		} else {
			key = d.string()
		}
		ev.members = append(ev.members, member{key: key, raw: d.slice(raw)})
	}
	if d.err != nil {
		return nil
	}
	return ev
}

// slice reads an offset and a length into s.
func (d *spillDecoder) slice(s string) string {
	off, n := d.uvarint(), d.uvarint()
	if off > uint64(len(s)) || n > uint64(len(s))-off {
		d.fail()
		return ""
	}
	return s[off : off+n]
}

func appendString(b []byte, s string) []byte {
	return append(binary.AppendUvarint(b, uint64(len(s))), s...)
}

func appendBool(b []byte, v bool) []byte {
	if v {
		return append(b, 1)
	}
	return append(b, 0)
}

func appendValue(b []byte, v any) []byte {
	switch t := v.(type) {
	case nil:
		return append(b, tagNil)
	case bool:
		if t {
			return append(b, tagTrue)
		}
		return append(b, tagFalse)
	case int64:
		return binary.AppendVarint(append(b, tagInt), t)
	case float64:
		return binary.LittleEndian.AppendUint64(append(b, tagFloat), math.Float64bits(t))
	case string:
		return appendString(append(b, tagString), t)
	case []any:
		b = binary.AppendUvarint(append(b, tagList), uint64(len(t)))
		for _, x := range t {
			b = appendValue(b, x)
		}
		return b
	case map[string]any:
		b = binary.AppendUvarint(append(b, tagMap), uint64(len(t)))
		for k, x := range t {
			b = appendValue(appendString(b, k), x)
		}
		return b
	}
	text, err := json.Marshal(v)
	if err != nil {
		text = []byte("null")
	}
	return appendString(append(b, tagJSON), string(text))
}

// readSpilled reads one spilled event into buf; nil at the end of the run.
func readSpilled(r *bufio.Reader, buf *[]byte) (*Event, error) {
	size, err := binary.ReadUvarint(r)
	if err == io.EOF {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if uint64(cap(*buf)) < size {
		*buf = make([]byte, size)
	}
	rec := (*buf)[:size]
	if _, err := io.ReadFull(r, rec); err != nil {
		return nil, err
	}
	d := &spillDecoder{b: rec}
	ev := d.event()
	if d.err != nil {
		return nil, d.err
	}
	return ev, nil
}

// errSpill is the error of a spilled record that does not decode: the file was changed
// under the run.
var errSpill = errors.New("corrupt record")

// spillDecoder reads the fields of one record; the first error sticks.
type spillDecoder struct {
	b   []byte
	err error
}

func (d *spillDecoder) event() *Event {
	sec, nsec := d.varint(), d.uvarint()
	loc := d.zone()
	logSource, src, line, lineBytes := d.string(), d.string(), d.varint(), d.uvarint()
	var ev *Event
	if d.byte() == 1 {
		if ev = d.rawEvent(); ev == nil {
			return nil
		}
		n := d.uvarint()
		for i := uint64(0); i < n && d.err == nil; i++ {
			ev.Overrides = append(ev.Overrides, Override{Name: d.string(), Set: d.byte() == 1, Value: d.value()})
		}
	} else {
		fields, _ := d.value().(map[string]any)
		ev = &Event{Fields: fields}
	}
	if d.err != nil {
		return nil
	}
	ev.Time = time.Unix(sec, int64(nsec)).In(loc)
	ev.LogSource, ev.Source, ev.Line, ev.lineBytes = logSource, src, int(line), int(lineBytes)
	return ev
}

func (d *spillDecoder) value() any {
	switch d.byte() {
	case tagNil:
		return nil
	case tagFalse:
		return false
	case tagTrue:
		return true
	case tagInt:
		return d.varint()
	case tagFloat:
		if len(d.b) < 8 {
			d.fail()
			return nil
		}
		v := math.Float64frombits(binary.LittleEndian.Uint64(d.b))
		d.b = d.b[8:]
		return v
	case tagString:
		return d.string()
	case tagList:
		n := d.count()
		out := make([]any, 0, n)
		for i := 0; i < n && d.err == nil; i++ {
			out = append(out, d.value())
		}
		return out
	case tagMap:
		n := d.count()
		out := make(map[string]any, n)
		for i := 0; i < n && d.err == nil; i++ {
			k := d.string()
			out[k] = d.value()
		}
		return out
	case tagJSON:
		var v any
		if json.Unmarshal([]byte(d.string()), &v) != nil {
			d.fail()
		}
		return v
	}
	d.fail()
	return nil
}

func (d *spillDecoder) fail() {
	if d.err == nil {
		d.err = errSpill
	}
	d.b = nil
}

func (d *spillDecoder) byte() byte {
	if len(d.b) == 0 {
		d.fail()
		return 0
	}
	c := d.b[0]
	d.b = d.b[1:]
	return c
}

func (d *spillDecoder) varint() int64 {
	v, n := binary.Varint(d.b)
	if n <= 0 {
		d.fail()
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *spillDecoder) uvarint() uint64 {
	v, n := binary.Uvarint(d.b)
	if n <= 0 {
		d.fail()
		return 0
	}
	d.b = d.b[n:]
	return v
}

// count is a length that the rest of the record can hold (each item takes a byte at least).
func (d *spillDecoder) count() int {
	n := d.uvarint()
	if n > uint64(len(d.b)) {
		d.fail()
		return 0
	}
	return int(n)
}

func (d *spillDecoder) string() string {
	n := d.uvarint()
	if n > uint64(len(d.b)) {
		d.fail()
		return ""
	}
	s := string(d.b[:n])
	d.b = d.b[n:]
	return s
}
