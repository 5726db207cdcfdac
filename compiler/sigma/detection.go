package sigma

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/goccy/go-yaml/ast"

	"github.com/stixcel/stixcel/compiler/sigma/condition"
	"github.com/stixcel/stixcel/diag"
	"github.com/stixcel/stixcel/internal/yamlpos"
)

// Detection is a rule's detection: its named searches, in file order, and its condition.
type Detection struct {
	Searches []*Search
	// Conditions are the condition's expressions as written, for the condition parser: one
	// for a string, one per item for a list (the items are alternatives, linked with OR).
	Conditions []yamlpos.String
	Pos        diag.Pos
}

// ConditionError is the first error of a detection's condition, at its place in the rule
// file.
type ConditionError struct {
	Pos diag.Pos
	Msg string
}

func (e *ConditionError) Error() string { return fmt.Sprintf("%s: condition: %s", e.Pos, e.Msg) }

// ParseCondition parses the detection's condition over its search names. The condition's
// first error is a *ConditionError at its place in the file; any other error comes back as
// the condition parser gave it.
func (d *Detection) ParseCondition() (condition.Node, error) {
	names := make([]string, len(d.Searches))
	for i, s := range d.Searches {
		names[i] = s.Name.Value
	}
	srcs := make([]string, len(d.Conditions))
	for i, c := range d.Conditions {
		srcs[i] = c.Value
	}
	node, err := condition.ParseList(srcs, names)
	var errs condition.Errors
	if errors.As(err, &errs) && len(errs) > 0 {
		pos := d.Pos
		if e := errs[0]; e.At.Item < len(d.Conditions) {
			pos = d.Conditions[e.At.Item].PosAt(e.At.Line, e.At.Col)
		}
		return nil, &ConditionError{Pos: pos, Msg: errs[0].Msg}
	}
	return node, err
}

// Search looks up a search identifier by name; nil when the detection has none of that name.
func (d *Detection) Search(name string) *Search {
	for _, s := range d.Searches {
		if s.Name.Value == name {
			return s
		}
	}
	return nil
}

// SearchShape is how a search was written.
type SearchShape int

const (
	ShapeMap      SearchShape = iota // a map: the AND of its field matchers
	ShapeMapList                     // a list of maps: the OR of their ANDs
	ShapeKeywords                    // a list of plain values (or one): keywords, OR-ed
)

// Search is one search identifier of a detection. Groups are alternatives (OR), each the
// AND of its matchers: a map is one group, a list of maps one group per map, and a keyword
// list one group holding one matcher with an empty Field.
type Search struct {
	Name   yamlpos.String
	Shape  SearchShape
	Groups [][]*FieldMatcher
}

// FieldMatcher is one `Field|mod1|mod2: value or list` item; Field is empty for keywords
// (a plain list of values, or a `'|all':` key). Values are OR-ed, or AND-ed with `all`.
type FieldMatcher struct {
	Search    string         // the search identifier it belongs to, for messages
	Key       string         // the key as written, "CommandLine|contains|all"
	Field     string         // the field name, "CommandLine"
	Modifiers []Modifier     // in the order written, which is the order they apply in
	Values    []Value        // in file order
	Pos       diag.Pos       // the key's position, or the list's for keywords
	KeyString yamlpos.String // the key, to place any character of it (PosAt)
}

// decodeDetection reads the detection mapping; condition is required. Keys in skip are
// not searches (a filter's `rules`).
func (d *decoder) decodeDetection(n ast.Node, skip ...string) *Detection {
	entries, ok := d.Map(n, "detection")
	if !ok {
		return nil
	}
	det := &Detection{Pos: d.Pos(n)}
	hasCondition := false
	for _, e := range entries {
		if slices.Contains(skip, e.Key.Value) {
			continue
		}
		if e.Key.Value == "condition" {
			hasCondition = true
			det.Conditions = d.decodeCondition(e)
			continue
		}
		if s := d.decodeSearch(e); s != nil {
			det.Searches = append(det.Searches, s)
		}
	}
	if !hasCondition {
		d.Errorf(n, diag.CodeMissingKey, "detection has no \"condition\" key")
	}
	return det
}

// decodeCondition reads a condition: a string, or a list of strings.
func (d *decoder) decodeCondition(e yamlpos.Entry) []yamlpos.String {
	if v := d.Unwrap(e.Value, "condition"); v != nil {
		if _, isList := v.(*ast.SequenceNode); isList {
			return d.StrList(v, "condition")
		}
	}
	if s, ok := d.NonEmpty(e.Value, "condition"); ok {
		return []yamlpos.String{s}
	}
	return nil
}

// decodeSearch reads one search identifier's value: a map, a list of maps, or a list (or
// single) plain value for keywords.
func (d *decoder) decodeSearch(e yamlpos.Entry) *Search {
	what := fmt.Sprintf("search %q", e.Key.Value)
	s := &Search{Name: e.Key}
	switch v := d.Unwrap(e.Value, what).(type) {
	case nil:
		return nil
	case *ast.MappingNode, *ast.MappingValueNode:
		s.Shape = ShapeMap
		s.Groups = [][]*FieldMatcher{d.decodeGroup(v, e.Key.Value, what)}
	case *ast.SequenceNode:
		return d.decodeSearchList(s, v, what)
	case *ast.NullNode:
		d.Diags.Errorf(e.Key.Pos, diag.CodeBadShape, "%s is empty; want a map of fields or a list", what)
		return nil
	default:
		s.Shape = ShapeKeywords
		s.Groups = [][]*FieldMatcher{{d.decodeKeywords(e.Key.Value, []ast.Node{v}, d.Pos(v))}}
	}
	return s
}

// decodeSearchList reads a list that is either all maps or all plain values.
func (d *decoder) decodeSearchList(s *Search, list *ast.SequenceNode, what string) *Search {
	maps := 0
	for _, item := range list.Values {
		if _, ok := yamlpos.MappingValues(d.Unwrap(item, what)); ok {
			maps++
		}
	}
	switch {
	case len(list.Values) == 0:
		d.Errorf(list, diag.CodeBadShape, "%s is an empty list", what)
		return nil
	case maps == 0:
		s.Shape = ShapeKeywords
		s.Groups = [][]*FieldMatcher{{d.decodeKeywords(s.Name.Value, list.Values, d.Pos(list))}}
	case maps == len(list.Values):
		s.Shape = ShapeMapList
		for i, item := range list.Values {
			s.Groups = append(s.Groups, d.decodeGroup(item, s.Name.Value, fmt.Sprintf("%s[%d]", what, i)))
		}
	default:
		d.Errorf(list, diag.CodeBadShape, "%s mixes maps and plain values in one list; put keywords in a search of their own", what)
		return nil
	}
	return s
}

// decodeGroup reads a map of field matchers, ANDed.
func (d *decoder) decodeGroup(n ast.Node, search, what string) []*FieldMatcher {
	entries, _ := d.Map(n, what)
	var group []*FieldMatcher
	for _, e := range entries {
		if m := d.decodeMatcher(search, e); m != nil {
			group = append(group, m)
		}
	}
	return group
}

// decodeMatcher reads `Field|mod1|mod2: value or list`.
func (d *decoder) decodeMatcher(search string, e yamlpos.Entry) *FieldMatcher {
	parts := strings.Split(e.Key.Value, "|")
	m := &FieldMatcher{Search: search, Key: e.Key.Value, Field: parts[0], Pos: e.Key.Pos, KeyString: e.Key}
	offset := len([]rune(parts[0])) + 1
	for _, name := range parts[1:] {
		m.Modifiers = append(m.Modifiers, Modifier{Name: name, Pos: e.Key.PosAt(1, offset+1)})
		offset += len([]rune(name)) + 1
	}
	m.Values = d.decodeValues(e.Value, m.what())
	m.checkModifiers(&d.Diags)
	return m
}

// decodeKeywords reads plain values as one keyword matcher.
func (d *decoder) decodeKeywords(search string, items []ast.Node, pos diag.Pos) *FieldMatcher {
	m := &FieldMatcher{Search: search, Pos: pos}
	for i, item := range items {
		if v, ok := d.decodeValue(item, fmt.Sprintf("%s[%d]", m.what(), i)); ok {
			if v.Kind == KindNull || v.Kind == KindBool {
				d.Errorf(item, diag.CodeBadValue, "%s: a keyword must be a string or number, not %s", m.what(), v.Kind)
				continue
			}
			m.Values = append(m.Values, v)
		}
	}
	return m
}

// decodeValues reads a field's value: one scalar or a list of scalars.
func (d *decoder) decodeValues(n ast.Node, what string) []Value {
	node := d.Unwrap(n, what)
	if node == nil && n != nil {
		return nil
	}
	items := []ast.Node{n}
	if seq, ok := node.(*ast.SequenceNode); ok {
		items = seq.Values
		if len(items) == 0 {
			d.Errorf(n, diag.CodeBadShape, "%s is an empty list", what)
		}
	}
	var out []Value
	for i, item := range items {
		itemWhat := what
		if len(items) > 1 {
			itemWhat = fmt.Sprintf("%s[%d]", what, i)
		}
		if v, ok := d.decodeValue(item, itemWhat); ok {
			out = append(out, v)
		}
	}
	return out
}

// decodeValue reads one scalar: a string, number, boolean or null.
func (d *decoder) decodeValue(n ast.Node, what string) (Value, bool) {
	pos := d.Pos(n)
	switch v := d.Unwrap(n, what).(type) {
	case nil:
		if n == nil {
			return Value{Kind: KindNull, Raw: "null", Pos: pos}, true
		}
		return Value{}, false
	case *ast.NullNode:
		return Value{Kind: KindNull, Raw: "null", Pos: pos}, true
	case *ast.BoolNode:
		return Value{Kind: KindBool, Raw: v.GetToken().Value, Bool: v.Value, Pos: pos}, true
	case *ast.IntegerNode, *ast.FloatNode:
		raw := v.GetToken().Value
		if num, ok := numberValue(raw, pos); ok {
			return num, true
		}
		return stringValue(raw, pos), true
	case *ast.StringNode, *ast.LiteralNode:
		s, _ := d.Src.Scalar(d.File, v)
		return stringValue(s.Value, pos), true
	default:
		d.Errorf(n, diag.CodeBadShape, "%s must be a string, number, boolean or null, not %s", what, yamlpos.Kind(v))
		return Value{}, false
	}
}
