package yamlpos

import (
	"fmt"
	"math"
	"regexp"
	"strings"

	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/token"

	"github.com/stixcel/stixcel/diag"
)

// MaxDepth bounds the nesting Decoder.Value decodes, so hostile input cannot exhaust the
// stack.
const MaxDepth = 64

// Decoder reads the AST of one YAML file into Go values, collecting positioned diagnostics
// in Diags: each reader names what it reads ("channel c1 when", "params.Tolerance") and, on
// a value of the wrong shape, reports it at the value (or at its key when the value is
// missing) and returns false. Anchors are read through; aliases, tags and merge keys are
// reported, since a file that uses them says something its reader would not see. Packs,
// profiles, source profiles, the taxonomy and the project file decode through it.
type Decoder struct {
	File  string
	Src   *Text
	Diags diag.Diagnostics
}

// NewDecoder returns a decoder for data, named file in positions.
func NewDecoder(file string, data []byte) *Decoder {
	return &Decoder{File: file, Src: NewText(data)}
}

// Pos returns where a node starts (see NodePos); for a missing value, just after its colon
// or dash rather than past the end of the line.
func (d *Decoder) Pos(n ast.Node) diag.Pos {
	p := NodePos(d.File, n)
	if n = StartNode(n); n != nil && isImplicitNull(n.GetToken()) {
		p.Col = min(p.Col, len([]rune(d.Src.LineText(p.Line)))+1)
	}
	return p
}

func isImplicitNull(tk *token.Token) bool {
	return tk != nil && tk.Type == token.ImplicitNullType
}

// Errorf reports an error with code at n.
func (d *Decoder) Errorf(n ast.Node, code, format string, args ...any) {
	d.Diags.Errorf(d.Pos(n), code, format, args...)
}

// Document parses data and returns the body of its single document: nil with no diagnostic
// when the file holds nothing but comments, nil with a diagnostic when the YAML is invalid;
// further documents are reported.
func (d *Decoder) Document(data []byte) ast.Node {
	body, extra, err := Document(data)
	if err != nil {
		d.SyntaxError(err)
		return nil
	}
	d.Diags = append(d.Diags, ExtraDocuments(d.File, extra)...)
	return body
}

var duplicateKeyMessage = regexp.MustCompile(`^mapping key "(.*)" already defined at \[(\d+):(\d+)\]$`)

// SyntaxError reports an error of Parse or Document as one positioned, one-line diagnostic:
// a duplicate key names where the key first stands, a tab in the indentation says to indent
// with spaces.
func (d *Decoder) SyntaxError(err error) {
	pos, msg := SyntaxError(d.File, err)
	msg = strings.Join(strings.Fields(strings.ReplaceAll(msg, "\t", `\t`)), " ")
	if m := duplicateKeyMessage.FindStringSubmatch(msg); m != nil {
		d.Diags.Errorf(pos, diag.CodeDuplicateKey, "duplicate key %q (first at %s:%s:%s)", m[1], d.File, m[2], m[3])
		return
	}
	if strings.HasPrefix(d.Src.LineText(pos.Line), "\t") || strings.Contains(msg, `'\t'`) {
		msg += " (indent YAML with spaces, not tabs)"
	}
	d.Diags.Errorf(pos, diag.CodeYAMLSyntax, "invalid YAML: %s", msg)
}

// Unwrap reads through anchors and reports what the formats do not allow: aliases and tags.
// It returns nil after reporting.
func (d *Decoder) Unwrap(n ast.Node, what string) ast.Node {
	for {
		switch v := n.(type) {
		case *ast.AnchorNode:
			n = v.Value
		case *ast.AliasNode:
			d.Errorf(n, diag.CodeBadShape, "%s: YAML aliases are not supported; write the value out", what)
			return nil
		case *ast.TagNode:
			d.Errorf(n, diag.CodeBadShape, "%s: YAML tags are not supported; quote a value to make it a string", what)
			return nil
		default:
			return n
		}
	}
}

// Entry is one key: value pair of a mapping.
type Entry struct {
	Key   String
	Node  ast.Node // the key node, for positions
	Value ast.Node
}

// ValuePos is where e's value starts; its key's position when the value is missing.
func (d *Decoder) ValuePos(e Entry) diag.Pos {
	if e.Value == nil {
		return e.Key.Pos
	}
	return d.Pos(e.Value)
}

// Map returns the entries of a mapping node in file order; what names the value in
// messages. It reports false (after a diagnostic) when n is not a mapping; keys that are not
// scalars are reported and left out.
func (d *Decoder) Map(n ast.Node, what string) ([]Entry, bool) {
	v := d.Unwrap(n, what)
	if v == nil {
		return nil, false
	}
	values, ok := MappingValues(v)
	if !ok {
		d.Errorf(n, diag.CodeBadShape, "%s must be a mapping, not %s", what, Kind(v))
		return nil, false
	}
	entries := make([]Entry, 0, len(values))
	for _, mv := range values {
		key, ok := d.key(mv.Key, what)
		if !ok {
			continue
		}
		entries = append(entries, Entry{Key: key, Node: mv.Key, Value: mv.Value})
	}
	return entries, true
}

// key reads a mapping key, which must be a scalar.
func (d *Decoder) key(n ast.MapKeyNode, what string) (String, bool) {
	var node ast.Node = n
	if mk, ok := n.(*ast.MappingKeyNode); ok {
		node = mk.Value
	}
	if _, ok := node.(*ast.MergeKeyNode); ok {
		d.Errorf(node, diag.CodeBadShape, "%s: YAML merge keys (<<) are not supported", what)
		return String{}, false
	}
	node = d.Unwrap(node, what)
	if node == nil {
		return String{}, false
	}
	s, ok := d.Src.Scalar(d.File, node)
	if !ok || IsNull(node) {
		d.Errorf(node, diag.CodeBadShape, "%s: a key must be a name, not %s", what, Kind(node))
		return String{}, false
	}
	return s, true
}

// Field is one key a mapping may hold and how to decode its value.
type Field struct {
	Name   string
	Decode func(e Entry)
}

// Fields decodes a mapping's entries by key, reporting unknown keys (with the closest known
// key as a suggestion: see UnknownKey) and, afterwards, the required keys that were missing.
// It returns the keys seen, and false when n is not a mapping.
func (d *Decoder) Fields(n ast.Node, what string, fs []Field, required ...string) (map[string]bool, bool) {
	entries, ok := d.Map(n, what)
	if !ok {
		return nil, false
	}
	seen := map[string]bool{}
	names := make([]string, len(fs))
	for i, f := range fs {
		names[i] = f.Name
	}
	for _, e := range entries {
		f := findField(fs, e.Key.Value)
		if f == nil {
			d.UnknownKey(e.Key, what, names)
			continue
		}
		seen[f.Name] = true
		f.Decode(e)
	}
	for _, name := range required {
		if !seen[name] {
			d.Errorf(n, diag.CodeMissingKey, "%s has no %q key", what, name)
		}
	}
	return seen, true
}

func findField(fs []Field, name string) *Field {
	for i := range fs {
		if fs[i].Name == name {
			return &fs[i]
		}
	}
	return nil
}

// UnknownKey reports key, unknown in what, at the key: `unknown key "grop_by" in binding;
// did you mean "group_by"?` when a known key is close enough to be a typo, the known keys
// otherwise.
func (d *Decoder) UnknownKey(key String, what string, known []string) {
	msg := fmt.Sprintf("unknown key %q in %s", key.Value, what)
	if s := Suggest(key.Value, known); s != "" {
		msg += fmt.Sprintf("; did you mean %q?", s)
	} else {
		msg += fmt.Sprintf(" (want one of %s)", strings.Join(known, ", "))
	}
	d.Diags.Errorf(key.Pos, diag.CodeUnknownKey, "%s", msg)
}

// Suggest returns the known name closest to name (ignoring case), if it is close enough to
// be a typo: at most a third of its letters apart, and at least one.
func Suggest(name string, known []string) string {
	best, bestDist := "", 0
	for _, k := range known {
		dist := editDistance(strings.ToLower(name), strings.ToLower(k))
		if dist <= max(1, len(k)/3) && (best == "" || dist < bestDist) {
			best, bestDist = k, dist
		}
	}
	return best
}

// editDistance is the optimal string alignment distance between a and b, in runes:
// Levenshtein's, with a swap of two neighbours ("feild") counting as one edit.
func editDistance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	rows := [3][]int{make([]int, len(rb)+1), make([]int, len(rb)+1), make([]int, len(rb)+1)}
	for j := range rows[1] {
		rows[1][j] = j
	}
	for i := 1; i <= len(ra); i++ {
		pp, prev, cur := rows[0], rows[1], rows[2]
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && ra[i-1] == rb[j-2] && ra[i-2] == rb[j-1] {
				cur[j] = min(cur[j], pp[j-2]+1)
			}
		}
		rows[0], rows[1], rows[2] = prev, cur, pp
	}
	return rows[1][len(rb)]
}

// Str reads a value that must be text: a string, or a number or boolean taken as written.
func (d *Decoder) Str(n ast.Node, what string) (String, bool) {
	node := d.Unwrap(n, what)
	if node == nil {
		return String{}, false
	}
	if IsNull(node) {
		d.Errorf(n, diag.CodeBadShape, "%s needs a value", what)
		return String{}, false
	}
	s, ok := d.Src.Scalar(d.File, node)
	if !ok {
		d.Errorf(n, diag.CodeBadShape, "%s must be a string, not %s", what, Kind(node))
		return String{}, false
	}
	return s, true
}

// NonEmpty reads a string that must not be blank.
func (d *Decoder) NonEmpty(n ast.Node, what string) (String, bool) {
	s, ok := d.Str(n, what)
	if ok && strings.TrimSpace(s.Value) == "" {
		d.Errorf(n, diag.CodeBadValue, "%s is empty", what)
		return s, false
	}
	return s, ok
}

// Bool reads true or false.
func (d *Decoder) Bool(n ast.Node, what string) (bool, bool) {
	node := d.Unwrap(n, what)
	if node == nil {
		return false, false
	}
	b, ok := node.(*ast.BoolNode)
	if !ok {
		d.Errorf(n, diag.CodeBadShape, "%s must be true or false, not %s", what, Kind(node))
		return false, false
	}
	return b.Value, true
}

// List returns the items of a sequence node; null is an empty list.
func (d *Decoder) List(n ast.Node, what string) ([]ast.Node, bool) {
	switch v := d.Unwrap(n, what).(type) {
	case nil:
		return nil, n == nil
	case *ast.NullNode:
		return nil, true
	case *ast.SequenceNode:
		return v.Values, true
	default:
		d.Errorf(n, diag.CodeBadShape, "%s must be a list, not %s", what, Kind(v))
		return nil, false
	}
}

// StrList reads a list of non-empty strings; null is an empty list.
func (d *Decoder) StrList(n ast.Node, what string) []String {
	items, _ := d.List(n, what)
	var out []String
	for i, item := range items {
		if s, ok := d.NonEmpty(item, fmt.Sprintf("%s[%d]", what, i)); ok {
			out = append(out, s)
		}
	}
	return out
}

// Value decodes any YAML value to plain Go values: string, int64 or uint64, float64, bool,
// nil, []any and map[string]any, with YAML's meaning of plain scalars (10m is a string, 443
// an int); depth is the nesting so far (0 at the caller), bounded by MaxDepth.
func (d *Decoder) Value(n ast.Node, what string, depth int) (any, bool) {
	if depth > MaxDepth {
		d.Errorf(n, diag.CodeBadShape, "%s: nested deeper than %d levels", what, MaxDepth)
		return nil, false
	}
	node := d.Unwrap(n, what)
	switch v := node.(type) {
	case nil:
		return nil, n == nil
	case *ast.NullNode:
		return nil, true
	case *ast.StringNode:
		return v.Value, true
	case *ast.LiteralNode:
		if v.Value == nil {
			return "", true
		}
		return v.Value.Value, true
	case *ast.IntegerNode:
		return normalizeInt(v.Value), true
	case *ast.FloatNode:
		return v.Value, true
	case *ast.InfinityNode:
		return v.Value, true
	case *ast.NanNode:
		return math.NaN(), true
	case *ast.BoolNode:
		return v.Value, true
	case *ast.SequenceNode:
		return d.listValue(v, what, depth)
	case *ast.MappingNode, *ast.MappingValueNode:
		return d.mapValue(node, what, depth)
	}
	d.Errorf(n, diag.CodeBadShape, "%s: unsupported YAML node %s", what, node.Type())
	return nil, false
}

func (d *Decoder) listValue(v *ast.SequenceNode, what string, depth int) (any, bool) {
	out := make([]any, 0, len(v.Values))
	ok := true
	for i, item := range v.Values {
		x, itemOK := d.Value(item, fmt.Sprintf("%s[%d]", what, i), depth+1)
		ok = ok && itemOK
		out = append(out, x)
	}
	return out, ok
}

func (d *Decoder) mapValue(n ast.Node, what string, depth int) (any, bool) {
	entries, ok := d.Map(n, what)
	out := make(map[string]any, len(entries))
	for _, e := range entries {
		x, valueOK := d.Value(e.Value, what+"."+e.Key.Value, depth+1)
		ok = ok && valueOK
		out[e.Key.Value] = x
	}
	return out, ok
}

// normalizeInt returns YAML integers as int64, or uint64 when above math.MaxInt64 (the scanner
// gives uint64 for every non-negative integer).
func normalizeInt(v any) any {
	if u, ok := v.(uint64); ok && u <= math.MaxInt64 {
		return int64(u)
	}
	return v
}
