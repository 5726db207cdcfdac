package runtime

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"
	"unsafe"

	"github.com/coregx/ahocorasick"

	"github.com/stixcel/stixcel/event"
	"github.com/stixcel/stixcel/internal/relit"
)

// candidateIndex finds, once per event and field, which clauses of the channels' needs
// (need.go) hold: one Aho–Corasick pass over the field's ASCII-lowered value finds every
// literal of every clause on that field. A step whose need has a clause that does not hold
// is not evaluated: it would be false, without an error. Thousands of Sigma rules testing
// the same few fields (CommandLine, Image, ...) then cost one pass per field, and the CEL
// programs of the few rules whose literals occur.
//
// The automata read the literals and the values with every byte >= 0x80 folded to one
// (foldHigh): a literal then may be found where it does not occur, never missed where it
// does, and CEL decides; the automata count one byte class for all of UTF-8's non-ASCII
// bytes, which a few literals otherwise spread over a hundred classes, doubling the
// transition tables.
//
// The index is read-only once built; each shard keeps its own candidateScan.
type candidateIndex struct {
	fields  []candidateField
	clauses []indexedClause
}

// candidateField is one event field some clause tests.
type candidateField struct {
	slot int
	// matcher finds the clauses' literals on the field, folded (foldHigh; nil when it has
	// none); byPattern
	// lists, per pattern, the clauses it makes hold; byNumber, per whole number, the clauses
	// whose number atoms it makes hold.
	matcher   *ahocorasick.Automaton
	byPattern [][]int32
	byNumber  map[int64][]int32
	// tests: the clauses with a string-function atom on the field, which hold when it is
	// present but not a string; all: every clause with an atom on it (a string that is not
	// valid UTF-8); unguarded: those with an unguarded atom, which hold when it is missing;
	// ks: those with an atom that U+212A or U+017F may match; anyString: those whose literal
	// no pattern finds (narrow), which hold of any string.
	tests, all, unguarded, ks, anyString []int32
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
	byNumber map[int64][]int32
	tests    []int32
	all      []int32
	unguard  []int32
	ks       []int32
}

// addOnce appends id unless it is there.
func addOnce(ids []int32, id int32) []int32 {
	if containsInt32(ids, id) {
		return ids
	}
	return append(ids, id)
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
			fb.all = append(fb.all, id)
		}
		switch a.kind {
		case atomNumber:
			fb.byNumber[a.num] = addOnce(fb.byNumber[a.num], id)
		default:
			lit := string(foldHigh(nil, a.lit))
			p, ok := fb.patterns[lit]
			if !ok {
				p = int32(len(fb.lits))
				fb.patterns[lit] = p
				fb.lits = append(fb.lits, lit)
				fb.byLit = append(fb.byLit, nil)
			}
			fb.byLit[p] = addOnce(fb.byLit[p], id)
		}
		if a.kind == atomTest {
			fb.tests = addOnce(fb.tests, id)
		}
		if !a.guarded {
			fb.unguard = addOnce(fb.unguard, id)
		}
		if a.ks {
			fb.ks = addOnce(fb.ks, id)
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
	b.fields = append(b.fields, &fieldBuild{name: name, patterns: map[string]int32{}, byNumber: map[int64][]int32{}})
	return f
}

// build compiles one matcher per field, on workers goroutines; nil when no channel has a
// need.
func (b *candidateBuilder) build(workers int) (*candidateIndex, error) {
	if len(b.idx.clauses) == 0 {
		return nil, nil
	}
	b.idx.fields = make([]candidateField, len(b.fields))
	patterns := make([][]string, len(b.fields))
	for i, fb := range b.fields {
		cf := candidateField{slot: b.slots.Slot(fb.name), byNumber: fb.byNumber,
			tests: fb.tests, all: fb.all, unguarded: fb.unguard, ks: fb.ks}
		patterns[i], cf.byPattern, cf.anyString = narrow(fb.lits, fb.byLit)
		b.idx.fields[i] = cf
	}
	errs := make([]error, len(b.fields))
	parallel(workers, len(b.fields), func(i int) {
		if len(patterns[i]) > 0 {
			b.idx.fields[i].matcher, errs[i] = ahocorasick.NewBuilder().AddStrings(patterns[i]).Build()
		}
	})
	for i, err := range errs {
		if err != nil {
			return nil, fmt.Errorf("field %s: %w", b.fields[i].name, err)
		}
	}
	return b.idx, nil
}

// The automata find a shorter pattern for each literal, which occurs wherever the literal
// does, so that the index still never misses a clause that holds (CEL decides the rest):
// each state of an automaton holds a transition per byte its patterns use, rounded up to a
// power of two, and a long literal is a long chain of states. With SigmaHQ's Windows rules
// the literals' own automata took 62 MB and 0.14 s to build; these take 41 MB and 0.08 s,
// and the OTRF datasets ten times over evaluate 161,210 channels instead of 160,980. (A
// literal's first bytes instead of its last evaluate twice as many: Windows paths and
// registry keys share their beginnings.)
const (
	// maxAlphabet is how many distinct bytes a field's patterns use at most: those that
	// occur most often in its literals (CommandLine's literals use about 90, which take 128
	// transitions a state; 63 and the one for all other bytes take 64).
	maxAlphabet = 63
	// maxPattern is the longest pattern: a literal's last maxPattern bytes (after the
	// alphabet's cut) rarely occur without the rest.
	maxPattern = 24
)

// narrow returns the patterns that find a field's literals lits (byLit: the clauses each
// makes hold) and the clauses each pattern makes hold: a literal's pattern is its longest
// run of the field's alphabet (the first of them), cut to its last maxPattern bytes. A literal with
// none of the alphabet's bytes makes its clauses hold of every string (anyString).
func narrow(lits []string, byLit [][]int32) (patterns []string, byPattern [][]int32, anyString []int32) {
	keep := alphabet(lits)
	index := map[string]int{}
	for i, lit := range lits {
		p := longestRun(lit, keep)
		p = p[len(p)-min(len(p), maxPattern):]
		if p == "" {
			for _, id := range byLit[i] {
				anyString = addOnce(anyString, id)
			}
			continue
		}
		at, ok := index[p]
		if !ok {
			at = len(patterns)
			index[p] = at
			patterns = append(patterns, p)
			byPattern = append(byPattern, nil)
		}
		for _, id := range byLit[i] {
			byPattern[at] = addOnce(byPattern[at], id)
		}
	}
	return patterns, byPattern, anyString
}

// alphabet is the set of the maxAlphabet bytes that occur most often in lits (ties to the
// lower byte), or every byte when they use no more.
func alphabet(lits []string) *[256]bool {
	var count [256]int
	var keep [256]bool
	distinct := 0
	for _, lit := range lits {
		for i := 0; i < len(lit); i++ {
			if count[lit[i]] == 0 {
				distinct++
			}
			count[lit[i]]++
		}
	}
	if distinct <= maxAlphabet {
		for c := range keep {
			keep[c] = true
		}
		return &keep
	}
	order := make([]int, 256)
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(i, j int) bool { return count[order[i]] > count[order[j]] })
	for _, c := range order[:maxAlphabet] {
		keep[c] = true
	}
	return &keep
}

// longestRun is the first of the longest runs of lit's bytes that keep holds.
func longestRun(lit string, keep *[256]bool) string {
	best, start := "", 0
	for i := 0; i <= len(lit); i++ {
		if i == len(lit) || !keep[lit[i]] {
			if i-start > len(best) {
				best = lit[start:i]
			}
			start = i + 1
		}
	}
	return best
}

// clauseKey is a clause's atoms in a canonical order.
func clauseKey(c clause) string {
	parts := make([]string, len(c))
	for i, a := range c {
		flags := []byte{'0' + byte(a.kind), '-', '-'}
		if a.guarded {
			flags[1] = 'g'
		}
		if a.ks {
			flags[2] = 'k'
		}
		parts[i] = a.field + "\x00" + string(flags) + "\x00" + a.lit + "\x00" + strconv.FormatInt(a.num, 10)
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
	folded    []byte
	found     []int32 // scanString's result
	// texts and values remember the clauses string fields make hold (valueMemo), by field:
	// by their JSON text in a raw-backed event, else by their value.
	texts, values []valueMemo
}

func newCandidateScan(idx *candidateIndex) *candidateScan {
	if idx == nil {
		return nil
	}
	return &candidateScan{idx: idx, gen: 1, fieldGen: make([]uint32, len(idx.fields)),
		clauseGen: make([]uint32, len(idx.clauses)),
		texts:     make([]valueMemo, len(idx.fields)), values: make([]valueMemo, len(idx.fields))}
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
		if !cs.holds1(id, v) {
			return false
		}
	}
	return true
}

// holds1 reports whether clause id holds of the event v shows (holds of one clause).
func (cs *candidateScan) holds1(id int32, v *event.FieldView) bool {
	if cs.clauseGen[id] == cs.gen {
		return true
	}
	for _, f := range cs.idx.clauses[id].fields {
		if cs.fieldGen[f] != cs.gen {
			cs.scan(f, v)
		}
	}
	return cs.clauseGen[id] == cs.gen
}

// scan marks the clauses that field f makes hold.
func (cs *candidateScan) scan(f int32, v *event.FieldView) {
	cs.fieldGen[f] = cs.gen
	cf := &cs.idx.fields[f]
	// A string member of a raw-backed event is remembered by its text, before it is decoded.
	if text, ok := v.SlotText(cf.slot); ok && text != "" && text[0] == '"' {
		if ids, known := cs.texts[f].lookup(text); known {
			cs.mark(ids)
			return
		}
		cs.mark(cs.remember(&cs.texts[f], text, cf, v, v.Slot(cf.slot)))
		return
	}
	fv := v.Slot(cf.slot)
	switch fv.Kind() {
	case event.KindMissing:
		cs.mark(cf.unguarded)
		return
	case event.KindString:
		value, _ := fv.Str()
		if ids, known := cs.values[f].lookup(value); known {
			cs.mark(ids)
			return
		}
		cs.mark(cs.remember(&cs.values[f], value, cf, v, fv))
		return
	case event.KindNative:
		if s, ok := fv.Native().(string); ok {
			if !utf8.ValidString(s) {
				cs.mark(cf.all)
				return
			}
			cs.mark(cs.scanString(cf, cs.lowered(s)))
			return
		}
	}
	cs.mark(cf.tests) // a number, bool, null, list or map: string functions fail on it
	if i, _, isInt, ok := routeKey(fv); ok && isInt {
		cs.mark(cf.byNumber[i])
	}
}

// remember is the clauses that the string field fv makes hold, found on its lowered value
// and remembered in memo by key (its value, or its text). What it returns is valid until
// the next call.
func (cs *candidateScan) remember(memo *valueMemo, key string, cf *candidateField, v *event.FieldView, fv *event.Field) []int32 {
	ids := cf.all // not valid UTF-8
	if s, ok := v.Lower(fv); ok {
		ids = cs.scanString(cf, s)
	}
	memo.store(key, ids)
	return ids
}

// scanString is the clauses whose literals the lowered string s holds, valid until the next
// call.
func (cs *candidateScan) scanString(cf *candidateField, s string) []int32 {
	ids := append(cs.found[:0], cf.anyString...)
	if len(cf.ks) > 0 && (strings.Contains(s, "\u212a") || strings.Contains(s, "\u017f")) {
		ids = append(ids, cf.ks...)
	}
	if cf.matcher != nil {
		if !relit.IsASCII(s) {
			cs.folded = foldHigh(cs.folded[:0], s)
			s = unsafe.String(unsafe.SliceData(cs.folded), len(cs.folded))
		}
		for _, m := range cf.matcher.FindAllOverlapping(unsafeBytes(s)) {
			ids = append(ids, cf.byPattern[m.PatternID]...)
		}
	}
	cs.found = ids
	return ids
}

func (cs *candidateScan) mark(ids []int32) {
	for _, id := range ids {
		cs.clauseGen[id] = cs.gen
	}
}

// lowered is s with ASCII letters lowered, as lowerAscii gives a valid UTF-8 string; it is
// valid until the next call.
func (cs *candidateScan) lowered(s string) string {
	cs.lower = append(cs.lower[:0], s...)
	for i, c := range cs.lower {
		if 'A' <= c && c <= 'Z' {
			cs.lower[i] = c + 'a' - 'A'
		}
	}
	return unsafe.String(unsafe.SliceData(cs.lower), len(cs.lower))
}

// foldedHigh is the byte foldHigh writes for every byte >= 0x80.
const foldedHigh = 0x80

// foldHigh appends s to buf with every byte >= 0x80 as foldedHigh. A literal that occurs
// in a string occurs, folded, in the folded string.
func foldHigh(buf []byte, s string) []byte {
	start := len(buf)
	buf = append(buf, s...)
	for i, c := range buf[start:] {
		if c >= 0x80 {
			buf[start+i] = foldedHigh
		}
	}
	return buf
}

// unsafeBytes shows s as bytes, for a matcher that only reads them.
func unsafeBytes(s string) []byte { return unsafe.Slice(unsafe.StringData(s), len(s)) }
