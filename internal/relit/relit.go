// Package relit decides Go regular-expression matches with plain string tests when the
// pattern's syntax tree shows they are exact, and otherwise uses a required literal as a
// prefilter before the regexp engine: it answers exactly what regexp.MatchString answers,
// faster for the literal-shaped patterns of detection packs.
package relit

import (
	"fmt"
	"regexp"
	"regexp/syntax"
	"slices"
	"strings"
	"sync"
)

// Matcher is a compiled pattern with the string tests its syntax tree allows. It is safe
// for concurrent use, as *regexp.Regexp is.
type Matcher struct {
	re   *regexp.Regexp
	kind kind
	set  litSet
	// parts, for a Matcher made by Any, are the matchers it unites; re is then the
	// alternation of their patterns, compiled when Regexp first asks for it (reOnce).
	parts  []*Matcher
	reOnce sync.Once
}

// kind is how a Matcher decides a subject.
type kind uint8

const (
	// kindRegexp: no usable literal; every subject goes to the regexp.
	kindRegexp kind = iota
	// kindPrefilter: a subject without one of the required literals cannot match; the
	// others go to the regexp.
	kindPrefilter
	// kindExact: the pattern is a finite set of literals; the string tests decide alone.
	kindExact
)

// Compile is regexp.Compile(pattern) plus an analysis of the pattern's syntax tree.
func Compile(pattern string) (*Matcher, error) {
	re, err := regexp.Compile(pattern)
	if err != nil {
		return nil, fmt.Errorf("relit: compiling %q: %w", pattern, err)
	}
	tree, err := syntax.Parse(pattern, syntax.Perl)
	if err != nil {
		return nil, fmt.Errorf("relit: parsing %q: %w", pattern, err)
	}
	k, set := analyze(tree.Simplify())
	return &Matcher{re: re, kind: k, set: set.indexed()}, nil
}

// Exact reports whether the string tests decide every subject alone (the pattern is a
// finite set of literals) but those that hold U+212A or U+017F where a folded k or s could
// match.
func (m *Matcher) Exact() bool { return m.kind == kindExact }

// MustCompile is Compile that panics on an invalid pattern, for patterns known at build time.
func MustCompile(pattern string) *Matcher {
	m, err := Compile(pattern)
	if err != nil {
		panic(err)
	}
	return m
}

// MatchString reports exactly what regexp.MustCompile(pattern).MatchString(s) reports, for
// every s.
func (m *Matcher) MatchString(s string) bool {
	// A byte test that finds a literal is right (ASCII folding is part of the regexp's); one
	// that finds none may have missed U+212A or U+017F, which unsure looks for.
	switch m.kind {
	case kindExact:
		if m.set.match(s) {
			return true
		}
		if !m.set.unsure(s) {
			return false
		}
		if m.parts != nil {
			return m.anyPart(s)
		}
	case kindPrefilter:
		if !m.set.match(s) && !m.set.unsure(s) {
			return false
		}
	}
	return m.re.MatchString(s)
}

// Literal is a literal a match must hold. When Fold is set its ASCII letters are lower case
// and match either case (and k and s also match U+212A and U+017F); its other bytes, and
// all of them otherwise, match exactly.
type Literal struct {
	S    string
	Fold bool
}

// Required returns literals one of which every match of the pattern holds, and ok; ok is
// false when the syntax tree shows none (every subject may match).
func (m *Matcher) Required() (lits []Literal, ok bool) {
	return literalsOf(m.kind, m.set)
}

// RequiredOf is Compile(pattern).Required() without compiling the pattern for matching:
// what a caller that only screens by the literals needs (the engine's candidate index reads
// every pattern of an artifact, and evaluates few). A pattern Compile refuses gives
// ok false; syntax.Parse refuses what regexp.Compile refuses.
func RequiredOf(pattern string) (lits []Literal, ok bool) {
	tree, err := syntax.Parse(pattern, syntax.Perl)
	if err != nil {
		return nil, false
	}
	return literalsOf(analyze(tree.Simplify()))
}

func literalsOf(k kind, set litSet) ([]Literal, bool) {
	if k == kindRegexp {
		return nil, false
	}
	lits := make([]Literal, len(set.lits))
	for i, l := range set.lits {
		lits[i] = Literal{S: l.s, Fold: l.fold}
	}
	return lits, true
}

// Any returns a Matcher of what one of ms matches, and ok, when each is Exact: it decides a
// subject with the union of their literals, indexed as one set (a long list of patterns
// then costs one pass over the subject, as one long alternation does), and leaves the
// subjects its string tests are unsure of to the matchers themselves. It compiles no
// pattern: a rule's list of a thousand patterns, each compiled already, is united in a few
// milliseconds where their alternation took tens to parse and analyze.
func Any(ms []*Matcher) (*Matcher, bool) {
	var lits []lit
	for _, m := range ms {
		if m.kind != kindExact {
			return nil, false
		}
		lits = append(lits, m.set.lits...)
	}
	return &Matcher{kind: kindExact, set: newLitSet(lits).indexed(), parts: slices.Clone(ms)}, true
}

// anyPart reports whether one of the parts matches s.
func (m *Matcher) anyPart(s string) bool {
	for _, p := range m.parts {
		if p.MatchString(s) {
			return true
		}
	}
	return false
}

// Regexp returns the compiled *regexp.Regexp.
func (m *Matcher) Regexp() *regexp.Regexp {
	if m.parts != nil {
		m.reOnce.Do(func() { m.re = regexp.MustCompile(m.String()) })
	}
	return m.re
}

// String returns the pattern, as regexp.Regexp.String does; a Matcher made by Any gives the
// alternation of its parts' patterns.
func (m *Matcher) String() string {
	if m.parts == nil {
		return m.re.String()
	}
	alts := make([]string, len(m.parts))
	for i, p := range m.parts {
		alts[i] = "(?:" + p.String() + ")"
	}
	return strings.Join(alts, "|")
}

// describe names the path a Matcher takes and its literals, for tests and debugging.
func (m *Matcher) describe() string {
	switch m.kind {
	case kindExact:
		return "exact " + m.set.String()
	case kindPrefilter:
		return "prefilter " + m.set.String()
	}
	return "regexp"
}
