package relit

import (
	"fmt"
	"strings"
	"unsafe"

	"github.com/coregx/ahocorasick"
)

// position is where in a subject a literal must stand.
type position uint8

const (
	posContains position = iota // anywhere
	posPrefix                   // at the start (^lit)
	posSuffix                   // at the end (lit$)
	posEqual                    // the whole subject (^lit$)
)

var positionNames = [...]string{"contains", "prefix", "suffix", "equal"}

func (p position) String() string { return positionNames[p] }

// lit is one literal in UTF-8 and where it must stand. When fold is set, its ASCII letters
// are lower case and match either case; its other bytes match exactly.
type lit struct {
	s      string
	fold   bool
	pos    position
	anchor int // index of the byte indexFold looks for first: the first non-letter, or 0
}

// newLit returns the literal s at pos, with its search anchor.
func newLit(s string, fold bool, pos position) lit {
	l := lit{s: s, fold: fold, pos: pos}
	for i := 0; i < len(s); i++ {
		if !isLowerASCII(s[i]) {
			l.anchor = i
			break
		}
	}
	return l
}

// litSet is a set of literals, one of which a subject must hold, each at its position.
type litSet struct {
	lits []lit
	// foldKS: some folded literal holds k or s, whose case orbits hold U+212A KELVIN SIGN
	// and U+017F LATIN SMALL LETTER LONG S, which the byte tests do not see.
	foldKS bool
	// ksAt and ksWidth bound where such a rune can take part in a match: the first or last
	// ksWidth bytes, or (posContains) anywhere.
	ksAt    position
	ksWidth int
	// index looks the literals up by position and length when there are many and all are
	// anchored; nil: they are tested one by one.
	index *litIndex
}

// newLitSet returns the set of lits, without its index (indexed adds it: what only reads the
// literals, RequiredOf, does not build automata).
func newLitSet(lits []lit) litSet {
	set := litSet{lits: lits}
	head, tail := true, true
	for _, l := range lits {
		if !l.fold || !strings.ContainsAny(l.s, "ks") {
			continue
		}
		set.foldKS = true
		// A literal rune of b bytes matches a rune of at most 3b bytes (U+212A has three).
		set.ksWidth = max(set.ksWidth, 3*len(l.s))
		head = head && (l.pos == posPrefix || l.pos == posEqual)
		tail = tail && (l.pos == posSuffix || l.pos == posEqual)
	}
	switch {
	case head:
		set.ksAt = posPrefix
	case tail:
		set.ksAt = posSuffix
	}
	return set
}

// indexed is set with its index, for matching subjects.
func (set litSet) indexed() litSet {
	set.index = newLitIndex(set.lits)
	return set
}

// String lists the set for describe.
func (set litSet) String() string {
	parts := make([]string, len(set.lits))
	for i, l := range set.lits {
		parts[i] = fmt.Sprintf("%s:%q", l.pos, l.s)
		if l.fold {
			parts[i] += "/i"
		}
	}
	return strings.Join(parts, " ")
}

// unsure reports whether the byte tests may have missed a match in s: a folded k or s
// could be matched by U+212A or U+017F, and s holds one of them where it could.
func (set *litSet) unsure(s string) bool {
	if !set.foldKS {
		return false
	}
	switch {
	case set.ksAt == posPrefix && len(s) > set.ksWidth:
		s = s[:set.ksWidth]
	case set.ksAt == posSuffix && len(s) > set.ksWidth:
		s = s[len(s)-set.ksWidth:]
	}
	if IsASCII(s) {
		return false
	}
	return strings.Contains(s, "\u212a") || strings.Contains(s, "\u017f")
}

// match reports whether s holds one of the literals at the set's position.
func (set *litSet) match(s string) bool {
	if set.index != nil {
		return set.index.match(s)
	}
	for i := range set.lits {
		if set.lits[i].matchIn(s) {
			return true
		}
	}
	return false
}

// matchIn reports whether s holds l at its position.
func (l *lit) matchIn(s string) bool {
	n := len(l.s)
	switch l.pos {
	case posEqual:
		return len(s) == n && l.equal(s)
	case posPrefix:
		return len(s) >= n && l.equal(s[:n])
	case posSuffix:
		return len(s) >= n && l.equal(s[len(s)-n:])
	}
	if !l.fold {
		return strings.Contains(s, l.s)
	}
	return l.indexFold(s)
}

// equal reports whether s, of l's length, is l.
func (l *lit) equal(s string) bool {
	if !l.fold {
		return s == l.s
	}
	return equalFoldLower(s, l.s)
}

// indexFold reports whether s holds the folded literal l anywhere.
func (l *lit) indexFold(s string) bool {
	n, k := len(l.s), l.anchor
	if n == 0 {
		return true
	}
	c := l.s[k]
	last := len(s) - n + k // the last position the anchor byte can take
	for i := k; i <= last; i++ {
		j := indexByteFold(s[i:last+1], c)
		if j < 0 {
			return false
		}
		i += j
		if equalFoldLower(s[i-k:i-k+n], l.s) {
			return true
		}
	}
	return false
}

// indexByteFold is strings.IndexByte that, for a lower-case ASCII letter c, also finds its
// upper case.
func indexByteFold(s string, c byte) int {
	if !isLowerASCII(c) {
		return strings.IndexByte(s, c)
	}
	for i := 0; i < len(s); i++ {
		if s[i]|0x20 == c {
			return i
		}
	}
	return -1
}

// equalFoldLower reports whether s equals lower, of the same length, when the ASCII upper
// case letters of s are read as lower case. lower has no upper-case ASCII letter.
func equalFoldLower(s, lower string) bool {
	for i := 0; i < len(lower); i++ {
		c := s[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != lower[i] {
			return false
		}
	}
	return true
}

// IsASCII reports whether s has no byte of 0x80 or above, eight bytes at a time.
func IsASCII(s string) bool {
	for len(s) >= 8 {
		_ = s[7] // one bounds check for the eight loads, which the compiler merges
		w := uint64(s[0]) | uint64(s[1])<<8 | uint64(s[2])<<16 | uint64(s[3])<<24 |
			uint64(s[4])<<32 | uint64(s[5])<<40 | uint64(s[6])<<48 | uint64(s[7])<<56
		if w&0x8080808080808080 != 0 {
			return false
		}
		s = s[8:]
	}
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

func isLowerASCII(c byte) bool { return 'a' <= c && c <= 'z' }

func isUpperASCII(c byte) bool { return 'A' <= c && c <= 'Z' }

// indexFrom is how many literals make an index worth building: below it, testing them one
// by one is as fast.
const indexFrom = 16

// maxIndexedLen bounds the length of an indexed literal, so that a subject's window is
// lowered on the stack.
const maxIndexedLen = 256

// litIndex holds anchored literals by position and length: a subject is decided by one map
// lookup per distinct (position, length) instead of a test per literal; and the literals
// that may stand anywhere in one automaton pass (a Sigma rule's contains list, or a list of
// patterns a rule matches, written as one alternation), instead of a search per literal.
type litIndex struct {
	groups   []litGroup
	contains *containsIndex // nil: every literal is anchored
}

// containsIndex finds literals anywhere in a subject.
type containsIndex struct {
	empty bool // the empty literal, which every subject holds
	// exact finds the literals that match only themselves, and the folded ones without an
	// ASCII letter, in the subject; lowered finds the other folded ones (lower case) in the
	// subject with its ASCII letters lowered. Either is nil without such literals.
	exact, lowered *ahocorasick.Automaton
}

// litGroup is the literals of one position and length: exact ones as written, folded ones
// in lower case (a subject's window is looked up with its ASCII letters lowered).
type litGroup struct {
	pos            position
	n              int
	exact, lowered map[string]struct{}
}

// newLitIndex indexes lits, or returns nil when they are few or an anchored one is too long.
func newLitIndex(lits []lit) *litIndex {
	if len(lits) < indexFrom {
		return nil
	}
	type groupKey struct {
		pos position
		n   int
	}
	at := map[groupKey]int{}
	idx := &litIndex{}
	var contains []lit
	for _, l := range lits {
		if l.pos == posContains {
			contains = append(contains, l)
			continue
		}
		if len(l.s) > maxIndexedLen {
			return nil
		}
		k := groupKey{l.pos, len(l.s)}
		i, ok := at[k]
		if !ok {
			i = len(idx.groups)
			at[k] = i
			idx.groups = append(idx.groups, litGroup{pos: l.pos, n: len(l.s), exact: map[string]struct{}{}, lowered: map[string]struct{}{}})
		}
		if l.fold {
			idx.groups[i].lowered[l.s] = struct{}{}
		} else {
			idx.groups[i].exact[l.s] = struct{}{}
		}
	}
	if len(contains) > 0 {
		var ok bool
		if idx.contains, ok = newContainsIndex(contains); !ok {
			return nil
		}
	}
	return idx
}

// newContainsIndex indexes literals that may stand anywhere; ok is false when an automaton
// cannot be built.
func newContainsIndex(lits []lit) (*containsIndex, bool) {
	c := &containsIndex{}
	var exact, lowered []string
	for _, l := range lits {
		switch {
		case l.s == "":
			c.empty = true
		case l.fold && hasLowerASCII(l.s):
			lowered = append(lowered, l.s)
		default:
			exact = append(exact, l.s)
		}
	}
	var err error
	if len(exact) > 0 {
		if c.exact, err = ahocorasick.NewBuilder().AddStrings(exact).Build(); err != nil {
			return nil, false
		}
	}
	if len(lowered) > 0 {
		if c.lowered, err = ahocorasick.NewBuilder().AddStrings(lowered).Build(); err != nil {
			return nil, false
		}
	}
	return c, true
}

// match reports whether s holds one of the literals anywhere.
func (c *containsIndex) match(s string) bool {
	if c.empty {
		return true
	}
	if c.exact != nil && found(c.exact, s) {
		return true
	}
	if c.lowered == nil {
		return false
	}
	if !hasUpperASCII(s) {
		return found(c.lowered, s)
	}
	var buf [1024]byte
	low := buf[:0]
	if len(s) > len(buf) {
		low = make([]byte, 0, len(s))
	}
	for i := 0; i < len(s); i++ {
		ch := s[i]
		if isUpperASCII(ch) {
			ch += 'a' - 'A'
		}
		low = append(low, ch)
	}
	_, ok := c.lowered.Find(low, 0)
	return ok
}

// found reports whether the automaton a finds one of its literals in s. (Find, not IsMatch,
// whose skip-ahead is quadratic in a long subject.)
func found(a *ahocorasick.Automaton, s string) bool {
	_, ok := a.Find(unsafe.Slice(unsafe.StringData(s), len(s)), 0)
	return ok
}

func hasLowerASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if isLowerASCII(s[i]) {
			return true
		}
	}
	return false
}

func hasUpperASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if isUpperASCII(s[i]) {
			return true
		}
	}
	return false
}

// match reports whether s holds one of the literals at its position.
func (idx *litIndex) match(s string) bool {
	var buf [maxIndexedLen]byte
	for i := range idx.groups {
		g := &idx.groups[i]
		var w string
		switch {
		case len(s) < g.n || (g.pos == posEqual && len(s) != g.n):
			continue
		case g.pos == posSuffix:
			w = s[len(s)-g.n:]
		default: // posPrefix, posEqual
			w = s[:g.n]
		}
		if _, ok := g.exact[w]; ok {
			return true
		}
		if len(g.lowered) == 0 {
			continue
		}
		low := buf[:g.n]
		for j := 0; j < g.n; j++ {
			c := w[j]
			if 'A' <= c && c <= 'Z' {
				c += 'a' - 'A'
			}
			low[j] = c
		}
		if _, ok := g.lowered[string(low)]; ok {
			return true
		}
	}
	return idx.contains != nil && idx.contains.match(s)
}
