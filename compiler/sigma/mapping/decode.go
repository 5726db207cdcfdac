package mapping

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/goccy/go-yaml/ast"

	"github.com/stixcel/stixcel/diag"
	"github.com/stixcel/stixcel/internal/yamlpos"
)

// Parse decodes a mapping file (the format mapping.yaml describes), named file in positions.
// Every problem is a positioned diagnostic: unknown keys with the closest known one, values
// of the wrong shape, an entry without targets, a target without a log source. The mapping
// holds what could be read.
func Parse(file string, data []byte) (*Mapping, diag.Diagnostics) {
	d := decoder{yamlpos.NewDecoder(file, data)}
	m := &Mapping{Products: map[string]*Product{}}
	body := d.Document(data)
	if body == nil {
		return m, d.Diags
	}
	d.Fields(body, "the Sigma mapping", []yamlpos.Field{
		{Name: "products", Decode: func(e yamlpos.Entry) { d.products(e.Value, m) }},
	}, "products")
	return m, d.Diags
}

type decoder struct{ *yamlpos.Decoder }

func (d decoder) products(n ast.Node, m *Mapping) {
	entries, _ := d.Map(n, "products")
	for _, e := range entries {
		name := strings.ToLower(e.Key.Value)
		what := "product " + name
		p := &Product{Categories: map[string][]Target{}, Services: map[string][]Target{}}
		d.Fields(e.Value, what, []yamlpos.Field{
			{Name: "fields", Decode: func(f yamlpos.Entry) { p.Fields = d.renames(f.Value, what+" fields") }},
			{Name: "categories", Decode: func(f yamlpos.Entry) { d.entries(f.Value, what+" category", p.Categories) }},
			{Name: "services", Decode: func(f yamlpos.Entry) { d.entries(f.Value, what+" service", p.Services) }},
		})
		m.Products[name] = p
	}
}

// entries reads category or service names, each to its list of targets.
func (d decoder) entries(n ast.Node, what string, into map[string][]Target) {
	entries, _ := d.Map(n, what+"s")
	for _, e := range entries {
		name := strings.ToLower(e.Key.Value)
		entryWhat := what + " " + name
		items, ok := d.List(e.Value, entryWhat)
		if !ok {
			continue
		}
		if len(items) == 0 {
			d.Diags.Errorf(e.Key.Pos, diag.CodeBadValue, "%s has no targets; give at least one log_source", entryWhat)
			continue
		}
		targets := make([]Target, 0, len(items))
		for i, item := range items {
			if t, ok := d.target(item, fmt.Sprintf("%s target %d", entryWhat, i+1)); ok {
				targets = append(targets, t)
			}
		}
		into[name] = targets
	}
}

func (d decoder) target(n ast.Node, what string) (Target, bool) {
	t := Target{Pos: d.Pos(n)}
	ok := true
	_, isMap := d.Fields(n, what, []yamlpos.Field{
		{Name: "log_source", Decode: func(e yamlpos.Entry) {
			s, good := d.NonEmpty(e.Value, what+" log_source")
			t.LogSource, ok = s.Value, ok && good
		}},
		{Name: "event_codes", Decode: func(e yamlpos.Entry) { t.EventCodes = d.codes(e.Value, what+" event_codes") }},
		{Name: "conditions", Decode: func(e yamlpos.Entry) { t.Conditions = d.conditions(e.Value, what+" conditions") }},
		{Name: "fields", Decode: func(e yamlpos.Entry) { t.Fields = d.renames(e.Value, what+" fields") }},
		{Name: "lacks", Decode: func(e yamlpos.Entry) { t.Lacks = d.names(e.Value, what+" lacks") }},
	}, "log_source")
	return t, isMap && ok && t.LogSource != ""
}

// codes reads a list of event codes: non-negative integers.
func (d decoder) codes(n ast.Node, what string) []int {
	items, _ := d.List(n, what)
	var out []int
	for i, item := range items {
		s, ok := d.Str(item, fmt.Sprintf("%s[%d]", what, i))
		if !ok {
			continue
		}
		code, err := strconv.Atoi(s.Value)
		if err != nil || code < 0 {
			d.Diags.Errorf(s.Pos, diag.CodeBadValue, "%s[%d]: %q is not an event code (a whole number)", what, i, s.Value)
			continue
		}
		out = append(out, code)
	}
	return out
}

// renames reads a mapping of Sigma field names to event field names.
func (d decoder) renames(n ast.Node, what string) map[string]string {
	entries, _ := d.Map(n, what)
	out := make(map[string]string, len(entries))
	for _, e := range entries {
		if s, ok := d.NonEmpty(e.Value, what+"."+e.Key.Value); ok {
			out[e.Key.Value] = s.Value
		}
	}
	return out
}

// conditions reads event field names, each to a list of values (one value may stand alone).
func (d decoder) conditions(n ast.Node, what string) map[string][]string {
	entries, _ := d.Map(n, what)
	out := make(map[string][]string, len(entries))
	for _, e := range entries {
		fieldWhat := what + "." + e.Key.Value
		node := d.Unwrap(e.Value, fieldWhat)
		if node == nil && e.Value != nil {
			continue // an alias or a tag, reported
		}
		if _, isList := node.(*ast.SequenceNode); isList {
			values := d.StrList(e.Value, fieldWhat)
			if len(values) == 0 {
				d.Diags.Errorf(e.Key.Pos, diag.CodeBadValue, "%s has no values", fieldWhat)
				continue
			}
			for _, v := range values {
				out[e.Key.Value] = append(out[e.Key.Value], v.Value)
			}
			continue
		}
		if s, ok := d.NonEmpty(node, fieldWhat); ok {
			out[e.Key.Value] = []string{s.Value}
		}
	}
	return out
}

// names reads a list of field names.
func (d decoder) names(n ast.Node, what string) []string {
	var out []string
	for _, s := range d.StrList(n, what) {
		out = append(out, s.Value)
	}
	return out
}
