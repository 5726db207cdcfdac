package source

import (
	"errors"
	"strings"

	"github.com/goccy/go-yaml/ast"

	"github.com/stixcel/stixcel/diag"
	"github.com/stixcel/stixcel/internal/yamlpos"
)

// spec is a profile as written, before its CEL is compiled.
type spec struct {
	name        string
	description string
	keepRaw     bool
	maps        map[string]map[string]string
	fields      []fieldSpec
}

// fieldSpec is one output field and its alternatives, in order.
type fieldSpec struct {
	name  string
	pos   diag.Pos
	exprs []yamlpos.String // CEL expressions, each placing its characters in the file
}

// decoder reads a profile's YAML, collecting positioned diagnostics.
type decoder struct {
	file  string
	src   *yamlpos.Text
	diags diag.Diagnostics
}

func decode(file string, data []byte) (*spec, diag.Diagnostics) {
	d := &decoder{file: file, src: yamlpos.NewText(data)}
	body := d.document(data)
	if body == nil {
		if len(d.diags) == 0 {
			d.diags.Errorf(diag.Pos{File: file, Line: 1, Col: 1}, diag.CodeMissingKey, "the profile is empty; want name and fields")
		}
		return nil, d.diags
	}
	s := d.profile(body)
	return s, d.diags
}

// document parses data and returns the body of its single document.
func (d *decoder) document(data []byte) ast.Node {
	body, extra, err := yamlpos.Document(data)
	if err != nil {
		d.syntaxError(err)
		return nil
	}
	d.diags = append(d.diags, yamlpos.ExtraDocuments(d.file, extra)...)
	return body
}

func (d *decoder) syntaxError(err error) {
	var perr *yamlpos.PanicError
	if errors.As(err, &perr) { // worded as before the parser was shared
		d.diags.Errorf(diag.Pos{File: d.file, Line: 1, Col: 1}, diag.CodeYAMLSyntax, "%v", perr)
		return
	}
	pos, msg := yamlpos.SyntaxError(d.file, err)
	code := diag.CodeYAMLSyntax
	if strings.Contains(msg, "already defined") {
		code = diag.CodeDuplicateKey
	}
	d.diags.Errorf(pos, code, "invalid YAML: %s", strings.Join(strings.Fields(msg), " "))
}

func (d *decoder) pos(n ast.Node) diag.Pos { return yamlpos.NodePos(d.file, n) }

func (d *decoder) errorf(n ast.Node, code, format string, args ...any) {
	d.diags.Errorf(d.pos(n), code, format, args...)
}

// entry is one key: value pair of a mapping.
type entry struct {
	key   string
	node  ast.Node // the key, for positions
	value ast.Node
}

// mapping returns the entries of a mapping in file order; what names it in messages.
func (d *decoder) mapping(n ast.Node, what string) ([]entry, bool) {
	values, ok := yamlpos.MappingValues(n)
	if !ok {
		d.errorf(n, diag.CodeBadShape, "%s must be a mapping, not %s", what, kind(n))
		return nil, false
	}
	out := make([]entry, 0, len(values))
	for _, mv := range values {
		key, ok := scalar(mv.Key)
		if !ok {
			d.errorf(mv.Key, diag.CodeBadShape, "%s: a key must be a name, not %s", what, kind(mv.Key))
			continue
		}
		out = append(out, entry{key: key, node: mv.Key, value: mv.Value})
	}
	return out, true
}

// scalar reads a scalar as text: strings as decoded, numbers and booleans as written.
func scalar(n ast.Node) (string, bool) {
	switch v := n.(type) {
	case *ast.MappingKeyNode:
		return scalar(v.Value)
	case *ast.StringNode:
		return v.Value, true
	case *ast.LiteralNode:
		if v.Value == nil {
			return "", false
		}
		return v.Value.Value, true
	case *ast.IntegerNode, *ast.FloatNode, *ast.BoolNode, *ast.InfinityNode, *ast.NanNode:
		if tk := n.GetToken(); tk != nil {
			return tk.Value, true
		}
	}
	return "", false
}

// kind names a node's shape for messages, saying that profiles do not support anchors,
// aliases and tags.
func kind(n ast.Node) string {
	switch n.(type) {
	case *ast.AliasNode, *ast.AnchorNode:
		return "an anchor or alias (not supported)"
	case *ast.TagNode:
		return "a tagged value (not supported)"
	}
	return yamlpos.Kind(n)
}

var profileKeys = []string{"name", "description", "maps", "fields", "keep_raw"}

func (d *decoder) profile(body ast.Node) *spec {
	entries, ok := d.mapping(body, "the profile")
	if !ok {
		return nil
	}
	s := &spec{}
	seen := map[string]bool{}
	for _, e := range entries {
		seen[e.key] = true
		switch e.key {
		case "name":
			s.name = d.text(e, "name")
		case "description":
			s.description = d.text(e, "description")
		case "keep_raw":
			s.keepRaw = d.boolean(e)
		case "maps":
			s.maps = d.maps(e)
		case "fields":
			s.fields = d.fields(e)
		default:
			d.errorf(e.node, diag.CodeUnknownKey, "unknown key %q in the profile; want one of %s", e.key, strings.Join(profileKeys, ", "))
		}
	}
	for _, k := range []string{"name", "fields"} {
		if !seen[k] {
			d.errorf(body, diag.CodeMissingKey, "the profile has no %s", k)
		}
	}
	return s
}

func (d *decoder) text(e entry, what string) string {
	v, ok := scalar(e.value)
	if !ok || strings.TrimSpace(v) == "" {
		d.errorf(valueOr(e), diag.CodeBadShape, "%s must be a non-empty string, not %s", what, kind(e.value))
	}
	return v
}

func (d *decoder) boolean(e entry) bool {
	b, ok := e.value.(*ast.BoolNode)
	if !ok {
		d.errorf(valueOr(e), diag.CodeBadShape, "keep_raw must be true or false, not %s", kind(e.value))
		return false
	}
	return b.Value
}

// valueOr is the entry's value for positions, or its key when the value is missing.
func valueOr(e entry) ast.Node {
	if yamlpos.IsNull(e.value) {
		return e.node
	}
	return e.value
}

func (d *decoder) maps(e entry) map[string]map[string]string {
	tables, ok := d.mapping(e.value, "maps")
	if !ok {
		return nil
	}
	out := make(map[string]map[string]string, len(tables))
	for _, t := range tables {
		what := "maps." + t.key
		rows, ok := d.mapping(t.value, what)
		if !ok {
			continue
		}
		table := make(map[string]string, len(rows))
		for _, r := range rows {
			v, ok := scalar(r.value)
			if !ok {
				d.errorf(valueOr(r), diag.CodeBadShape, "%s[%q] must be a string, not %s", what, r.key, kind(r.value))
				continue
			}
			table[r.key] = v
		}
		out[t.key] = table
	}
	return out
}

func (d *decoder) fields(e entry) []fieldSpec {
	entries, ok := d.mapping(e.value, "fields")
	if !ok {
		return nil
	}
	out := make([]fieldSpec, 0, len(entries))
	for _, f := range entries {
		fs := fieldSpec{name: f.key, pos: d.pos(f.node)}
		var nodes []ast.Node
		if seq, ok := f.value.(*ast.SequenceNode); ok {
			nodes = seq.Values
		} else {
			nodes = []ast.Node{f.value}
		}
		for _, n := range nodes {
			if x, ok := d.expr(n, f); ok {
				fs.exprs = append(fs.exprs, x)
			}
		}
		if len(nodes) == 0 {
			d.errorf(f.node, diag.CodeBadShape, "field %s: the list of alternatives is empty", f.key)
		}
		out = append(out, fs)
	}
	return out
}

// expr reads one CEL expression scalar.
func (d *decoder) expr(n ast.Node, f entry) (yamlpos.String, bool) {
	x, ok := d.src.Scalar(d.file, n)
	if !ok || yamlpos.IsNull(n) || strings.TrimSpace(x.Value) == "" {
		at := n
		if yamlpos.IsNull(n) {
			at = f.node
		}
		d.errorf(at, diag.CodeBadShape, "field %s: want a CEL expression, not %s", f.key, kind(n))
		return yamlpos.String{}, false
	}
	return x, true
}
