package source

import (
	"fmt"

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
	lift        []yamlpos.String // CEL expressions giving objects whose members become fields
	liftValues  liftMode
	shapes      []fieldSpec // the raw shapes the profile recognises: a name and one CEL bool each
}

// fieldSpec is one output field and its alternatives, in order.
type fieldSpec struct {
	name  string
	pos   diag.Pos
	exprs []yamlpos.String // CEL expressions, each placing its characters in the file
}

// decoder reads a profile's YAML through the shared positioned decoder.
type decoder struct{ *yamlpos.Decoder }

func decode(file string, data []byte) (*spec, diag.Diagnostics) {
	d := &decoder{yamlpos.NewDecoder(file, data)}
	body := d.Document(data)
	if body == nil {
		if len(d.Diags) == 0 {
			d.Diags.Errorf(diag.Pos{File: file, Line: 1, Col: 1}, diag.CodeMissingKey, "the profile is empty; want name and fields")
		}
		return nil, d.Diags
	}
	s := d.profile(body)
	return s, d.Diags
}

func (d *decoder) profile(body ast.Node) *spec {
	s := &spec{}
	seen, ok := d.Fields(body, "the profile", []yamlpos.Field{
		{Name: "name", Decode: func(e yamlpos.Entry) { s.name = d.text(e.Value, "name") }},
		{Name: "description", Decode: func(e yamlpos.Entry) { s.description = d.text(e.Value, "description") }},
		{Name: "maps", Decode: func(e yamlpos.Entry) { s.maps = d.maps(e.Value) }},
		{Name: "fields", Decode: func(e yamlpos.Entry) { s.fields = d.fields(e.Value) }},
		{Name: "keep_raw", Decode: func(e yamlpos.Entry) { s.keepRaw, _ = d.Bool(e.Value, "keep_raw") }},
		{Name: "lift", Decode: func(e yamlpos.Entry) { s.lift = d.exprList(e.Value, "lift") }},
		{Name: "lift_values", Decode: func(e yamlpos.Entry) { s.liftValues = d.liftMode(e.Value) }},
		{Name: "shapes", Decode: func(e yamlpos.Entry) { s.shapes = d.shapes(e.Value) }},
	})
	if !ok {
		return nil
	}
	for _, k := range []string{"name", "fields"} {
		if !seen[k] {
			d.Errorf(body, diag.CodeMissingKey, "the profile has no %s", k)
		}
	}
	return s
}

func (d *decoder) text(n ast.Node, what string) string {
	v, _ := d.NonEmpty(n, what)
	return v.Value
}

func (d *decoder) maps(n ast.Node) map[string]map[string]string {
	tables, ok := d.Map(n, "maps")
	if !ok {
		return nil
	}
	out := make(map[string]map[string]string, len(tables))
	for _, t := range tables {
		what := "maps." + t.Key.Value
		rows, ok := d.Map(t.Value, what)
		if !ok {
			continue
		}
		table := make(map[string]string, len(rows))
		for _, r := range rows {
			if v, ok := d.Str(r.Value, fmt.Sprintf("%s[%q]", what, r.Key.Value)); ok {
				table[r.Key.Value] = v.Value
			}
		}
		out[t.Key.Value] = table
	}
	return out
}

func (d *decoder) fields(n ast.Node) []fieldSpec {
	entries, ok := d.Map(n, "fields")
	if !ok {
		return nil
	}
	out := make([]fieldSpec, 0, len(entries))
	for _, f := range entries {
		fs := fieldSpec{name: f.Key.Value, pos: f.Key.Pos}
		nodes := []ast.Node{f.Value}
		if seq, ok := d.Unwrap(f.Value, "field "+f.Key.Value).(*ast.SequenceNode); ok {
			nodes = seq.Values
		}
		for _, n := range nodes {
			if x, ok := d.expr(n, f, "field "+f.Key.Value); ok {
				fs.exprs = append(fs.exprs, x)
			}
		}
		if len(nodes) == 0 {
			d.Errorf(f.Node, diag.CodeBadShape, "field %s: the list of alternatives is empty", f.Key.Value)
		}
		out = append(out, fs)
	}
	return out
}

// expr reads one CEL expression scalar of entry f (what, in messages); a missing one is
// reported at the entry's name.
func (d *decoder) expr(n ast.Node, f yamlpos.Entry, what string) (yamlpos.String, bool) {
	if yamlpos.IsNull(n) {
		d.Diags.Errorf(f.Key.Pos, diag.CodeBadShape, "%s: want a CEL expression, not null", what)
		return yamlpos.String{}, false
	}
	x, ok := d.NonEmpty(n, what)
	return x, ok
}

// exprList reads a list of CEL expressions (what), each a non-empty string.
func (d *decoder) exprList(n ast.Node, what string) []yamlpos.String {
	nodes, ok := d.List(n, what)
	if !ok {
		return nil
	}
	if len(nodes) == 0 {
		d.Errorf(n, diag.CodeBadShape, "%s: the list is empty; want CEL expressions", what)
	}
	out := make([]yamlpos.String, 0, len(nodes))
	for i, x := range nodes {
		item := fmt.Sprintf("%s[%d]", what, i)
		if yamlpos.IsNull(x) {
			d.Errorf(x, diag.CodeBadShape, "%s: want a CEL expression, not null", item)
			continue
		}
		if v, ok := d.NonEmpty(x, item); ok {
			out = append(out, v)
		}
	}
	return out
}

// liftMode reads lift_values: json or strings.
func (d *decoder) liftMode(n ast.Node) liftMode {
	v, ok := d.NonEmpty(n, "lift_values")
	if !ok {
		return liftJSON
	}
	switch v.Value {
	case "json":
		return liftJSON
	case "strings":
		return liftStrings
	}
	d.Diags.Errorf(v.Pos, diag.CodeBadValue, "lift_values must be json or strings, not %q", v.Value)
	return liftJSON
}

// shapes reads `shapes`: a name and one CEL expression each.
func (d *decoder) shapes(n ast.Node) []fieldSpec {
	entries, ok := d.Map(n, "shapes")
	if !ok {
		return nil
	}
	out := make([]fieldSpec, 0, len(entries))
	for _, e := range entries {
		fs := fieldSpec{name: e.Key.Value, pos: e.Key.Pos}
		if x, ok := d.expr(e.Value, e, "shape "+e.Key.Value); ok {
			fs.exprs = []yamlpos.String{x}
		}
		out = append(out, fs)
	}
	return out
}
