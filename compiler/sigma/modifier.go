package sigma

import (
	"encoding/base64"
	"fmt"
	"net/netip"
	"regexp/syntax"
	"slices"
	"strings"
	"unicode/utf16"

	"github.com/stixcel/stixcel/diag"
)

// Modifier is one value modifier of a field matcher, `contains` in `CommandLine|contains`.
type Modifier struct {
	Name string
	Pos  diag.Pos // its first character in the key
}

// modifierClass groups the modifiers by what they do, for the combination rules.
type modifierClass int

const (
	classUnknown   modifierClass = iota
	classGeneric                 // all, cased, neq
	classPlacement               // contains, startswith, endswith
	classExists                  // exists
	classWindash                 // windash
	classRegex                   // re
	classRegexFlag               // i, m, s (after re)
	classEncoding                // base64, base64offset, utf16le, utf16be, utf16, wide
	classCompare                 // lt, lte, gt, gte
	classTime                    // minute, hour, day, week, month, year
	classCIDR                    // cidr
	classExpand                  // expand
	classFieldRef                // fieldref
)

// KnownModifiers lists every value modifier of the specification's appendix (v2.1.0).
func KnownModifiers() []string {
	return []string{
		"all", "startswith", "endswith", "contains", "exists", "cased", "neq",
		"windash", "re", "i", "m", "s",
		"base64", "base64offset", "utf16le", "utf16be", "utf16", "wide",
		"lt", "lte", "gt", "gte",
		"minute", "hour", "day", "week", "month", "year",
		"cidr", "expand", "fieldref",
	}
}

func classOf(name string) modifierClass {
	switch name {
	case "all", "cased", "neq":
		return classGeneric
	case "contains", "startswith", "endswith":
		return classPlacement
	case "exists":
		return classExists
	case "windash":
		return classWindash
	case "re":
		return classRegex
	case "i", "m", "s":
		return classRegexFlag
	case "base64", "base64offset", "utf16le", "utf16be", "utf16", "wide":
		return classEncoding
	case "lt", "lte", "gt", "gte":
		return classCompare
	case "minute", "hour", "day", "week", "month", "year":
		return classTime
	case "cidr":
		return classCIDR
	case "expand":
		return classExpand
	case "fieldref":
		return classFieldRef
	}
	return classUnknown
}

// Has reports whether the matcher carries modifier name.
func (m *FieldMatcher) Has(name string) bool {
	return slices.ContainsFunc(m.Modifiers, func(x Modifier) bool { return x.Name == name })
}

func (m *FieldMatcher) hasClass(c modifierClass) bool {
	return slices.ContainsFunc(m.Modifiers, func(x Modifier) bool { return classOf(x.Name) == c })
}

// what names the matcher in messages: `field "CommandLine|contains"`, or `keywords`.
func (m *FieldMatcher) what() string {
	if m.Field == "" && len(m.Modifiers) == 0 {
		return fmt.Sprintf("keywords of search %q", m.Search)
	}
	return fmt.Sprintf("field %q of search %q", m.Key, m.Search)
}

// checkModifiers reports unknown modifiers and combinations the specification does not
// allow, each at the modifier, and values the modifiers do not take, each at the value. It
// resolves the values: string values of a regex, cidr, fieldref or expand matcher lose
// their wildcard pattern, numbers under string modifiers become strings.
func (m *FieldMatcher) checkModifiers(ds *diag.Diagnostics) {
	ok := true
	seen := map[string]bool{}
	for i, mod := range m.Modifiers {
		if !m.checkModifier(ds, i, mod, seen) {
			ok = false
		}
		seen[mod.Name] = true
	}
	if !ok {
		return
	}
	m.checkCombination(ds)
	m.checkValues(ds)
}

func (m *FieldMatcher) checkModifier(ds *diag.Diagnostics, i int, mod Modifier, seen map[string]bool) bool {
	class := classOf(mod.Name)
	switch {
	case class == classUnknown:
		msg := fmt.Sprintf("%s: unknown value modifier %q", m.what(), mod.Name)
		if mod.Name == "" {
			msg = fmt.Sprintf("%s: empty value modifier (two | in a row, or a trailing |)", m.what())
		}
		ds.Errorf(mod.Pos, diag.CodeBadValue, "%s", msg)
	case seen[mod.Name]:
		ds.Errorf(mod.Pos, diag.CodeBadValue, "%s: modifier %q given twice", m.what(), mod.Name)
	case class == classRegexFlag && !seen["re"]:
		ds.Errorf(mod.Pos, diag.CodeBadValue, "%s: regular expression flag %q must follow the re modifier", m.what(), mod.Name)
	case class == classRegexFlag && i > 0 && classOf(m.Modifiers[i-1].Name) != classRegex && classOf(m.Modifiers[i-1].Name) != classRegexFlag:
		ds.Errorf(mod.Pos, diag.CodeBadValue, "%s: regular expression flag %q must follow re or another flag directly", m.what(), mod.Name)
	case m.Field == "" && class != classGeneric && class != classPlacement && class != classWindash &&
		class != classEncoding && class != classRegex && class != classRegexFlag:
		ds.Errorf(mod.Pos, diag.CodeBadValue, "%s: modifier %q needs a field name", m.what(), mod.Name)
	default:
		return true
	}
	return false
}

// conflicts lists pairs of modifier classes that cannot share a matcher, with the reason.
var conflicts = []struct {
	a, b   modifierClass
	reason string
}{
	{classPlacement, classPlacement, "contains, startswith and endswith exclude each other"},
	{classRegex, classPlacement, "a regular expression places itself"},
	{classRegex, classEncoding, "a regular expression cannot be encoded"},
	{classRegex, classWindash, "a regular expression cannot be windash-expanded"},
	{classRegex, classCIDR, "a value is a regular expression or a network, not both"},
	{classRegex, classCompare, "a value is a regular expression or a number, not both"},
	{classRegex, classFieldRef, "a value is a regular expression or a field reference, not both"},
	{classCIDR, classPlacement, "a network is not a string"},
	{classCIDR, classEncoding, "a network is not a string"},
	{classCIDR, classWindash, "a network is not a string"},
	{classCIDR, classCompare, "a network is not a number"},
	{classCompare, classCompare, "lt, lte, gt and gte exclude each other"},
	{classCompare, classPlacement, "a number is compared, not placed in a string"},
	{classCompare, classEncoding, "a number is compared, not encoded"},
	{classCompare, classWindash, "a number is compared, not windash-expanded"},
	{classTime, classTime, "a date yields one part"},
	{classTime, classPlacement, "a date part is a number"},
	{classTime, classEncoding, "a date part is a number"},
	{classFieldRef, classEncoding, "a field reference is not encoded"},
	{classFieldRef, classWindash, "a field reference is not windash-expanded"},
	{classFieldRef, classCompare, "a field reference is not a number"},
	{classExpand, classEncoding, "a placeholder is expanded, not encoded"},
}

func (m *FieldMatcher) checkCombination(ds *diag.Diagnostics) {
	for j, mod := range m.Modifiers {
		cj := classOf(mod.Name)
		for i := range j {
			ci := classOf(m.Modifiers[i].Name)
			if reason := conflict(ci, cj); reason != "" {
				ds.Errorf(mod.Pos, diag.CodeBadValue, "%s: modifier %q cannot follow %q: %s", m.what(), mod.Name, m.Modifiers[i].Name, reason)
				return
			}
		}
	}
	if i := m.index("base64offset"); i >= 0 && !slices.ContainsFunc(m.Modifiers[i+1:], func(x Modifier) bool { return x.Name == "contains" }) {
		ds.Errorf(m.Modifiers[i].Pos, diag.CodeBadValue, "%s: base64offset yields the middle of an encoded value, so contains must follow it", m.what())
	}
	for _, enc := range []string{"utf16le", "utf16be", "utf16", "wide"} {
		i := m.index(enc)
		for _, b64 := range []string{"base64", "base64offset"} {
			if j := m.index(b64); i >= 0 && j >= 0 && j < i {
				ds.Errorf(m.Modifiers[i].Pos, diag.CodeBadValue, "%s: %s must come before the %s encoding it feeds", m.what(), enc, b64)
			}
		}
	}
}

func conflict(a, b modifierClass) string {
	if a == classExists || b == classExists {
		return "exists stands alone"
	}
	for _, c := range conflicts {
		if (c.a == a && c.b == b) || (c.a == b && c.b == a) {
			return c.reason
		}
	}
	return ""
}

func (m *FieldMatcher) index(name string) int {
	return slices.IndexFunc(m.Modifiers, func(x Modifier) bool { return x.Name == name })
}

// checkValues checks each value against the matcher's modifiers and resolves its form.
func (m *FieldMatcher) checkValues(ds *diag.Diagnostics) {
	if m.Has("all") && len(m.Values) < 2 {
		ds.Errorf(m.Modifiers[m.index("all")].Pos, diag.CodeBadValue, "%s: all needs a list of two or more values", m.what())
	}
	if m.Has("exists") && len(m.Values) != 1 {
		ds.Errorf(m.Pos, diag.CodeBadValue, "%s: exists takes one value, true or false", m.what())
		return
	}
	for i := range m.Values {
		m.checkValue(ds, &m.Values[i])
	}
}

func (m *FieldMatcher) checkValue(ds *diag.Diagnostics, v *Value) {
	bad := func(format string, args ...any) {
		ds.Errorf(v.Pos, diag.CodeBadValue, "%s: "+format, append([]any{m.what()}, args...)...)
	}
	if v.Kind == KindNull {
		if len(m.Modifiers) > 0 {
			bad("null takes no modifier")
		} else if len(m.Values) > 1 {
			bad("null cannot be part of a list of values; use a search of its own")
		}
		return
	}
	switch {
	case m.Has("exists"):
		if v.Kind != KindBool {
			bad("exists takes true or false, not %s %q", v.Kind, v.Raw)
		}
	case m.hasClass(classCompare) || m.hasClass(classTime):
		if !v.IsNumber() {
			bad("%s compares numbers, not %s %q", m.firstOf(classCompare, classTime), v.Kind, v.Raw)
		}
	case m.Has("cidr"):
		m.resolveString(v, bad)
		if _, err := netip.ParsePrefix(v.Raw); err == nil || v.Kind != KindString {
			return
		}
		bad("cidr needs a network such as 10.0.0.0/8, not %q", v.Raw)
	case m.Has("re"):
		m.resolveString(v, bad)
		if _, err := syntax.Parse(v.Raw, syntax.Perl); err != nil && v.Kind == KindString {
			bad("invalid regular expression: %v", err)
		}
	case m.Has("fieldref") || m.Has("expand"):
		m.resolveString(v, bad)
		if m.Has("expand") && v.Kind == KindString && !strings.Contains(v.Raw, "%") {
			bad("expand needs a %%placeholder%% in %q", v.Raw)
		}
	case m.hasClass(classPlacement) || m.hasClass(classEncoding) || m.Has("windash") || m.Has("cased"):
		m.resolveString(v, nil)
		if v.Kind == KindBool {
			bad("%s applies to strings, not %s", m.firstOf(classPlacement, classEncoding, classWindash, classGeneric), v.Kind)
		}
	}
}

// resolveString makes a value a plain string: numbers as written; with bad non-nil (re,
// cidr, fieldref, expand) the value is not a wildcard pattern, and booleans are reported.
func (m *FieldMatcher) resolveString(v *Value, bad func(string, ...any)) {
	switch {
	case v.IsNumber():
		*v = stringValue(v.Raw, v.Pos)
	case v.Kind == KindBool && bad != nil:
		bad("%s applies to strings, not %s", m.firstOf(classRegex, classCIDR, classFieldRef, classExpand), v.Kind)
		return
	}
	if bad != nil && v.Kind == KindString {
		v.Pattern = nil
	}
}

func (m *FieldMatcher) firstOf(classes ...modifierClass) string {
	for _, mod := range m.Modifiers {
		if slices.Contains(classes, classOf(mod.Name)) {
			return mod.Name
		}
	}
	return ""
}

// windashChars are the characters windash makes interchangeable.
var windashChars = []string{"-", "/", "–", "—", "―"}

// MaxExpansion bounds how many values one value may expand into (windash's 5^n).
const MaxExpansion = 4096

// Expand applies the matcher's transformation modifiers, in order, to each value:
// windash, the encodings (utf16le, utf16be, utf16, wide, base64, base64offset) and the
// placements (contains, startswith, endswith add `*` wildcards). Values stay in order; one
// may become several (windash's permutations, base64offset's three shifts), all of which
// alternatives of the one they came from. A value with wildcards cannot be encoded, and a value
// expanding into more than MaxExpansion values is an error; both are positioned at the value.
func (m *FieldMatcher) Expand() ([]Value, error) {
	var out []Value
	for _, v := range m.Values {
		vs := []Value{v}
		for _, mod := range m.Modifiers {
			var err error
			if vs, err = m.apply(mod.Name, vs); err != nil {
				return nil, err
			}
		}
		out = append(out, vs...)
	}
	return out, nil
}

func (m *FieldMatcher) apply(name string, vs []Value) ([]Value, error) {
	var out []Value
	for _, v := range vs {
		if v.Kind != KindString || v.Pattern == nil && v.Raw != "" {
			out = append(out, v)
			continue
		}
		next, err := transform(name, v)
		if err != nil {
			return nil, fmt.Errorf("%s: %s: %w", v.Pos, m.what(), err)
		}
		out = append(out, next...)
		if len(out) > MaxExpansion {
			return nil, fmt.Errorf("%s: %s: %s expands into more than %d values", v.Pos, m.what(), name, MaxExpansion)
		}
	}
	return out, nil
}

// transform applies one modifier to one string value; modifiers that do not change values
// (all, cased, re, ...) return it as is.
func transform(name string, v Value) ([]Value, error) {
	switch name {
	case "contains":
		return []Value{wrap(v, true, true)}, nil
	case "startswith":
		return []Value{wrap(v, false, true)}, nil
	case "endswith":
		return []Value{wrap(v, true, false)}, nil
	case "windash":
		return windash(v), nil
	case "base64", "base64offset", "utf16le", "utf16be", "utf16", "wide":
		text, ok := v.Literal()
		if !ok {
			return nil, fmt.Errorf("%s cannot encode a value with wildcards (%q)", name, v.Raw)
		}
		var out []Value
		for _, enc := range Encode(name, text) {
			out = append(out, literalValue(enc, v.Pos))
		}
		return out, nil
	}
	return []Value{v}, nil
}

// wrap adds a `*` wildcard before and/or after v's pattern, unless one is there already.
func wrap(v Value, before, after bool) Value {
	p := slices.Clone(v.Pattern)
	if before && (len(p) == 0 || p[0].Kind != SegAnyString) {
		p = append([]Segment{{Kind: SegAnyString}}, p...)
	}
	if after && (len(p) == 0 || p[len(p)-1].Kind != SegAnyString) {
		p = append(p, Segment{Kind: SegAnyString})
	}
	v.Pattern = p
	v.Raw = v.PatternString()
	return v
}

// windash returns every permutation of v with each dash-like character of its literal
// segments replaced by each of windashChars, v itself first.
func windash(v Value) []Value {
	out := []Value{{Kind: KindString, Pos: v.Pos}}
	for _, seg := range v.Pattern {
		if seg.Kind != SegLiteral {
			for i := range out {
				out[i].Pattern = append(out[i].Pattern, seg)
			}
			continue
		}
		for _, part := range splitDashes(seg.Text) {
			alts := []string{part}
			if slices.Contains(windashChars, part) {
				alts = append(alts, slices.DeleteFunc(slices.Clone(windashChars), func(c string) bool { return c == part })...)
			}
			out = cross(out, alts)
		}
	}
	for i := range out {
		out[i].Pattern = joinLiterals(out[i].Pattern)
		out[i].Raw = out[i].PatternString()
	}
	return out
}

func cross(vs []Value, alts []string) []Value {
	out := make([]Value, 0, len(vs)*len(alts))
	for _, alt := range alts {
		for _, v := range vs {
			v.Pattern = append(slices.Clone(v.Pattern), Segment{Kind: SegLiteral, Text: alt})
			out = append(out, v)
		}
	}
	return out
}

// splitDashes splits text into runs without dashes and single dash characters.
func splitDashes(text string) []string {
	var parts []string
	start := 0
	for i, r := range text {
		if slices.Contains(windashChars, string(r)) {
			if start < i {
				parts = append(parts, text[start:i])
			}
			parts = append(parts, string(r))
			start = i + len(string(r))
		}
	}
	if start < len(text) {
		parts = append(parts, text[start:])
	}
	return parts
}

func joinLiterals(p []Segment) []Segment {
	var out []Segment
	for _, s := range p {
		if n := len(out); n > 0 && s.Kind == SegLiteral && out[n-1].Kind == SegLiteral {
			out[n-1].Text += s.Text
			continue
		}
		out = append(out, s)
	}
	return out
}

// Encode applies an encoding modifier to text (as bytes, already encoded when an earlier
// modifier produced them): base64 gives one value, base64offset the three shifted
// variants (the part of the encoding that does not depend on the bytes around text),
// utf16le/wide, utf16be and utf16 (with its byte order mark FF FE) the UTF-16 bytes.
func Encode(name, text string) []string {
	switch name {
	case "base64":
		return []string{base64.StdEncoding.EncodeToString([]byte(text))}
	case "base64offset":
		return base64Offsets([]byte(text))
	case "utf16le", "wide":
		return []string{utf16Bytes(text, false, false)}
	case "utf16be":
		return []string{utf16Bytes(text, true, false)}
	case "utf16":
		return []string{utf16Bytes(text, false, true)}
	}
	return []string{text}
}

// base64Offsets encodes b after 0, 1 and 2 bytes of padding and keeps the characters that
// only b determines: the first 0, 2 and 3 dropped, and at the end those that mix in the
// following bytes.
func base64Offsets(b []byte) []string {
	starts := [3]int{0, 2, 3}
	ends := [3]int{0, 3, 2}
	out := make([]string, 0, 3)
	for shift := range 3 {
		enc := base64.StdEncoding.EncodeToString(append(make([]byte, shift), b...))
		end := len(enc) - ends[(len(b)+shift)%3]
		if starts[shift] >= end {
			continue
		}
		out = append(out, enc[starts[shift]:end])
	}
	return out
}

func utf16Bytes(text string, bigEndian, bom bool) string {
	var b []byte
	if bom {
		b = append(b, 0xFF, 0xFE)
	}
	for _, u := range utf16.Encode([]rune(text)) {
		if bigEndian {
			b = append(b, byte(u>>8), byte(u))
		} else {
			b = append(b, byte(u), byte(u>>8))
		}
	}
	return string(b)
}
