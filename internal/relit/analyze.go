package relit

import (
	"regexp/syntax"
	"sort"
	"unicode"
	"unicode/utf8"
)

const (
	// maxLits bounds the literals a finite sub-pattern may expand to.
	maxLits = 64
	// maxClassRunes bounds the runes of a character class expanded into literals.
	maxClassRunes = 16
)

// mode is how a piece of literal compares.
type mode uint8

const (
	modeAny   mode = iota // no ASCII letter: exact and folded comparison agree
	modeExact             // ASCII letters match only themselves
	modeFold              // ASCII letters (lower case here) match either case
)

// piece is a literal under construction.
type piece struct {
	s string
	m mode
}

// join concatenates a and b, or fails if one folds ASCII letters and the other does not.
func join(a, b piece) (piece, bool) {
	m := a.m
	switch {
	case b.m == modeAny:
	case m == modeAny || m == b.m:
		m = b.m
	default:
		return piece{}, false
	}
	return piece{s: a.s + b.s, m: m}, true
}

// analyze decides how a Matcher for the simplified tree re tests subjects.
func analyze(re *syntax.Regexp) (kind, litSet) {
	elems := flatten(re)
	if set, ok := exactSet(elems); ok {
		return kindExact, set
	}
	if set, ok := requiredSet(elems); ok {
		return kindPrefilter, set
	}
	return kindRegexp, litSet{}
}

// flatten returns the concatenated elements of re, with captures and nested
// concatenations opened.
func flatten(re *syntax.Regexp) []*syntax.Regexp {
	switch re.Op {
	case syntax.OpCapture:
		return flatten(re.Sub[0])
	case syntax.OpConcat:
		var out []*syntax.Regexp
		for _, sub := range re.Sub {
			out = append(out, flatten(sub)...)
		}
		return out
	}
	return []*syntax.Regexp{re}
}

// exactSet returns the literals that decide elems alone: leading begin-of-text anchors,
// finite literals, trailing end-of-text anchors and nothing else.
func exactSet(elems []*syntax.Regexp) (litSet, bool) {
	i := 0
	for i < len(elems) && elems[i].Op == syntax.OpBeginText {
		i++
	}
	j := len(elems)
	for j > i && elems[j-1].Op == syntax.OpEndText {
		j--
	}
	pieces, ok := expandSeq(elems[i:j], false)
	if !ok {
		return litSet{}, false
	}
	pos := posContains
	switch {
	case i > 0 && j < len(elems):
		pos = posEqual
	case i > 0:
		pos = posPrefix
	case j < len(elems):
		pos = posSuffix
	}
	return newLitSet(toLits(pieces), pos), true
}

// requiredSet returns literals one of which every match must hold: at the start or end
// when the pattern is anchored there, else anywhere. It fails when no literal set is found
// or one of the best set's literals is empty.
func requiredSet(elems []*syntax.Regexp) (litSet, bool) {
	var best candidate
	if len(elems) > 0 && elems[0].Op == syntax.OpBeginText {
		best = best.better(candidate{pieces: anchoredRun(elems[1:], false), pos: posPrefix})
	}
	if n := len(elems); n > 0 && elems[n-1].Op == syntax.OpEndText {
		best = best.better(candidate{pieces: anchoredRun(reversed(elems[:n-1]), true), pos: posSuffix})
	}
	if best.score() == 0 {
		best = best.better(containsCandidate(elems))
	}
	if best.score() == 0 {
		return litSet{}, false
	}
	return newLitSet(toLits(best.pieces), best.pos), true
}

// candidate is a literal set that every match holds at pos.
type candidate struct {
	pieces []piece
	pos    position
}

// score is how selective c is: the length of its shortest literal, 0 when unusable.
func (c candidate) score() int {
	if len(c.pieces) == 0 {
		return 0
	}
	short := len(c.pieces[0].s)
	for _, p := range c.pieces[1:] {
		short = min(short, len(p.s))
	}
	return short
}

// better returns the more selective of c and o, c on a tie unless o has fewer literals.
func (c candidate) better(o candidate) candidate {
	cs, os := c.score(), o.score()
	if os > cs || (os == cs && os > 0 && len(o.pieces) < len(c.pieces)) {
		return o
	}
	return c
}

// anchoredRun expands the longest leading run of finite elements of elems, within maxLits
// literals; backward, elems are in reverse order and each is put before the run. Empty-width
// assertions count as the empty string: they consume nothing, so the run's text still
// stands where the anchor puts it.
func anchoredRun(elems []*syntax.Regexp, backward bool) []piece {
	run := []piece{{}}
	for _, e := range elems {
		set, ok := expand(e, true)
		if !ok {
			break
		}
		next, ok := cross(run, set)
		if backward {
			next, ok = cross(set, run)
		}
		if !ok {
			break
		}
		run = next
	}
	return run
}

// containsCandidate returns the most selective literal set that a match of the
// concatenation elems must contain.
func containsCandidate(elems []*syntax.Regexp) candidate {
	var best candidate
	var run []piece
	for _, e := range elems {
		set, ok := expand(e, true)
		if !ok {
			best = best.better(candidate{pieces: run})
			run = nil
			if req, ok := required(e); ok {
				best = best.better(candidate{pieces: req})
			}
			continue
		}
		if run == nil {
			run = set
			continue
		}
		if next, ok := cross(run, set); ok {
			run = next
			continue
		}
		best = best.better(candidate{pieces: run})
		run = set
	}
	return best.better(candidate{pieces: run})
}

// required returns literals one of which any match of re contains.
func required(re *syntax.Regexp) ([]piece, bool) {
	if set, ok := expand(re, true); ok {
		return set, true
	}
	switch re.Op {
	case syntax.OpCapture, syntax.OpConcat:
		c := containsCandidate(flatten(re))
		return c.pieces, c.score() > 0
	case syntax.OpPlus:
		return required(re.Sub[0])
	case syntax.OpRepeat:
		if re.Min >= 1 {
			return required(re.Sub[0])
		}
	case syntax.OpAlternate:
		var out []piece
		for _, sub := range re.Sub {
			set, ok := required(sub)
			if !ok || len(out)+len(set) > maxLits {
				return nil, false
			}
			out = append(out, set...)
		}
		return out, true
	}
	return nil, false
}

// expandSeq expands the concatenation of elems.
func expandSeq(elems []*syntax.Regexp, assertEmpty bool) ([]piece, bool) {
	out := []piece{{}}
	for _, e := range elems {
		set, ok := expand(e, assertEmpty)
		if !ok {
			return nil, false
		}
		if out, ok = cross(out, set); !ok {
			return nil, false
		}
	}
	return out, true
}

// expand returns the finite set of literals re matches, at most maxLits. With assertEmpty,
// empty-width assertions count as the empty string (right for required literals, not for
// deciding a match).
func expand(re *syntax.Regexp, assertEmpty bool) ([]piece, bool) {
	switch re.Op {
	case syntax.OpEmptyMatch:
		return []piece{{}}, true
	case syntax.OpLiteral:
		p, ok := literalPiece(re)
		return []piece{p}, ok
	case syntax.OpCharClass:
		return classPieces(re.Rune)
	case syntax.OpCapture:
		return expand(re.Sub[0], assertEmpty)
	case syntax.OpConcat:
		return expandSeq(re.Sub, assertEmpty)
	case syntax.OpAlternate:
		return expandAlternate(re.Sub, assertEmpty)
	case syntax.OpQuest:
		set, ok := expand(re.Sub[0], assertEmpty)
		if !ok || len(set)+1 > maxLits {
			return nil, false
		}
		return append(set, piece{}), true
	case syntax.OpBeginLine, syntax.OpEndLine, syntax.OpBeginText, syntax.OpEndText,
		syntax.OpWordBoundary, syntax.OpNoWordBoundary:
		return []piece{{}}, assertEmpty
	}
	return nil, false
}

// expandAlternate returns the union of the alternatives' literals.
func expandAlternate(subs []*syntax.Regexp, assertEmpty bool) ([]piece, bool) {
	var out []piece
	for _, sub := range subs {
		set, ok := expand(sub, assertEmpty)
		if !ok || len(out)+len(set) > maxLits {
			return nil, false
		}
		out = append(out, set...)
	}
	return out, true
}

// cross returns every a followed by every b, or fails past maxLits or on mixed folding.
func cross(a, b []piece) ([]piece, bool) {
	if len(a)*len(b) > maxLits {
		return nil, false
	}
	out := make([]piece, 0, len(a)*len(b))
	for _, x := range a {
		for _, y := range b {
			p, ok := join(x, y)
			if !ok {
				return nil, false
			}
			out = append(out, p)
		}
	}
	return out, true
}

// literalPiece returns the literal re. It fails on runes the byte tests cannot match
// exactly: U+FFFD (which the regexp also matches for each invalid byte), and, under
// FoldCase, non-ASCII runes with other case forms.
func literalPiece(re *syntax.Regexp) (piece, bool) {
	fold := re.Flags&syntax.FoldCase != 0
	p := piece{}
	buf := make([]byte, 0, len(re.Rune))
	for _, r := range re.Rune {
		rp, ok := runePiece(r, fold)
		if !ok {
			return piece{}, false
		}
		if p, ok = join(p, rp); !ok {
			return piece{}, false
		}
		buf = append(buf, rp.s...)
	}
	p.s = string(buf)
	return p, true
}

// runePiece returns the literal of one rune, folded or not.
func runePiece(r rune, fold bool) (piece, bool) {
	if r == utf8.RuneError || !utf8.ValidRune(r) {
		return piece{}, false
	}
	if r >= utf8.RuneSelf {
		if fold && unicode.SimpleFold(r) != r {
			return piece{}, false
		}
		return piece{s: string(r)}, true
	}
	c := byte(r)
	switch {
	case !isLowerASCII(c) && !isUpperASCII(c):
		return piece{s: string(r)}, true
	case !fold:
		return piece{s: string(r), m: modeExact}, true
	case isUpperASCII(c):
		c += 'a' - 'A'
	}
	return piece{s: string(rune(c)), m: modeFold}, true
}

// classPieces expands a small character class, given as rune ranges, into one literal per
// rune; an ASCII letter whose whole case orbit is in the class becomes one folded literal.
func classPieces(ranges []rune) ([]piece, bool) {
	runes, ok := classRunes(ranges)
	if !ok {
		return nil, false
	}
	in := make(map[rune]bool, len(runes))
	for _, r := range runes {
		in[r] = true
	}
	covered := make(map[rune]bool)
	var out []piece
	for _, r := range runes {
		if covered[r] {
			continue
		}
		fold := r < utf8.RuneSelf && orbitIn(r, in)
		if fold {
			markOrbit(r, covered)
		}
		p, ok := runePiece(r, fold)
		if !ok {
			return nil, false
		}
		out = append(out, p)
	}
	return out, true
}

// classRunes lists the runes of the ranges, sorted, or fails past maxClassRunes.
func classRunes(ranges []rune) ([]rune, bool) {
	var runes []rune
	for i := 0; i+1 < len(ranges); i += 2 {
		lo, hi := ranges[i], ranges[i+1]
		if hi-lo+1 > maxClassRunes || len(runes)+int(hi-lo+1) > maxClassRunes {
			return nil, false
		}
		for r := lo; r <= hi; r++ {
			runes = append(runes, r)
		}
	}
	sort.Slice(runes, func(i, j int) bool { return runes[i] < runes[j] })
	return runes, len(runes) > 0
}

// orbitIn reports whether r's whole simple case-folding orbit, beyond r itself, is in the set.
func orbitIn(r rune, in map[rune]bool) bool {
	if unicode.SimpleFold(r) == r {
		return false
	}
	for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
		if !in[f] {
			return false
		}
	}
	return true
}

// markOrbit marks every rune of r's case orbit as covered.
func markOrbit(r rune, covered map[rune]bool) {
	covered[r] = true
	for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
		covered[f] = true
	}
}

// toLits turns finished pieces into literals.
func toLits(pieces []piece) []lit {
	lits := make([]lit, len(pieces))
	for i, p := range pieces {
		lits[i] = newLit(p.s, p.m == modeFold)
	}
	return lits
}

// reversed returns elems in reverse order.
func reversed(elems []*syntax.Regexp) []*syntax.Regexp {
	out := make([]*syntax.Regexp, len(elems))
	for i, e := range elems {
		out[len(elems)-1-i] = e
	}
	return out
}
