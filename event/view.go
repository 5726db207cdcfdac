package event

import (
	"reflect"
	"strings"
	"unicode/utf8"
	"unsafe"

	"github.com/google/cel-go/common/types"
	"github.com/google/cel-go/common/types/ref"
	"github.com/google/cel-go/common/types/traits"

	"github.com/stixcel/stixcel/internal/jsonl"
)

// FieldView shows one event at a time to CEL as a map(string, dyn): `event` in channel
// predicates, `raw` in source profiles. It reads a raw-backed event's fields on first use and
// remembers them until the next Reset, and it is reused from event to event, so that reading
// fields allocates nothing but the CEL values generic expressions ask for. Its values follow
// jsonl.Decode exactly: strings, int64 for whole numbers that fit, float64, bool, null, lists
// and maps.
//
// A FieldView is not safe for concurrent use; each engine worker has its own.
type FieldView struct {
	ev    *Event
	slots *Slots // field names known when the programs were compiled; may be nil
	epoch uint32
	arena []byte // unescaped and lower-cased strings of the current event
	cache []Field
	named []namedField // reads of fields without a slot
	full  traits.Mapper
	// bySlot is, by slot, the member of the current raw-backed event with the slot's name
	// (the last, as encoding/json keeps the last of duplicate keys), found in one pass over
	// the members when the first slot of the event is read; an entry is for the current
	// event when its epoch is the view's.
	bySlot  []slotMember
	indexed uint32    // the epoch bySlot was filled for
	table   slotTable // the slots by name, for index
}

// slotMember is where a slot's field is among an event's members.
type slotMember struct {
	epoch uint32
	at    int32
}

// NewFieldView returns a view of no event; Reset shows one. Reads of the fields that slots
// numbers (it may be nil) are cached in a slice and reached by number with Slot; the view
// sees the fields slots holds when NewFieldView is called, so number every field first.
func NewFieldView(slots *Slots) *FieldView {
	v := &FieldView{slots: slots, epoch: 1}
	if slots != nil {
		v.cache = make([]Field, len(slots.names))
		v.bySlot = make([]slotMember, len(slots.names))
		v.table = newSlotTable(slots.names)
	}
	return v
}

// Reset shows ev. Strings read from the view before are not valid after it. Reset(nil)
// shows no event and lets go of the last one: the view then holds nothing of its line (a
// view that shows one event after another keeps reads of earlier ones until they are read
// again).
func (v *FieldView) Reset(ev *Event) {
	if ev == nil {
		clear(v.cache)
		clear(v.named[:cap(v.named)])
		clear(v.bySlot)
		v.indexed = 0
	}
	v.ev = ev
	v.epoch++
	if v.epoch == 0 { // wrapped: forget every cached read
		clear(v.cache)
		clear(v.bySlot)
		v.epoch = 1
		v.indexed = 0
	}
	v.arena = v.arena[:0]
	v.named = v.named[:0]
	v.full = nil
}

// Kind says what a field holds.
type Kind uint8

// The kinds of a Field.
const (
	KindMissing   Kind = iota // the event has no such field
	KindString                // Field.Str holds the string
	KindNumber                // Field.Raw holds the JSON number text
	KindBool                  // Field.Raw holds true or false
	KindNull                  // Field.Raw holds null
	KindComposite             // Field.Raw holds the JSON object or array text
	KindNative                // Field.Native holds a Go value from Event.Fields or an Override
)

// Field is one field of the event a FieldView shows, read once per event. Its strings may
// point into the event's line or the view's arena: they are valid until the view's next
// Reset, and Native returns a copy to keep.
type Field struct {
	epoch   uint32
	kind    Kind
	str     string // KindString: the string, possibly in the arena
	inArena bool
	utf8OK  bool   // str is known to be valid UTF-8 (read from a line lazyReadable accepted)
	raw     string // KindNumber, KindBool, KindNull, KindComposite: the JSON text
	native  any    // KindNative
	val     ref.Val
	lower   string // str lower-cased, once lowered is true
	lowered bool
}

// Kind says what the field holds.
func (fv *Field) Kind() Kind { return fv.kind }

// Str returns the string of a KindString field, and whether the field is one.
func (fv *Field) Str() (string, bool) { return fv.str, fv.kind == KindString }

// Raw returns the JSON text of a KindNumber, KindBool, KindNull or KindComposite field.
func (fv *Field) Raw() string { return fv.raw }

type namedField struct {
	name string
	Field
}

// Slot returns the field numbered i by the view's Slots, reading it on first use.
func (v *FieldView) Slot(i int) *Field {
	fv := &v.cache[i]
	if fv.epoch != v.epoch {
		*fv = Field{epoch: v.epoch}
		v.readSlot(fv, i)
	}
	return fv
}

// readSlot reads the field of slot i as read does, finding a raw-backed event's member
// through bySlot: one pass over the members (a lookup each) for every slot of the event,
// where each read scanned the members (a Windows event has ~25, and most fields a pack reads
// are missing from it, each a full scan; a Sigma pack reads 6 to 60 fields of an event).
func (v *FieldView) readSlot(fv *Field, i int) {
	text, ok, members := v.memberText(i)
	switch {
	case !members:
		v.read(fv, v.slots.names[i])
	case ok:
		v.setRaw(fv, text)
	}
}

// SlotText returns the JSON text of the field numbered i, as its line holds it (a string's
// quotes and escapes included), without decoding it, when the current event is raw-backed
// and the field one of its members (and not overridden); ok is false otherwise (read Slot).
// Equal texts are equal fields, so what is derived from a field's value alone may be
// remembered by its text (the runtime's candidate index does), and the text is valid while
// the event is.
func (v *FieldView) SlotText(i int) (text string, ok bool) {
	text, ok, _ = v.memberText(i)
	return text, ok
}

// memberText is SlotText; members is false when the field is not read from the members of
// a raw-backed event (read reads it).
func (v *FieldView) memberText(i int) (text string, ok, members bool) {
	ev := v.ev
	if ev == nil || ev.raw == "" || v.overridden(v.slots.names[i]) {
		return "", false, false
	}
	if v.indexed != v.epoch {
		v.index(ev)
	}
	if m := v.bySlot[i]; m.epoch == v.epoch {
		return ev.members[m.at].raw, true, true
	}
	return "", false, true
}

// overridden reports whether one of the current raw-backed event's overrides is named name.
func (v *FieldView) overridden(name string) bool {
	for i := range v.ev.Overrides {
		if v.ev.Overrides[i].Name == name {
			return true
		}
	}
	return false
}

// index maps the slots of the current event's members to them, the last member of a name
// winning.
func (v *FieldView) index(ev *Event) {
	v.indexed = v.epoch
	for k, m := range ev.members {
		if i, ok := v.table.find(m.key); ok {
			v.bySlot[i] = slotMember{epoch: v.epoch, at: int32(k)}
		}
	}
}

// field returns the named field of the current event.
func (v *FieldView) field(name string) *Field {
	if v.slots != nil {
		if i, ok := v.slots.byName[name]; ok && i < len(v.cache) {
			return v.Slot(i)
		}
	}
	for i := range v.named {
		if v.named[i].name == name {
			return &v.named[i].Field
		}
	}
	v.named = append(v.named, namedField{name: name})
	fv := &v.named[len(v.named)-1].Field
	v.read(fv, name)
	return fv
}

func (v *FieldView) read(fv *Field, name string) {
	ev := v.ev
	if ev == nil {
		return
	}
	if ev.raw == "" {
		if x, ok := ev.Fields[name]; ok {
			setNative(fv, x)
		}
		return
	}
	for i := len(ev.Overrides) - 1; i >= 0; i-- {
		if o := &ev.Overrides[i]; o.Name == name {
			if o.Set {
				setNative(fv, o.Value)
			}
			return
		}
	}
	if raw, ok := ev.lastMember(name); ok {
		v.setRaw(fv, raw)
	}
}

func setNative(fv *Field, x any) {
	if s, ok := x.(string); ok {
		fv.kind, fv.str = KindString, s
		return
	}
	fv.kind, fv.native = KindNative, x
}

func (v *FieldView) setRaw(fv *Field, raw string) {
	switch raw[0] {
	case '"':
		body := raw[1 : len(raw)-1]
		fv.kind, fv.utf8OK = KindString, true
		if strings.IndexByte(body, '\\') < 0 {
			fv.str = body
			return
		}
		start := len(v.arena)
		v.arena = appendUnescaped(v.arena, body)
		fv.str, fv.inArena = arenaString(v.arena[start:]), true
	case 't', 'f':
		fv.kind, fv.raw = KindBool, raw
	case 'n':
		fv.kind, fv.raw = KindNull, raw
	case '{', '[':
		fv.kind, fv.raw = KindComposite, raw
	default:
		fv.kind, fv.raw = KindNumber, raw
	}
}

// arenaString views b as a string without copying. The arena only grows during one event
// (an append that moves it leaves earlier strings on the old array), and Reset reuses it:
// such strings are valid until the next Reset, and anything kept longer is cloned.
func arenaString(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	return unsafe.String(&b[0], len(b))
}

// Lower returns fv's string with ASCII letters lowered, as CEL's lowerAscii does for valid
// UTF-8, once per event; ok is false for a value that is not a string or not valid UTF-8.
func (v *FieldView) Lower(fv *Field) (string, bool) {
	if fv.kind != KindString {
		return "", false
	}
	if !fv.lowered {
		s := fv.str
		if !fv.utf8OK && !utf8.ValidString(s) {
			return "", false // lowerAscii replaces invalid bytes: leave it to CEL
		}
		fv.lower, fv.lowered = s, true
		if hasUpperASCII(s) {
			start := len(v.arena)
			for i := 0; i < len(s); i++ {
				c := s[i]
				if 'A' <= c && c <= 'Z' {
					c += 'a' - 'A'
				}
				v.arena = append(v.arena, c)
			}
			fv.lower = arenaString(v.arena[start:])
		}
	}
	return fv.lower, true
}

func hasUpperASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if 'A' <= s[i] && s[i] <= 'Z' {
			return true
		}
	}
	return false
}

// CEL converts fv to a CEL value once per event; found is false for a missing field.
func (v *FieldView) CEL(fv *Field) (ref.Val, bool) {
	if fv.kind == KindMissing {
		return nil, false
	}
	if fv.val == nil {
		fv.val = fv.convert()
	}
	return fv.val, true
}

func (fv *Field) convert() ref.Val {
	switch fv.kind {
	case KindString:
		s := fv.str
		if fv.inArena {
			s = strings.Clone(s) // CEL values may outlive the event
		}
		return types.String(s)
	case KindNumber:
		return types.DefaultTypeAdapter.NativeToValue(jsonl.Number(fv.raw))
	case KindBool:
		return types.Bool(fv.raw[0] == 't')
	case KindNull:
		return types.NullValue
	case KindComposite:
		return types.DefaultTypeAdapter.NativeToValue(rawNative(fv.raw))
	}
	return types.DefaultTypeAdapter.NativeToValue(fv.native)
}

// Native returns fv as jsonl.Decode would give it (nil for a missing field), owning its
// memory (a copy that outlives the event) but for a string, which may be a view into the
// event's line: clone it to keep it.
func (fv *Field) Native() any {
	switch fv.kind {
	case KindMissing:
		return nil
	case KindString:
		if fv.inArena {
			return strings.Clone(fv.str)
		}
		return fv.str
	case KindNative:
		return fv.native
	case KindComposite: // its strings would be views into the line
		return rawNative(strings.Clone(fv.raw))
	}
	return rawNative(fv.raw)
}

// mapper is the whole event as a standard CEL map, for the operations a view does not
// answer itself (iteration, size, equality, conversion).
func (v *FieldView) mapper() traits.Mapper {
	if v.full == nil {
		var fields map[string]any
		if v.ev != nil {
			fields = v.ev.Map()
		}
		if fields == nil {
			fields = map[string]any{}
		}
		v.full = types.NewStringInterfaceMap(types.DefaultTypeAdapter, fields)
	}
	return v.full
}

// Find implements traits.Mapper: a field of the event, read on first use.
func (v *FieldView) Find(key ref.Val) (ref.Val, bool) {
	k, ok := key.(types.String)
	if !ok {
		return v.mapper().Find(key)
	}
	return v.CEL(v.field(string(k)))
}

// Get implements traits.Indexer.
func (v *FieldView) Get(key ref.Val) ref.Val {
	if val, found := v.Find(key); found {
		return val
	}
	return v.mapper().Get(key) // the standard error for a missing or ill-typed key
}

// Contains implements traits.Container.
func (v *FieldView) Contains(key ref.Val) ref.Val {
	if k, ok := key.(types.String); ok {
		return types.Bool(v.field(string(k)).kind != KindMissing)
	}
	return v.mapper().Contains(key)
}

// Iterator implements traits.Iterable.
func (v *FieldView) Iterator() traits.Iterator { return v.mapper().Iterator() }

// Size implements traits.Sizer.
func (v *FieldView) Size() ref.Val { return v.mapper().Size() }

// ConvertToNative implements ref.Val.
func (v *FieldView) ConvertToNative(t reflect.Type) (any, error) {
	return v.mapper().ConvertToNative(t)
}

// ConvertToType implements ref.Val.
func (v *FieldView) ConvertToType(t ref.Type) ref.Val { return v.mapper().ConvertToType(t) }

// Equal implements ref.Val.
func (v *FieldView) Equal(other ref.Val) ref.Val { return v.mapper().Equal(other) }

// Type implements ref.Val.
func (v *FieldView) Type() ref.Type { return types.MapType }

// Value implements ref.Val: the event's fields as a map.
func (v *FieldView) Value() any { return v.mapper().Value() }

// Slots numbers the event fields that compiled programs read, so that a FieldView caches
// their reads in a slice and programs reach them by number (FieldView.Slot).
type Slots struct {
	byName map[string]int
	names  []string
}

// NewSlots returns a table with no fields.
func NewSlots() *Slots { return &Slots{byName: map[string]int{}} }

// Slot returns the number of name, adding it.
func (s *Slots) Slot(name string) int {
	if i, ok := s.byName[name]; ok {
		return i
	}
	s.byName[name] = len(s.names)
	s.names = append(s.names, name)
	return len(s.names) - 1
}

// slotTable numbers the names of a view's slots for index: an open-addressing table hashed
// by a name's length and its first, middle and last eight bytes, cheaper than a map lookup
// for a short key (index looks up every member of an event). Every key's probe ends at an
// empty entry within the longest run of the table's entries, which depends on the slots'
// names alone, the table being at most half full.
type slotTable struct {
	names   []string
	entries []int32 // a slot's number plus one; 0 for none
	mask    uint64
}

func newSlotTable(names []string) slotTable {
	size := 16
	for size < 2*len(names) {
		size *= 2
	}
	t := slotTable{names: names, entries: make([]int32, size), mask: uint64(size - 1)}
	for i, name := range names {
		j := slotHash(name) & t.mask
		for t.entries[j] != 0 {
			j = (j + 1) & t.mask
		}
		t.entries[j] = int32(i + 1)
	}
	return t
}

// find returns the slot numbered for name.
func (t *slotTable) find(name string) (int, bool) {
	for j := slotHash(name) & t.mask; ; j = (j + 1) & t.mask {
		e := t.entries[j]
		if e == 0 {
			return 0, false
		}
		if t.names[e-1] == name {
			return int(e - 1), true
		}
	}
}

func slotHash(s string) uint64 {
	const m1, m2, m3 = 0x9E3779B97F4A7C15, 0xC2B2AE3D27D4EB4F, 0x165667B19E3779F9
	h := uint64(len(s)) * m3
	if len(s) >= 8 {
		h ^= load64(s, 0)*m1 ^ load64(s, len(s)-8)*m2 ^ load64(s, (len(s)-8)/2)
	} else {
		var w uint64
		for i := 0; i < len(s); i++ {
			w = w<<8 | uint64(s[i])
		}
		h ^= w * m1
	}
	h ^= h >> 29
	h *= m2
	return h ^ h>>32
}
