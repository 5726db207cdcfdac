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
		m.add(&fileCursor{name: f.Name(), r: f})
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

// fileCursor reads a sorted run back a block at a time (runBlock bytes, or a record's size
// when larger), each block a new array that is never written again: the events read from it
// keep their texts as slices of it, and their structs, members and overrides come from a
// slab, so that reading a record allocates nothing of its own (a block, and a slab of
// a few dozen events, for every few dozen records). An event read back keeps its block and
// its slab alive while it lives, and only then: what outlives an event (an alert's evidence
// and group values, a correlation key) is a copy.
type fileCursor struct {
	name  string
	r     io.Reader
	block []byte // what was read from r; block[pos:] is not decoded yet
	pos   int
	eof   bool // r has nothing after block
	names internTable
	slab  eventSlab
}

// runBlock is the least a fileCursor reads at a time.
const runBlock = spillBuffer

func (c *fileCursor) next() (*Event, error) {
	ev, err := c.read()
	if err != nil {
		return nil, fmt.Errorf("sorting the batch beyond --max-held: %s: %w", c.name, err)
	}
	return ev, nil
}

// read reads one spilled event: the lengths of its metadata and of its text (uvarints), then
// them. It returns nil at the end of the run.
func (c *fileCursor) read() (*Event, error) {
	if err := c.want(2 * binary.MaxVarintLen64); err != nil {
		return nil, err
	}
	rest := c.block[c.pos:]
	if len(rest) == 0 {
		return nil, nil
	}
	metaLen, n := binary.Uvarint(rest)
	textLen, m := binary.Uvarint(rest[max(n, 0):])
	switch {
	case n == 0 || n > 0 && m == 0:
		return nil, io.ErrUnexpectedEOF
	case n < 0 || m < 0 || metaLen > maxRecord || textLen > maxRecord:
		return nil, errSpill
	}
	head := n + m
	size := head + int(metaLen) + int(textLen)
	if err := c.want(size); err != nil {
		return nil, err
	}
	if len(c.block)-c.pos < size {
		return nil, io.ErrUnexpectedEOF
	}
	record := c.block[c.pos : c.pos+size : c.pos+size]
	c.pos += size
	var text string
	if textLen > 0 {
		text = unsafe.String(&record[head+int(metaLen)], int(textLen)) // never written again
	}
	d := spillDecoder{b: record[head : head+int(metaLen)], names: &c.names, slab: &c.slab}
	ev := d.event(text)
	if d.err != nil {
		return nil, d.err
	}
	return ev, nil
}

// want makes at least n bytes after pos available in block, unless the run ends first: when
// block holds fewer, the rest of it is copied to the start of a new block, which is filled
// from the file.
func (c *fileCursor) want(n int) error {
	have := len(c.block) - c.pos
	if have >= n || c.eof {
		return nil
	}
	b := make([]byte, max(runBlock, n))
	copy(b, c.block[c.pos:])
	got, err := io.ReadAtLeast(c.r, b[have:], n-have)
	switch {
	case err == io.EOF || err == io.ErrUnexpectedEOF:
		c.eof = true
	case err != nil:
		return err
	}
	c.block, c.pos = b[:have+got], 0
	return nil
}

// eventSlab gives the events read back from a run, their members and their overrides, from
// arrays allocated a few dozen events at a time.
type eventSlab struct {
	events    []Event
	members   []member
	overrides []Override
}

// Slab sizes: events, and members or overrides; a longer list is allocated alone.
const (
	slabEvents  = 64
	slabMembers = 1024
)

func (s *eventSlab) event() *Event {
	if len(s.events) == 0 {
		s.events = make([]Event, slabEvents)
	}
	ev := &s.events[0]
	s.events = s.events[1:]
	return ev
}

func (s *eventSlab) memberList(n int) []member {
	return take(&s.members, n)
}

func (s *eventSlab) overrideList(n int) []Override {
	return take(&s.overrides, n)
}

// take cuts n items off the front of *slab, refilled with slabMembers new ones when it holds
// fewer; a list longer than slabMembers/8 is allocated alone.
func take[T any](slab *[]T, n int) []T {
	if n > slabMembers/8 {
		return make([]T, n)
	}
	if len(*slab) < n {
		*slab = make([]T, slabMembers)
	}
	out := (*slab)[:n:n]
	*slab = (*slab)[n:]
	return out
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
			m.heads = append(m.heads, mergeHead{item: newMergeItem(ev), c: h.c})
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
		top.item = newMergeItem(nxt)
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

// A spilled event is one record: the lengths of its metadata and of its text (uvarints),
// the metadata, then the text. The metadata holds the time, log source, source, line and
// line length, and either the members and overrides of a raw-backed event or the fields of
// a map-backed one; the text holds a raw-backed event's line followed by the strings of its
// members and overrides that are not in the line (unescaped keys, a profile's computed
// values). A member is written as where its key and its value start after the end of the
// member before, and their lengths: four numbers of a byte each, mostly. Read back, the
// event's line and those strings are slices of the record's text, as the members and the
// overrides of the event written were of its line mostly, and the text of the run's block
// (fileCursor). Log sources, sources and override names, which repeat from event to event, are
// written once per run and read back as one string each (internTable). Values keep their Go
// types (string, int64, float64, bool, nil, []any, map[string]any), so that an event read
// back is the event written.
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
	tagText // a string of the record's text: offset and length
)

// Kinds of spilled events.
const (
	kindMap byte = iota
	kindRaw
)

// runWriter writes spilled events to one run.
type runWriter struct {
	w     *bufio.Writer
	meta  []byte // the record being written but its text
	extra []byte // the text of a raw-backed record after its line
	names internWriter
}

func (w *runWriter) put(ev *Event) error {
	b, extra := w.meta[:0], w.extra[:0]
	b = binary.AppendVarint(b, ev.Time.Unix())
	b = binary.AppendUvarint(b, uint64(ev.Time.Nanosecond()))
	b = appendZone(b, ev.Time)
	b = w.names.append(b, ev.LogSource)
	b = w.names.append(b, ev.Source)
	b = binary.AppendVarint(b, int64(ev.Line))
	b = binary.AppendUvarint(b, uint64(ev.lineBytes))
	if ev.raw != "" {
		b = append(b, kindRaw)
		b, extra = w.appendRaw(b, extra, ev)
	} else {
		b = appendValue(append(b, kindMap), ev.Fields)
	}
	w.meta, w.extra = b, extra
	var head [2 * binary.MaxVarintLen64]byte
	n := binary.PutUvarint(head[:], uint64(len(b)))
	n += binary.PutUvarint(head[n:], uint64(len(ev.raw)+len(extra)))
	for _, part := range [][]byte{head[:n], b, unsafe.Slice(unsafe.StringData(ev.raw), len(ev.raw)), extra} {
		if _, err := w.w.Write(part); err != nil {
			return err
		}
	}
	return nil
}

// appendRaw writes the members and the overrides of a raw-backed event: where each string
// lies in the record's text (its line, then extra, which it returns grown).
func (w *runWriter) appendRaw(b, extra []byte, ev *Event) ([]byte, []byte) {
	text := func(b []byte, s string) []byte {
		off := w.offset(ev.raw, &extra, s)
		return binary.AppendUvarint(binary.AppendUvarint(b, uint64(off)), uint64(len(s)))
	}
	b = binary.AppendUvarint(b, uint64(len(ev.raw)))
	b = binary.AppendUvarint(b, uint64(ev.longest))
	b = binary.AppendUvarint(b, uint64(len(ev.members)))
	end := 0 // where the member before ends in the text: the next one starts a few bytes after
	for _, m := range ev.members {
		key, value := w.offset(ev.raw, &extra, m.key), w.offset(ev.raw, &extra, m.raw)
		if k, v := key-end, value-end; 0 <= k && k < 64 && len(m.key) < 128 && 0 <= v && v < 64 && len(m.raw) < 128 {
			b = append(b, byte(k<<1), byte(len(m.key)), byte(v<<1), byte(len(m.raw))) // varints of a byte each
		} else {
			b = binary.AppendUvarint(binary.AppendVarint(b, int64(k)), uint64(len(m.key)))
			b = binary.AppendUvarint(binary.AppendVarint(b, int64(v)), uint64(len(m.raw)))
		}
		end = value + len(m.raw)
	}
	b = binary.AppendUvarint(b, uint64(len(ev.Overrides)))
	for _, o := range ev.Overrides {
		b = w.names.append(b, o.Name)
		b = appendBool(b, o.Set)
		if str, ok := o.Value.(string); ok {
			b = text(append(b, tagText), str)
		} else {
			b = appendValue(b, o.Value)
		}
	}
	return b, extra
}

// offset is where s lies in a raw-backed record's text: in raw, its line, or else in extra,
// the text after it, where it is appended.
func (w *runWriter) offset(raw string, extra *[]byte, s string) int {
	if off := offsetIn(raw, s); off >= 0 {
		return off
	}
	off := len(raw) + len(*extra)
	*extra = append(*extra, s...)
	return off
}

// Bounds of a run's internTable: strings beyond them are written in full each time.
const (
	maxInterned      = 1024
	maxInternedBytes = 16 << 10
)

// internWriter numbers the log sources, sources and override names of one run as they are
// first written, within the bounds. A string is written as refLiteral and its text (not
// numbered), refNew and its text (numbered next), or refInterned plus its number.
type internWriter struct {
	index map[string]uint64
	bytes int
}

const (
	refLiteral = iota
	refNew
	refInterned
)

func (t *internWriter) append(b []byte, s string) []byte {
	if i, ok := t.index[s]; ok {
		return binary.AppendUvarint(b, refInterned+i)
	}
	if len(t.index) >= maxInterned || t.bytes+len(s) > maxInternedBytes {
		return appendString(append(b, refLiteral), s)
	}
	if t.index == nil {
		t.index = map[string]uint64{}
	}
	t.index[s] = uint64(len(t.index))
	t.bytes += len(s)
	return appendString(append(b, refNew), s)
}

// internTable is a run's strings numbered by its internWriter, as read back: each is one
// string, shared by the events that name it (a few dozen bytes each, 16 KiB at most a run).
type internTable []string

func (d *spillDecoder) interned() string {
	switch ref := d.uvarint(); ref {
	case refLiteral:
		return d.string()
	case refNew:
		s := d.string()
		if len(*d.names) >= maxInterned {
			d.fail()
			return ""
		}
		*d.names = append(*d.names, s)
		return s
	default:
		i := ref - refInterned
		if i >= uint64(len(*d.names)) {
			d.fail()
			return ""
		}
		return (*d.names)[i]
	}
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

// rawEvent reads the members and the overrides of a raw-backed event, whose strings are
// slices of text.
func (d *spillDecoder) rawEvent(text string) *Event {
	n := d.uvarint()
	if n > uint64(len(text)) {
		d.fail()
		return nil
	}
	ev := d.slab.event()
	ev.raw, ev.longest = text[:n], int(d.uvarint())
	ev.members = d.slab.memberList(d.count())
	d.members(text, ev.members)
	if overrides := d.count(); overrides > 0 {
		ev.Overrides = d.slab.overrideList(overrides)
		for i := range ev.Overrides {
			o := &ev.Overrides[i]
			o.Name, o.Set = d.interned(), d.byte() == 1
			if len(d.b) > 0 && d.b[0] == tagText {
				d.b = d.b[1:]
				o.Value = d.slice(text)
			} else {
				o.Value = d.value()
			}
		}
	}
	if d.err != nil {
		return nil
	}
	return ev
}

// members reads the members of a raw-backed event, whose strings are slices of text: for
// each, where its key and its value start after the end of the member before (varints) and
// their lengths (uvarints). A member whose four numbers take a byte each, most of them, is
// read at once.
func (d *spillDecoder) members(text string, out []member) {
	end := 0
	for i := range out {
		var key, value int
		var keyLen, valueLen uint64
		if b := d.b; len(b) >= 4 && (b[0]|b[1]|b[2]|b[3]) < 0x80 {
			key, keyLen = end+int(int8(b[0]>>1)^-int8(b[0]&1)), uint64(b[1])
			value, valueLen = end+int(int8(b[2]>>1)^-int8(b[2]&1)), uint64(b[3])
			d.b = b[4:]
		} else {
			key, keyLen = end+int(d.varint()), d.uvarint()
			value, valueLen = end+int(d.varint()), d.uvarint()
		}
		out[i] = member{key: d.cut(text, key, keyLen), raw: d.cut(text, value, valueLen)}
		end = value + int(valueLen)
	}
}

// slice reads an offset and a length into s.
func (d *spillDecoder) slice(s string) string {
	off, n := d.uvarint(), d.uvarint()
	if off > uint64(len(s)) {
		d.fail()
		return ""
	}
	return d.cut(s, int(off), n)
}

// cut is the n bytes of s from off.
func (d *spillDecoder) cut(s string, off int, n uint64) string {
	if off < 0 || off > len(s) || n > uint64(len(s)-off) {
		d.fail()
		return ""
	}
	return s[off : off+int(n)]
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

// maxRecord bounds the lengths a record states: a longer one is a corrupt file, not an
// allocation to make.
const maxRecord = 1 << 40

// errSpill is the error of a spilled record that does not decode: the file was changed
// under the run.
var errSpill = errors.New("corrupt record")

// spillDecoder reads the fields of one record's metadata; the first error sticks.
type spillDecoder struct {
	b     []byte
	names *internTable
	slab  *eventSlab
	err   error
}

func (d *spillDecoder) event(text string) *Event {
	sec, nsec := d.varint(), d.uvarint()
	loc := d.zone()
	logSource, src, line, lineBytes := d.interned(), d.interned(), d.varint(), d.uvarint()
	var ev *Event
	if d.byte() == kindRaw {
		if ev = d.rawEvent(text); ev == nil {
			return nil
		}
	} else {
		fields, _ := d.value().(map[string]any)
		ev = d.slab.event()
		ev.Fields = fields
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
