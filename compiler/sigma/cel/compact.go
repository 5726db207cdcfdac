package sigmacel

import (
	"regexp"
	"strings"
	"unicode/utf8"

	"github.com/stixcel/stixcel/compiler/sigma"
)

// literalSets gathers the values of one matcher that are plain literal tests (equality,
// contains, startswith, endswith of one literal, compared as patternTest compares it), so
// that the compact form tests each kind once: equality as membership in a list, contains as
// celenv's containsAny (one pass, Aho-Corasick), startswith and endswith as one RE2
// alternation each, over the (lowered) field. It answers as the OR of the single tests does,
// at a fraction of CEL's estimated cost for long lists: one lowering of the field instead of
// one per value, one pass of the string instead of one per value.
type literalSets struct {
	equal, contains, prefix, suffix []string
}

// add takes value v of m when it is a plain literal test, reporting whether it did.
func (l *literalSets) add(m *sigma.FieldMatcher, v sigma.Value) bool {
	if v.Kind != sigma.KindString {
		return false
	}
	for _, name := range []string{"re", "cidr", "gt", "gte", "lt", "lte"} {
		if m.Has(name) {
			return false
		}
	}
	cased := m.Has("cased") || m.Has("base64") || m.Has("base64offset")
	segs := v.Pattern
	lead := len(segs) > 0 && segs[0].Kind == sigma.SegAnyString
	if lead {
		segs = segs[1:]
	}
	trail := len(segs) > 0 && segs[len(segs)-1].Kind == sigma.SegAnyString
	if trail {
		segs = segs[:len(segs)-1]
	}
	if len(segs) != 1 || segs[0].Kind != sigma.SegLiteral || !(cased || isASCII(segs[0].Text)) || !utf8.ValidString(segs[0].Text) {
		return false
	}
	lit := segs[0].Text
	if !cased {
		lit = strings.ToLower(lit)
	}
	switch {
	case lead && trail:
		l.contains = append(l.contains, lit)
	case lead:
		l.suffix = append(l.suffix, lit)
	case trail:
		l.prefix = append(l.prefix, lit)
	default:
		l.equal = append(l.equal, lit)
	}
	return true
}

// tests returns one test per kind gathered, over field f (lowered unless cased).
func (l *literalSets) tests(f field, cased bool) []part {
	get := f.get
	if !cased {
		get += ".lowerAscii()"
	}
	var out []part
	if len(l.equal) > 0 {
		out = append(out, atom(get+" in "+quoteList(l.equal)))
	}
	if len(l.contains) > 0 {
		out = append(out, atom(get+".containsAny("+quoteList(l.contains)+")"))
	}
	for _, k := range []struct {
		lits          []string
		before, after string
	}{{l.prefix, "^", ""}, {l.suffix, "", "$"}} {
		if len(k.lits) > 0 {
			out = append(out, atom(get+".matches("+quote(alternation(k.before, k.lits, k.after))+")"))
		}
	}
	return out
}

// quoteList writes lits as a CEL list literal.
func quoteList(lits []string) string {
	quoted := make([]string, len(lits))
	for i, lit := range lits {
		quoted[i] = quote(lit)
	}
	return "[" + strings.Join(quoted, ", ") + "]"
}

// alternation is an RE2 pattern matching any of lits literally, between before and after
// (anchors). Without flags it compares bytes exactly: the field is lowered and the literals
// too when the test ignores case.
func alternation(before string, lits []string, after string) string {
	quoted := make([]string, len(lits))
	for i, lit := range lits {
		quoted[i] = regexp.QuoteMeta(lit)
	}
	return before + "(?:" + strings.Join(quoted, "|") + ")" + after
}
