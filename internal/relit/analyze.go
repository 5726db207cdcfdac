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
	// maxAnchoredLits bounds the literals of a pattern decided exactly when every one is
	// anchored at the start or end of the subject (see litIndex).
	maxAnchoredLits = 8192
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

// piece is a literal under construction. begin and end say that it stands at the start or
// end of the text: it holds a begin-of-text or end-of-text assertion (^, \A, $, \z without
// (?m)) with nothing before or after it.
type piece struct {
	s          string
	m          mode
	begin, end bool
}

// joined is the outcome of concatenating two pieces.
type joined uint8

const (
	joinOK    joined = iota
	joinNever        // the concatenation matches nothing: text before ^ or after $
	joinMixed        // one piece folds ASCII letters and the other does not
)

// join concatenates a and b.
func join(a, b piece) (piece, joined) {
	if (b.begin && a.s != "") || (a.end && b.s != "") {
		return piece{}, joinNever
	}
	m := a.m
	switch {
	case b.m == modeAny:
	case m == modeAny || m == b.m:
		m = b.m
	default:
		return piece{}, joinMixed
	}
	return piece{s: a.s + b.s, m: m, begin: a.begin || b.begin, end: a.end || b.end}, joinOK
}

// pos is where the finished piece must stand.
func (p piece) pos() position {
	switch {
	case p.begin && p.end:
		return posEqual
	case p.begin:
		return posPrefix
	case p.end:
		return posSuffix
	}
	return posContains
}

// analyze decides how a Matcher for the simplified tree re tests subjects.
func analyze(re *syntax.Regexp) (kind, litSet) {
	// A long list of anchored literals (a Sigma rule's endswith or startswith list, written
	// as one alternation) is decided exactly too: its literals are looked up by position
	// and length (litIndex), not tested one by one.
	if pieces, ok := expand(re, false, maxAnchoredLits); ok && (len(pieces) <= maxLits || anchored(pieces)) {
		return kindExact, newLitSet(toLits(pieces, posContains))
	}
	if set, ok := requiredSet(flatten(re)); ok {
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

// requiredSet returns literals one of which every match must hold: at the start or end
// when the pattern is anchored there, else anywhere. It fails when no literal set is found
// or one of the best set's literals is empty.
func requiredSet(elems []*syntax.Regexp) (litSet, bool) {
	var best candidate
	if len(elems) > 0 && elems[0].Op == syntax.OpBeginText {
		best = best.better(anchoredRun(elems[1:], posPrefix, false))
	}
	if n := len(elems); n > 0 && elems[n-1].Op == syntax.OpEndText {
		best = best.better(anchoredRun(reversed(elems[:n-1]), posSuffix, true))
	}
	if best.score() <= 0 {
		best = best.better(containsCandidate(elems))
	}
	if best.score() <= 0 {
		return litSet{}, false
	}
	return newLitSet(toLits(best.pieces, best.pos)), true
}

// candidate is a literal set that every match holds at pos.
type candidate struct {
	pieces []piece
	pos    position
}

const (
	// usefulLen is the literal length past which a longer literal is not worth more literals.
	usefulLen = 8
	// literalWorth is how many more literals to test one more byte of the shortest is worth.
	literalWorth = 16
)

// score is how much c saves: the length of its shortest literal (up to usefulLen), less
// for each literal to test; 0 or less when unusable (no literal, or an empty one).
func (c candidate) score() int {
	if len(c.pieces) == 0 {
		return 0
	}
	short := len(c.pieces[0].s)
	for _, p := range c.pieces[1:] {
		short = min(short, len(p.s))
	}
	if short == 0 {
		return 0
	}
	return min(short, usefulLen)*literalWorth - len(c.pieces)
}

// better returns the higher-scoring of c and o, c on a tie.
func (c candidate) better(o candidate) candidate {
	if o.score() > c.score() {
		return o
	}
	return c
}

// anchoredRun returns the best-scoring expansion of a leading run of finite elements of
// elems, within maxLits literals; backward, elems are in reverse order and each is put
// before the run. Empty-width assertions count as the empty string: they consume nothing,
// so the run's text still stands where the anchor puts it.
func anchoredRun(elems []*syntax.Regexp, pos position, backward bool) candidate {
	run := []piece{{}}
	var best candidate
	for _, e := range elems {
		set, ok := expand(e, true, maxLits)
		if !ok {
			break
		}
		next, ok := cross(run, set, maxLits)
		if backward {
			next, ok = cross(set, run, maxLits)
		}
		if !ok {
			break
		}
		run = next
		best = best.better(candidate{pieces: run, pos: pos})
	}
	return best
}

// maxRun bounds the elements one contains-candidate spans, so the search stays linear.
const maxRun = 16

// containsCandidate returns the best-scoring literal set that a match of the concatenation
// elems must contain: the expansion of a run of consecutive finite elements, or what a
// non-finite element requires.
func containsCandidate(elems []*syntax.Regexp) candidate {
	var best candidate
	sets := make([][]piece, len(elems))
	finite := make([]bool, len(elems))
	for i, e := range elems {
		sets[i], finite[i] = expand(e, true, maxLits)
		if req, ok := required(e); ok {
			best = best.better(candidate{pieces: req})
		}
	}
	for i := range elems {
		run := []piece{{}}
		for j := i; j < len(elems) && j < i+maxRun && finite[j]; j++ {
			next, ok := cross(run, sets[j], maxLits)
			if !ok {
				break
			}
			run = next
			best = best.better(candidate{pieces: run})
		}
	}
	return best
}

// required returns literals one of which any match of re contains, choosing per
// alternative and per run of a concatenation the best-scoring set.
func required(re *syntax.Regexp) ([]piece, bool) {
	switch re.Op {
	case syntax.OpCapture, syntax.OpPlus:
		return required(re.Sub[0])
	case syntax.OpRepeat:
		if re.Min >= 1 {
			return required(re.Sub[0])
		}
		return nil, false
	case syntax.OpConcat:
		c := containsCandidate(flatten(re))
		return c.pieces, c.score() > 0
	case syntax.OpAlternate:
		if set, ok := requiredUnion(re.Sub); ok {
			return set, true
		}
	}
	return expand(re, true, maxLits)
}

// requiredUnion returns what each alternative requires, together, within maxLits.
func requiredUnion(subs []*syntax.Regexp) ([]piece, bool) {
	var out []piece
	for _, sub := range subs {
		set, ok := required(sub)
		if !ok || len(out)+len(set) > maxLits {
			return nil, false
		}
		out = append(out, set...)
	}
	return out, true
}

// expandSeq expands the concatenation of elems.
func expandSeq(elems []*syntax.Regexp, assertEmpty bool, limit int) ([]piece, bool) {
	out := []piece{{}}
	for _, e := range elems {
		set, ok := expand(e, assertEmpty, limit)
		if !ok {
			return nil, false
		}
		if out, ok = cross(out, set, limit); !ok {
			return nil, false
		}
	}
	return out, true
}

// expand returns the finite set of literals re matches, at most limit. With assertEmpty,
// empty-width assertions count as the empty string (right for required literals, not for
// deciding a match); without, begin- and end-of-text assertions anchor the pieces and the
// others fail.
func expand(re *syntax.Regexp, assertEmpty bool, limit int) ([]piece, bool) {
	switch re.Op {
	case syntax.OpEmptyMatch:
		return []piece{{}}, true
	case syntax.OpLiteral:
		if p, ok := literalPiece(re); ok {
			return []piece{p}, true
		}
		return foldedPieces(re, limit)
	case syntax.OpCharClass:
		return classPieces(re.Rune)
	case syntax.OpCapture:
		return expand(re.Sub[0], assertEmpty, limit)
	case syntax.OpConcat:
		return expandSeq(re.Sub, assertEmpty, limit)
	case syntax.OpAlternate:
		return expandAlternate(re.Sub, assertEmpty, limit)
	case syntax.OpQuest:
		set, ok := expand(re.Sub[0], assertEmpty, limit)
		if !ok || len(set)+1 > limit {
			return nil, false
		}
		return append(set, piece{}), true
	case syntax.OpBeginText:
		return []piece{{begin: !assertEmpty}}, true
	case syntax.OpEndText:
		return []piece{{end: !assertEmpty}}, true
	case syntax.OpBeginLine, syntax.OpEndLine, syntax.OpWordBoundary, syntax.OpNoWordBoundary:
		return []piece{{}}, assertEmpty
	}
	return nil, false
}

// expandAlternate returns the union of the alternatives' literals.
func expandAlternate(subs []*syntax.Regexp, assertEmpty bool, limit int) ([]piece, bool) {
	var out []piece
	for _, sub := range subs {
		set, ok := expand(sub, assertEmpty, limit)
		if !ok || len(out)+len(set) > limit {
			return nil, false
		}
		out = append(out, set...)
	}
	return out, true
}

// cross returns every a followed by every b, less those that match nothing, or fails past
// limit or on mixed folding.
func cross(a, b []piece, limit int) ([]piece, bool) {
	if len(a)*len(b) > limit {
		return nil, false
	}
	out := make([]piece, 0, len(a)*len(b))
	for _, x := range a {
		for _, y := range b {
			p, j := join(x, y)
			switch j {
			case joinMixed:
				return nil, false
			case joinOK:
				out = append(out, p)
			}
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
		if rp.m != modeAny {
			p.m = rp.m // one literal folds all its runes or none
		}
		buf = append(buf, rp.s...)
	}
	p.s = string(buf)
	return p, true
}

// foldedPieces expands a case-folded literal holding non-ASCII runes with other case forms
// (`(?i)ԝ`, which literalPiece refuses) into every spelling of it: each such rune stands
// for each rune of its case orbit, which is exactly what the regexp matches; fails past limit.
func foldedPieces(re *syntax.Regexp, limit int) ([]piece, bool) {
	if re.Flags&syntax.FoldCase == 0 {
		return nil, false
	}
	out := []piece{{}}
	for _, r := range re.Rune {
		var set []piece
		if r >= utf8.RuneSelf && unicode.SimpleFold(r) != r {
			for o := r; ; {
				p, ok := runePiece(o, false)
				if !ok {
					return nil, false
				}
				set = append(set, p)
				if o = unicode.SimpleFold(o); o == r {
					break
				}
			}
		} else {
			p, ok := runePiece(r, true)
			if !ok {
				return nil, false
			}
			set = []piece{p}
		}
		var ok bool
		if out, ok = cross(out, set, limit); !ok {
			return nil, false
		}
	}
	return out, true
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

// anchored reports whether every piece stands at the start or end of the text.
func anchored(pieces []piece) bool {
	for _, p := range pieces {
		if p.pos() == posContains {
			return false
		}
	}
	return true
}

// toLits turns finished pieces into literals, at pos or, for anchored pieces, at theirs.
func toLits(pieces []piece, pos position) []lit {
	lits := make([]lit, len(pieces))
	for i, p := range pieces {
		at := p.pos()
		if at == posContains {
			at = pos
		}
		lits[i] = newLit(p.s, p.m == modeFold, at)
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
