package sigmacel

import (
	"fmt"
	"net/netip"
	"regexp"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/stixcel/stixcel/compiler/sigma"
)

// field is how an expression reads one event field.
type field struct {
	get string // event.F, or event['F'] for a name that is not an identifier
	has string // has(event.F), or 'F' in event
}

var identRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

func eventField(name string) field {
	if identRE.MatchString(name) && !celReserved[name] {
		return field{get: "event." + name, has: "has(event." + name + ")"}
	}
	q := quote(name)
	return field{get: "event[" + q + "]", has: q + " in event"}
}

// celReserved are CEL's reserved words, which cannot follow a dot.
var celReserved = map[string]bool{
	"as": true, "break": true, "const": true, "continue": true, "else": true, "for": true,
	"function": true, "if": true, "import": true, "let": true, "loop": true, "package": true,
	"namespace": true, "return": true, "var": true, "void": true, "while": true,
	"in": true, "true": true, "false": true, "null": true,
}

// matcher compiles one field matcher; positive as for compiler.node.
func (c *compiler) matcher(m *sigma.FieldMatcher, positive bool) (part, error) {
	what := fmt.Sprintf("search %s", m.Search)
	if m.Field == "" {
		return keywords(m, what)
	}
	what = fmt.Sprintf("search %s, field %s", m.Search, m.Field)
	for _, mod := range m.Modifiers {
		switch mod.Name {
		case "minute", "hour", "day", "week", "month", "year", "expand":
			return part{}, unsupported(mod.Pos, "modifier "+mod.Name, what)
		}
	}
	if !c.target.Carries(m.Field) {
		c.lacked[m.Field] = true
		return constant(!positive), nil
	}
	f := eventField(c.target.EventField(m.Field))
	switch {
	case m.Has("exists"):
		if m.Values[0].Bool {
			return atom(f.has), nil
		}
		return atom("!" + f.has), nil
	case m.Has("fieldref"):
		return c.fieldref(m, f, positive)
	}
	var terms []part
	var lits literalSets
	for _, v := range m.Values {
		one := *m
		one.Values = []sigma.Value{asText(m, v)}
		alts, err := one.Expand()
		if err != nil {
			return part{}, &Error{Pos: v.Pos, Construct: "expansion", Msg: err.Error()}
		}
		var ors []part
		for _, a := range alts {
			if c.compact && !m.Has("all") && lits.add(m, a) {
				continue
			}
			p, err := valueTest(m, f, a, what)
			if err != nil {
				return part{}, err
			}
			ors = append(ors, p)
		}
		if len(ors) > 0 {
			terms = append(terms, or(ors...))
		}
	}
	var body part
	if m.Has("all") {
		body = and(terms...)
	} else {
		body = or(append(lits.tests(f, m.Has("cased") || m.Has("base64") || m.Has("base64offset")), terms...)...)
	}
	if m.Has("neq") {
		body = not(body)
	}
	if len(m.Values) == 1 && m.Values[0].Kind == sigma.KindNull {
		if m.Has("neq") {
			return and(atom(f.has), atom(f.get+" != null")), nil
		}
		return body, nil
	}
	return and(atom(f.has), body), nil
}

// keywords compiles a keyword search: some string value of the event contains a value
// (wildcards as in field values; case ignored unless cased, folding Unicode as RE2's (?i)
// does); the values are OR-ed into one pattern, or each searched for under all.
func keywords(m *sigma.FieldMatcher, what string) (part, error) {
	for _, mod := range m.Modifiers {
		if mod.Name != "all" && mod.Name != "cased" {
			return part{}, unsupported(mod.Pos, "keyword modifier "+mod.Name, what)
		}
	}
	var alts []string
	for _, v := range m.Values {
		v = asText(&sigma.FieldMatcher{Modifiers: []sigma.Modifier{{Name: "contains"}}}, v)
		for _, s := range v.Pattern {
			if s.Kind == sigma.SegLiteral && !utf8.ValidString(s.Text) {
				return part{}, unsupported(v.Pos, "utf16 encoding without base64", what)
			}
		}
		alts = append(alts, patternRegexp(v.Pattern))
	}
	flags := "(?is)"
	if m.Has("cased") {
		flags = "(?s)"
	}
	search := func(alts ...string) part {
		return atom("event.anyStringMatches(" + quote(flags+strings.Join(alts, "|")) + ")")
	}
	if !m.Has("all") {
		return search(alts...), nil
	}
	parts := make([]part, len(alts))
	for i, a := range alts {
		parts[i] = search(a)
	}
	return and(parts...), nil
}

// patternRegexp is an unanchored RE2 pattern of a wildcard pattern's segments.
func patternRegexp(segs []sigma.Segment) string {
	var b strings.Builder
	for _, s := range segs {
		switch s.Kind {
		case sigma.SegLiteral:
			b.WriteString(regexp.QuoteMeta(s.Text))
		case sigma.SegAnyString:
			b.WriteString(".*")
		case sigma.SegAnyChar:
			b.WriteString(".")
		}
	}
	return b.String()
}

// asText reads a number as its text when string modifiers apply to it (`EventID|startswith: 46`).
func asText(m *sigma.FieldMatcher, v sigma.Value) sigma.Value {
	if !v.IsNumber() {
		return v
	}
	for _, name := range []string{"contains", "startswith", "endswith", "windash", "cased"} {
		if m.Has(name) {
			v.Kind = sigma.KindString
			v.Pattern = sigma.ParsePattern(v.Raw)
			return v
		}
	}
	return v
}

func (c *compiler) fieldref(m *sigma.FieldMatcher, f field, positive bool) (part, error) {
	op := " == "
	if m.Has("neq") {
		op = " != "
	}
	var terms []part
	for _, v := range m.Values {
		if !c.target.Carries(v.Raw) {
			c.lacked[v.Raw] = true
			terms = append(terms, constant(!positive))
			continue
		}
		g := eventField(c.target.EventField(v.Raw))
		terms = append(terms, and(atom(f.has), atom(g.has), atom(f.get+op+g.get)))
	}
	if m.Has("all") {
		return and(terms...), nil
	}
	return or(terms...), nil
}

// valueTest is the test of one expanded value against the field (its presence checked by
// the caller, except for null).
func valueTest(m *sigma.FieldMatcher, f field, v sigma.Value, what string) (part, error) {
	switch {
	case v.Kind == sigma.KindNull:
		return part{text: "!" + f.has + " || " + f.get + " == null", op: "||"}, nil
	case m.Has("gt"), m.Has("gte"), m.Has("lt"), m.Has("lte"):
		return atom(f.get + " " + comparison(m) + " " + number(v)), nil
	case v.Kind == sigma.KindInt || v.Kind == sigma.KindFloat:
		return part{text: f.get + " == " + number(v) + " || " + f.get + " == " + quote(v.Raw), op: "||"}, nil
	case v.Kind == sigma.KindBool: // the boolean or its text, as exports write Signed: "true"
		b := strconv.FormatBool(v.Bool)
		title := strings.ToUpper(b[:1]) + b[1:]
		return atom(f.get + " in [" + b + ", '" + b + "', '" + title + "', '" + strings.ToUpper(b) + "']"), nil
	case m.Has("re"):
		return atom(f.get + ".matches(" + quote(reFlags(m)+v.Raw) + ")"), nil
	case m.Has("cidr"):
		re, err := cidrRegexp(v.Raw)
		if err == nil {
			return atom(f.get + ".matches(" + quote(re) + ")"), nil
		}
		// An IPv6 network the address text cannot decide: celenv's network functions parse
		// the address (strictly: no zone, no IPv4-mapped form).
		if p, perr := netip.ParsePrefix(strings.TrimSpace(v.Raw)); perr == nil && p.Addr().Is6() {
			return part{text: "isIP(" + f.get + ") && cidr(" + quote(p.Masked().String()) + ").containsIP(" + f.get + ")", op: "&&"}, nil
		}
		return part{}, &Error{Pos: v.Pos, Construct: "cidr", Msg: what + ": " + err.Error()}
	}
	for _, s := range v.Pattern {
		if s.Kind == sigma.SegLiteral && !utf8.ValidString(s.Text) {
			return part{}, unsupported(v.Pos, "utf16 encoding without base64", what)
		}
	}
	cased := m.Has("cased") || m.Has("base64") || m.Has("base64offset")
	return patternTest(f, v.Pattern, cased), nil
}

func comparison(m *sigma.FieldMatcher) string {
	switch {
	case m.Has("gt"):
		return ">"
	case m.Has("gte"):
		return ">="
	case m.Has("lt"):
		return "<"
	}
	return "<="
}

func number(v sigma.Value) string {
	if v.Kind == sigma.KindInt {
		return strconv.FormatInt(v.Int, 10)
	}
	if v.Kind == sigma.KindFloat {
		s := strconv.FormatFloat(v.Float, 'g', -1, 64)
		if !strings.ContainsAny(s, ".eEn") {
			s += ".0"
		}
		return s
	}
	return v.Raw
}

func reFlags(m *sigma.FieldMatcher) string {
	var fl string
	for _, f := range []string{"i", "m", "s"} {
		if m.Has(f) {
			fl += f
		}
	}
	if fl == "" {
		return ""
	}
	return "(?" + fl + ")"
}

// patternTest compiles a wildcard pattern: string tests when it is a literal with `*` only
// at its ends and (case-insensitively) ASCII text, an anchored RE2 match otherwise.
func patternTest(f field, pat []sigma.Segment, cased bool) part {
	lead, trail := false, false
	segs := pat
	if len(segs) > 0 && segs[0].Kind == sigma.SegAnyString {
		lead, segs = true, segs[1:]
	}
	if len(segs) > 0 && segs[len(segs)-1].Kind == sigma.SegAnyString {
		trail, segs = true, segs[:len(segs)-1]
	}
	switch {
	case len(segs) == 0 && (lead || trail):
		return constant(true) // `*`: any value of a present field
	case len(segs) == 0:
		return atom(f.get + " == ''")
	case len(segs) == 1 && segs[0].Kind == sigma.SegLiteral && (cased || isASCII(segs[0].Text)):
		get, lit := f.get, segs[0].Text
		if !cased {
			get, lit = f.get+".lowerAscii()", strings.ToLower(lit)
		}
		switch {
		case lead && trail:
			return atom(get + ".contains(" + quote(lit) + ")")
		case lead:
			return atom(get + ".endsWith(" + quote(lit) + ")")
		case trail:
			return atom(get + ".startsWith(" + quote(lit) + ")")
		}
		return atom(get + " == " + quote(lit))
	}
	flags := "(?s)"
	if !cased {
		flags = "(?is)"
	}
	var b strings.Builder
	b.WriteString(flags)
	if !lead {
		b.WriteString("^")
	}
	b.WriteString(patternRegexp(segs))
	if !trail {
		b.WriteString("$")
	}
	return atom(f.get + ".matches(" + quote(b.String()) + ")")
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// cidrRegexp is an RE2 pattern matching the text of the addresses in network: an IPv4
// network's dotted quads (anchored), an IPv6 network's addresses as written with their
// leading hextets (see cidr6Regexp).
func cidrRegexp(network string) (string, error) {
	p, err := netip.ParsePrefix(strings.TrimSpace(network))
	if err != nil {
		return "", fmt.Errorf("cidr %q: %w", network, err)
	}
	p = p.Masked()
	if !p.Addr().Is4() {
		return cidr6Regexp(p)
	}
	octets := p.Addr().As4()
	full, rem := p.Bits()/8, p.Bits()%8
	parts := make([]string, 4)
	for i := range parts {
		switch {
		case i < full:
			parts[i] = strconv.Itoa(int(octets[i]))
		case i == full && rem > 0:
			lo := int(octets[i])
			hi := lo + 1<<(8-rem) - 1
			alts := make([]string, 0, hi-lo+1)
			for n := lo; n <= hi; n++ {
				alts = append(alts, strconv.Itoa(n))
			}
			parts[i] = "(?:" + strings.Join(alts, "|") + ")"
		default:
			parts[i] = "[0-9]{1,3}"
		}
	}
	return "^" + strings.Join(parts, `\.`) + "$", nil
}

// cidr6Regexp matches an IPv6 network's addresses by the hextets its prefix fixes. It is
// exact when none of those hextets can be zero (then every spelling writes them first, in
// order, with optional leading zeros): fe80::/10, fc00::/7, 2603:1006:1400::/40. A /128
// address matches in its canonical form (RFC 5952, `::1`) and fully written without leading
// zeros (`0:0:0:0:0:0:0:1`, as Sysmon writes it). Any other network is refused.
func cidr6Regexp(p netip.Prefix) (string, error) {
	a := p.Addr().As16()
	var hextets [8]int
	for i := range hextets {
		hextets[i] = int(a[2*i])<<8 | int(a[2*i+1])
	}
	if p.Bits() == 128 {
		full := make([]string, 8)
		for i, h := range hextets {
			full[i] = strconv.FormatInt(int64(h), 16)
		}
		return "(?i)^(?:" + regexp.QuoteMeta(p.Addr().String()) + "|" + strings.Join(full, ":") + ")$", nil
	}
	var parts []string
	for i := 0; i*16 < p.Bits(); i++ {
		fixed := min(p.Bits()-16*i, 16)
		re, ok := hextetRegexp(hextets[i], fixed)
		if !ok {
			return "", fmt.Errorf("cidr IPv6 network %q is not supported yet (a hextet it fixes may be zero or vary in length)", p)
		}
		parts = append(parts, re)
	}
	return "(?i)^" + strings.Join(parts, ":") + ":", nil
}

// hextetRegexp matches the text of the hextets whose top fixed bits are those of lo; ok is
// false when some of them are zero or their texts differ in length.
func hextetRegexp(lo, fixed int) (string, bool) {
	hi := lo | (1<<(16-fixed) - 1)
	digits := len(strconv.FormatInt(int64(lo), 16))
	if lo == 0 || digits != len(strconv.FormatInt(int64(hi), 16)) {
		return "", false
	}
	var b strings.Builder
	if digits < 4 {
		fmt.Fprintf(&b, "0{0,%d}", 4-digits)
	}
	for j := 4 - digits; j < 4; j++ {
		nib := lo >> (12 - 4*j) & 0xf
		f := min(max(fixed-4*j, 0), 4)
		switch f {
		case 4:
			b.WriteString(strconv.FormatInt(int64(nib), 16))
		case 0:
			b.WriteString("[0-9a-f]")
		default: // list the digits: a range such as 8-b would span ASCII between them
			b.WriteByte('[')
			for d := nib; d <= nib|(1<<(4-f)-1); d++ {
				fmt.Fprintf(&b, "%x", d)
			}
			b.WriteByte(']')
		}
	}
	return b.String(), true
}

// quote writes s as a CEL single-quoted string literal.
func quote(s string) string {
	var b strings.Builder
	b.WriteByte('\'')
	for _, r := range s {
		switch {
		case r == '\\':
			b.WriteString(`\\`)
		case r == '\'':
			b.WriteString(`\'`)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r == '\t':
			b.WriteString(`\t`)
		case r > 0xffff && !unicode.IsPrint(r):
			fmt.Fprintf(&b, `\U%08x`, r)
		case !unicode.IsPrint(r):
			fmt.Fprintf(&b, `\u%04x`, r)
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('\'')
	return b.String()
}
