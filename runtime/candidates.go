package runtime

import (
	"sort"
	"strings"
	"unicode/utf8"
	"unsafe"

	"github.com/coregx/ahocorasick"

	"github.com/stixcel/stixcel/event"
)

// candidateIndex finds, once per event and field, which clauses of the channels' needs
// (need.go) hold: one Aho–Corasick pass over the field's ASCII-lowered value finds every
// literal of every clause on that field. A step whose need has a clause that does not hold
// is not evaluated: it would be false, without an error. Thousands of Sigma rules testing
// the same few fields (CommandLine, Image, ...) then cost one pass per field, and the CEL
// programs of the few rules whose literals occur.
//
// The index is read-only once built; each shard keeps its own candidateScan.
type candidateIndex struct {
	fields  []candidateField
	clauses []indexedClause
}

// candidateField is one event field some clause tests.
type candidateField struct {
	slot int
	// matcher finds the clauses' literals on the field (nil when it has none); byPattern
	// lists, per pattern, the clauses it makes hold.
	matcher   *ahocorasick.Automaton
	byPattern [][]int32
	// any: the clauses with an atom on the field, which hold when it is not a string that
	// can be told apart; unguarded: those with an unguarded atom, which hold when it is
	// missing; ks: those with an atom that U+212A or U+017F may match.
	any, unguarded, ks []int32
}

// indexedClause is a clause by the fields it reads.
type indexedClause struct {
	fields []int32
}

// candidateBuilder numbers the distinct clauses of the channels' needs and their fields.
type candidateBuilder struct {
	slots    *event.Slots
	fieldIdx map[string]int32
	fields   []*fieldBuild
	clauses  map[string]int32
	idx      *candidateIndex
}

type fieldBuild struct {
	name     string
	patterns map[string]int32
	lits     []string
	byLit    [][]int32
	any      []int32
	unguard  []int32
	ks       []int32
}

func newCandidateBuilder(slots *event.Slots) *candidateBuilder {
	return &candidateBuilder{slots: slots, fieldIdx: map[string]int32{}, clauses: map[string]int32{},
		idx: &candidateIndex{}}
}

// add numbers the clauses of n (once per distinct clause) and returns their numbers, in
// n's order; nil for a nil need.
func (b *candidateBuilder) add(n need) []int32 {
	if n == nil {
		return nil
	}
	ids := make([]int32, 0, len(n))
	for _, c := range n {
		ids = append(ids, b.clause(c))
	}
	return ids
}

func (b *candidateBuilder) clause(c clause) int32 {
	key := clauseKey(c)
	if id, ok := b.clauses[key]; ok {
		return id
	}
	id := int32(len(b.idx.clauses))
	b.clauses[key] = id
	var ic indexedClause
	for _, a := range c {
		f := b.field(a.field)
		fb := b.fields[f]
		if !containsInt32(ic.fields, f) {
			ic.fields = append(ic.fields, f)
			fb.any = append(fb.any, id)
		}
		p, ok := fb.patterns[a.lit]
		if !ok {
			p = int32(len(fb.lits))
			fb.patterns[a.lit] = p
			fb.lits = append(fb.lits, a.lit)
			fb.byLit = append(fb.byLit, nil)
		}
		if !containsInt32(fb.byLit[p], id) {
			fb.byLit[p] = append(fb.byLit[p], id)
		}
		if !a.guarded && !containsInt32(fb.unguard, id) {
			fb.unguard = append(fb.unguard, id)
		}
		if a.ks && !containsInt32(fb.ks, id) {
			fb.ks = append(fb.ks, id)
		}
	}
	b.idx.clauses = append(b.idx.clauses, ic)
	return id
}

func (b *candidateBuilder) field(name string) int32 {
	if f, ok := b.fieldIdx[name]; ok {
		return f
	}
	f := int32(len(b.fields))
	b.fieldIdx[name] = f
	b.fields = append(b.fields, &fieldBuild{name: name, patterns: map[string]int32{}})
	return f
}

// build compiles one matcher per field; nil when no channel has a need.
func (b *candidateBuilder) build() (*candidateIndex, error) {
	if len(b.idx.clauses) == 0 {
		return nil, nil
	}
	for _, fb := range b.fields {
		cf := candidateField{slot: b.slots.Slot(fb.name), byPattern: fb.byLit, any: fb.any, unguarded: fb.unguard, ks: fb.ks}
		m, err := ahocorasick.NewBuilder().AddStrings(fb.lits).Build()
		if err != nil {
			return nil, err
		}
		cf.matcher = m
		b.idx.fields = append(b.idx.fields, cf)
	}
	return b.idx, nil
}

// clauseKey is a clause's atoms in a canonical order.
func clauseKey(c clause) string {
	parts := make([]string, len(c))
	for i, a := range c {
		flags := []byte{'-', '-'}
		if a.guarded {
			flags[0] = 'g'
		}
		if a.ks {
			flags[1] = 'k'
		}
		parts[i] = a.field + "\x00" + string(flags) + "\x00" + a.lit
	}
	sort.Strings(parts)
	return strings.Join(parts, "\x01")
}

func containsInt32(xs []int32, x int32) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}

// candidateScan is a shard's view of the index for its current event: which fields it has
// scanned, which clauses hold. Generations make starting an event free.
type candidateScan struct {
	idx       *candidateIndex
	gen       uint32
	fieldGen  []uint32
	clauseGen []uint32
	lower     []byte
}

func newCandidateScan(idx *candidateIndex) *candidateScan {
	if idx == nil {
		return nil
	}
	return &candidateScan{idx: idx, gen: 1, fieldGen: make([]uint32, len(idx.fields)),
		clauseGen: make([]uint32, len(idx.clauses))}
}

// next starts a new event.
func (cs *candidateScan) next() {
	cs.gen++
	if cs.gen == 0 {
		clear(cs.fieldGen)
		clear(cs.clauseGen)
		cs.gen = 1
	}
}

// holds reports whether every clause of ids holds of the event v shows.
func (cs *candidateScan) holds(ids []int32, v *event.FieldView) bool {
	for _, id := range ids {
		if cs.clauseGen[id] == cs.gen {
			continue
		}
		for _, f := range cs.idx.clauses[id].fields {
			if cs.fieldGen[f] != cs.gen {
				cs.scan(f, v)
			}
		}
		if cs.clauseGen[id] != cs.gen {
			return false
		}
	}
	return true
}

// scan marks the clauses that field f makes hold.
func (cs *candidateScan) scan(f int32, v *event.FieldView) {
	cs.fieldGen[f] = cs.gen
	cf := &cs.idx.fields[f]
	fv := v.Slot(cf.slot)
	if fv.Kind() == event.KindMissing {
		cs.mark(cf.unguarded)
		return
	}
	s, ok := cs.lowered(v, fv)
	if !ok {
		cs.mark(cf.any)
		return
	}
	if len(cf.ks) > 0 && (strings.Contains(s, "\u212a") || strings.Contains(s, "\u017f")) {
		cs.mark(cf.ks)
	}
	for _, m := range cf.matcher.FindAllOverlapping(unsafeBytes(s)) {
		cs.mark(cf.byPattern[m.PatternID])
	}
}

func (cs *candidateScan) mark(ids []int32) {
	for _, id := range ids {
		cs.clauseGen[id] = cs.gen
	}
}

// lowered is a string field's value with ASCII letters lowered, as lowerAscii gives it;
// ok is false for any other value, and for invalid UTF-8 (which lowerAscii rewrites).
func (cs *candidateScan) lowered(v *event.FieldView, fv *event.Field) (string, bool) {
	if fv.Kind() == event.KindString {
		return v.Lower(fv)
	}
	if fv.Kind() != event.KindNative {
		return "", false
	}
	s, ok := fv.Native().(string)
	if !ok || !utf8.ValidString(s) {
		return "", false
	}
	cs.lower = append(cs.lower[:0], s...)
	for i, c := range cs.lower {
		if 'A' <= c && c <= 'Z' {
			cs.lower[i] = c + 'a' - 'A'
		}
	}
	return unsafe.String(unsafe.SliceData(cs.lower), len(cs.lower)), true
}

// unsafeBytes shows s as bytes, for a matcher that only reads them.
func unsafeBytes(s string) []byte { return unsafe.Slice(unsafe.StringData(s), len(s)) }
