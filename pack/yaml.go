package pack

import (
	"fmt"
	"math"
	"regexp"
	"strings"

	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/token"

	"github.com/stixcel/stixcel/diag"
	"github.com/stixcel/stixcel/internal/yamlpos"
)

// maxDepth bounds the nesting of decoded values, so hostile input cannot exhaust the stack.
const maxDepth = 64

// decoder turns goccy AST nodes into Go values, collecting positioned diagnostics.
type decoder struct {
	file  string
	src   *yamlpos.Text
	diags diag.Diagnostics
}

func newDecoder(file string, data []byte) *decoder {
	return &decoder{file: file, src: yamlpos.NewText(data)}
}

// pos returns where a node starts: its token, or its first key for a block mapping (whose
// token is the first colon); 1:1 when the node has no position.
func (d *decoder) pos(n ast.Node) diag.Pos {
	p := yamlpos.NodePos(d.file, n)
	if n = yamlpos.StartNode(n); n != nil && isImplicitNull(n.GetToken()) {
		// A missing value: point just after the colon or dash, not past the end of the line.
		p.Col = min(p.Col, len([]rune(d.src.LineText(p.Line)))+1)
	}
	return p
}

func isImplicitNull(tk *token.Token) bool {
	return tk != nil && tk.Type == token.ImplicitNullType
}

func (d *decoder) errorf(n ast.Node, code, format string, args ...any) {
	d.diags.Errorf(d.pos(n), code, format, args...)
}

// parseDocument parses data and returns the body of its single document: nil with no
// diagnostic when the file holds nothing but comments, nil with a diagnostic when the YAML is
// invalid or holds several documents.
func (d *decoder) parseDocument(data []byte) ast.Node {
	body, extra, err := yamlpos.Document(data)
	if err != nil {
		d.syntaxError(err)
		return nil
	}
	d.diags = append(d.diags, yamlpos.ExtraDocuments(d.file, extra)...)
	return body
}

var duplicateKeyMessage = regexp.MustCompile(`^mapping key "(.*)" already defined at \[(\d+):(\d+)\]$`)

// syntaxError reports a goccy error as one positioned, one-line diagnostic.
func (d *decoder) syntaxError(err error) {
	pos, msg := yamlpos.SyntaxError(d.file, err)
	msg = strings.Join(strings.Fields(strings.ReplaceAll(msg, "\t", `\t`)), " ")
	if m := duplicateKeyMessage.FindStringSubmatch(msg); m != nil {
		d.diags.Errorf(pos, diag.CodeDuplicateKey, "duplicate key %q (first at %s:%s:%s)", m[1], d.file, m[2], m[3])
		return
	}
	if strings.HasPrefix(d.src.LineText(pos.Line), "\t") || strings.Contains(msg, `'\t'`) {
		msg += " (indent YAML with spaces, not tabs)"
	}
	d.diags.Errorf(pos, diag.CodeYAMLSyntax, "invalid YAML: %s", msg)
}

// unwrap strips anchors and reports what the pack format does not allow: aliases and tags.
// It returns nil after reporting.
func (d *decoder) unwrap(n ast.Node, what string) ast.Node {
	for {
		switch v := n.(type) {
		case *ast.AnchorNode:
			n = v.Value
		case *ast.AliasNode:
			d.errorf(n, diag.CodeBadShape, "%s: YAML aliases are not supported; write the value out", what)
			return nil
		case *ast.TagNode:
			d.errorf(n, diag.CodeBadShape, "%s: YAML tags are not supported; quote a value to make it a string", what)
			return nil
		default:
			return n
		}
	}
}

// isNull reports whether n is absent or YAML null.
func isNull(n ast.Node) bool { return yamlpos.IsNull(n) }

// kind names a node's shape for messages.
func kind(n ast.Node) string { return yamlpos.Kind(n) }

// entry is one key: value pair of a mapping.
type entry struct {
	Key   String
	Node  ast.Node // the key node, for positions
	Value ast.Node
}

// mapping returns the entries of a mapping node in file order; what names the value in
// messages. It reports false (after a diagnostic) when n is not a mapping.
func (d *decoder) mapping(n ast.Node, what string) ([]entry, bool) {
	v := d.unwrap(n, what)
	if v == nil {
		return nil, false
	}
	values, ok := yamlpos.MappingValues(v)
	if !ok {
		d.errorf(n, diag.CodeBadShape, "%s must be a mapping, not %s", what, kind(v))
		return nil, false
	}
	entries := make([]entry, 0, len(values))
	for _, mv := range values {
		key, ok := d.key(mv.Key, what)
		if !ok {
			continue
		}
		entries = append(entries, entry{Key: key, Node: mv.Key, Value: mv.Value})
	}
	return entries, true
}

// key reads a mapping key, which must be a scalar.
func (d *decoder) key(n ast.MapKeyNode, what string) (String, bool) {
	var node ast.Node = n
	if mk, ok := n.(*ast.MappingKeyNode); ok {
		node = mk.Value
	}
	if _, ok := node.(*ast.MergeKeyNode); ok {
		d.errorf(node, diag.CodeBadShape, "%s: YAML merge keys (<<) are not supported", what)
		return String{}, false
	}
	node = d.unwrap(node, what)
	if node == nil {
		return String{}, false
	}
	s, ok := d.src.Scalar(d.file, node)
	if !ok || isNull(node) {
		d.errorf(node, diag.CodeBadShape, "%s: a key must be a name, not %s", what, kind(node))
		return String{}, false
	}
	return s, true
}

// str reads a value that must be text: a string, or a number or boolean taken as written.
func (d *decoder) str(n ast.Node, what string) (String, bool) {
	node := d.unwrap(n, what)
	if node == nil {
		return String{}, false
	}
	if isNull(node) {
		d.errorf(n, diag.CodeBadShape, "%s needs a value", what)
		return String{}, false
	}
	s, ok := d.src.Scalar(d.file, node)
	if !ok {
		d.errorf(n, diag.CodeBadShape, "%s must be a string, not %s", what, kind(node))
		return String{}, false
	}
	return s, true
}

// nonEmpty reads a string that must not be blank.
func (d *decoder) nonEmpty(n ast.Node, what string) (String, bool) {
	s, ok := d.str(n, what)
	if ok && strings.TrimSpace(s.Value) == "" {
		d.errorf(n, diag.CodeBadValue, "%s is empty", what)
		return s, false
	}
	return s, ok
}

// list returns the items of a sequence node; null is an empty list.
func (d *decoder) list(n ast.Node, what string) ([]ast.Node, bool) {
	switch v := d.unwrap(n, what).(type) {
	case nil:
		return nil, n == nil
	case *ast.NullNode:
		return nil, true
	case *ast.SequenceNode:
		return v.Values, true
	default:
		d.errorf(n, diag.CodeBadShape, "%s must be a list, not %s", what, kind(v))
		return nil, false
	}
}

// strList reads a list of non-empty strings.
func (d *decoder) strList(n ast.Node, what string) []String {
	items, _ := d.list(n, what)
	var out []String
	for i, item := range items {
		if s, ok := d.nonEmpty(item, fmt.Sprintf("%s[%d]", what, i)); ok {
			out = append(out, s)
		}
	}
	return out
}

// value decodes any YAML value to plain Go values: string, int64 or uint64, float64, bool,
// nil, []any and map[string]any, with YAML's meaning of plain scalars (10m is a string, 443
// an int).
func (d *decoder) value(n ast.Node, what string, depth int) (any, bool) {
	if depth > maxDepth {
		d.errorf(n, diag.CodeBadShape, "%s: nested deeper than %d levels", what, maxDepth)
		return nil, false
	}
	node := d.unwrap(n, what)
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
	d.errorf(n, diag.CodeBadShape, "%s: unsupported YAML node %s", what, node.Type())
	return nil, false
}

func (d *decoder) listValue(v *ast.SequenceNode, what string, depth int) (any, bool) {
	out := make([]any, 0, len(v.Values))
	ok := true
	for i, item := range v.Values {
		x, itemOK := d.value(item, fmt.Sprintf("%s[%d]", what, i), depth+1)
		ok = ok && itemOK
		out = append(out, x)
	}
	return out, ok
}

func (d *decoder) mapValue(n ast.Node, what string, depth int) (any, bool) {
	entries, ok := d.mapping(n, what)
	out := make(map[string]any, len(entries))
	for _, e := range entries {
		x, valueOK := d.value(e.Value, what+"."+e.Key.Value, depth+1)
		ok = ok && valueOK
		out[e.Key.Value] = x
	}
	return out, ok
}

// field is one key a mapping may hold and how to decode its value.
type field struct {
	name   string
	decode func(e entry)
}

// fields decodes a mapping's entries by key, reporting unknown keys (with the closest known
// key as a suggestion) and, afterwards, the required keys that were missing. It returns the
// keys seen, and false when n is not a mapping.
func (d *decoder) fields(n ast.Node, what string, fs []field, required ...string) (map[string]bool, bool) {
	entries, ok := d.mapping(n, what)
	if !ok {
		return nil, false
	}
	seen := map[string]bool{}
	names := make([]string, len(fs))
	for i, f := range fs {
		names[i] = f.name
	}
	for _, e := range entries {
		f := findField(fs, e.Key.Value)
		if f == nil {
			d.unknownKey(e, what, names)
			continue
		}
		seen[f.name] = true
		f.decode(e)
	}
	for _, name := range required {
		if !seen[name] {
			d.errorf(n, diag.CodeMissingKey, "%s has no %q key", what, name)
		}
	}
	return seen, true
}

func findField(fs []field, name string) *field {
	for i := range fs {
		if fs[i].name == name {
			return &fs[i]
		}
	}
	return nil
}

func (d *decoder) unknownKey(e entry, what string, known []string) {
	msg := fmt.Sprintf("unknown key %q in %s", e.Key.Value, what)
	if s := suggest(e.Key.Value, known); s != "" {
		msg += fmt.Sprintf("; did you mean %q?", s)
	} else {
		msg += fmt.Sprintf(" (want one of %s)", strings.Join(known, ", "))
	}
	d.diags.Errorf(e.Key.Pos, diag.CodeUnknownKey, "%s", msg)
}

// suggest returns the known name closest to name, if it is close enough to be a typo.
func suggest(name string, known []string) string {
	best, bestDist := "", 0
	for _, k := range known {
		dist := editDistance(strings.ToLower(name), strings.ToLower(k))
		if dist <= max(1, len(k)/3) && (best == "" || dist < bestDist) {
			best, bestDist = k, dist
		}
	}
	return best
}

// editDistance is the Levenshtein distance between a and b, in runes.
func editDistance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(rb)]
}

// normalizeInt returns YAML integers as int64, or uint64 when above math.MaxInt64 (the scanner
// gives uint64 for every non-negative integer).
func normalizeInt(v any) any {
	if u, ok := v.(uint64); ok && u <= math.MaxInt64 {
		return int64(u)
	}
	return v
}
