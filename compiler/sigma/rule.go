package sigma

import (
	"github.com/goccy/go-yaml/ast"

	"github.com/stixcel/stixcel/diag"
	"github.com/stixcel/stixcel/internal/yamlpos"
)

// Kind is what a rule document is.
type Kind string

const (
	KindRule        Kind = "rule"        // a detection rule: logsource and detection
	KindCorrelation Kind = "correlation" // a correlation rule: Body is its `correlation:` value
	KindFilter      Kind = "filter"      // a filter rule: Body is its `filter:` value
)

// Rule is one Sigma rule document. Strings keep their positions; absent keys are zero.
type Rule struct {
	Kind           Kind
	Pos            diag.Pos // where the document starts
	ID             yamlpos.String
	Name           yamlpos.String
	Title          yamlpos.String
	Status         yamlpos.String
	Level          yamlpos.String
	Description    yamlpos.String
	License        yamlpos.String
	Author         yamlpos.String
	Date           yamlpos.String
	Modified       yamlpos.String
	Taxonomy       yamlpos.String
	References     []yamlpos.String
	FalsePositives []yamlpos.String
	Tags           []yamlpos.String
	Fields         []yamlpos.String
	Scope          []yamlpos.String
	Related        []Related
	LogSource      LogSource
	Detection      *Detection // nil for correlation and filter rules
	// Body is the raw `correlation:` or `filter:` value of those kinds, with BodyPos; their
	// decoding is a later step.
	Body    ast.Node
	BodyPos diag.Pos
	// Custom holds the top-level keys the specification does not define, which it allows
	// (custom attributes), in file order.
	Custom []yamlpos.Entry

	src *yamlpos.Text // the file's text, for BodyDecoder
}

// BodyDecoder returns a positioned decoder over the file the rule was read from, so that
// the packages that decode a correlation's or filter's Body report positions, and place
// characters inside scalars, as Decode does.
func (r *Rule) BodyDecoder() *yamlpos.Decoder {
	src := r.src
	if src == nil {
		src = yamlpos.NewText(nil)
	}
	return &yamlpos.Decoder{File: r.Pos.File, Src: src}
}

// DecodeDetection reads a mapping of named searches and a condition, as a rule's
// `detection`, with d: a filter's body holds one. Keys in skip are left to the caller.
func DecodeDetection(d *yamlpos.Decoder, n ast.Node, skip ...string) *Detection {
	return (&decoder{d}).decodeDetection(n, skip...)
}

// Related is one item of `related`: a rule this one derives from, obsoletes, merges, ...
type Related struct {
	ID   yamlpos.String
	Type yamlpos.String
}

// LogSource is a rule's `logsource`; Custom keeps any other keys it has.
type LogSource struct {
	Product    yamlpos.String
	Category   yamlpos.String
	Service    yamlpos.String
	Definition yamlpos.String
	Custom     []yamlpos.Entry
	Pos        diag.Pos
}

type decoder struct{ *yamlpos.Decoder }

// Decode reads the rules of one file, named file in positions: one per YAML document, after
// applying the collection actions (global, reset, repeat). Diagnostics are errors at
// file:line:col; rules with errors are still returned, as far as they decoded. A file
// without a rule (empty, comments only, a global document alone) is an error.
func Decode(file string, data []byte) ([]*Rule, diag.Diagnostics) {
	d := &decoder{yamlpos.NewDecoder(file, data)}
	f, err := yamlpos.Parse(data)
	if err != nil {
		d.SyntaxError(err)
		return nil, d.Diags
	}
	var rules []*Rule
	for _, doc := range d.collect(yamlpos.Bodies(f)) {
		rules = append(rules, d.decodeRule(doc))
	}
	if len(rules) == 0 && len(d.Diags) == 0 {
		d.Diags.Errorf(diag.Pos{File: file, Line: 1, Col: 1}, diag.CodeMissingKey, "the file holds no Sigma rule")
	}
	return rules, d.Diags
}

// collect applies the collection actions to the documents of a file, returning the rule
// documents with the global document merged in.
func (d *decoder) collect(bodies []ast.Node) []ast.Node {
	var global, previous ast.Node
	var docs []ast.Node
	for _, body := range bodies {
		entries, ok := d.Map(body, "rule")
		if !ok {
			continue
		}
		action, rest := splitAction(entries)
		if action == nil {
			previous = merge(global, body)
			docs = append(docs, previous)
			continue
		}
		name, _ := d.Str(action.Value, "action")
		switch name.Value {
		case "global":
			global = mappingOf(body, rest)
		case "reset":
			global = nil
		case "repeat":
			if previous == nil {
				d.Diags.Errorf(name.Pos, diag.CodeBadValue, "action repeat has no rule before it to repeat")
				continue
			}
			previous = merge(previous, mappingOf(body, rest))
			docs = append(docs, previous)
		default:
			d.Diags.Errorf(name.Pos, diag.CodeBadValue, "unknown action %q (want global, reset or repeat)", name.Value)
		}
	}
	return docs
}

// splitAction finds the `action` entry of a document and returns the other entries.
func splitAction(entries []yamlpos.Entry) (*yamlpos.Entry, []*ast.MappingValueNode) {
	var action *yamlpos.Entry
	var rest []*ast.MappingValueNode
	for i, e := range entries {
		if e.Key.Value == "action" {
			action = &entries[i]
			continue
		}
		rest = append(rest, &ast.MappingValueNode{BaseNode: &ast.BaseNode{}, Key: e.Node.(ast.MapKeyNode), Value: e.Value})
	}
	return action, rest
}

// mappingOf is a mapping node with the given entries, positioned at body.
func mappingOf(body ast.Node, values []*ast.MappingValueNode) ast.Node {
	return &ast.MappingNode{BaseNode: &ast.BaseNode{}, Start: body.GetToken(), Values: values}
}

// merge returns over merged into base: keys of over replace those of base, except that two
// mappings merge key by key (the spec's global documents). Either may be nil.
func merge(base, over ast.Node) ast.Node {
	if base == nil {
		return over
	}
	bv, okB := yamlpos.MappingValues(base)
	ov, okO := yamlpos.MappingValues(over)
	if !okB || !okO {
		return over
	}
	out := make([]*ast.MappingValueNode, 0, len(bv)+len(ov))
	index := map[string]int{}
	for _, mv := range bv {
		index[keyText(mv)] = len(out)
		out = append(out, mv)
	}
	for _, mv := range ov {
		i, ok := index[keyText(mv)]
		if !ok {
			out = append(out, mv)
			continue
		}
		out[i] = &ast.MappingValueNode{BaseNode: &ast.BaseNode{}, Start: mv.Start, Key: mv.Key, Value: merge(out[i].Value, mv.Value)}
	}
	return &ast.MappingNode{BaseNode: &ast.BaseNode{}, Start: over.GetToken(), Values: out}
}

func keyText(mv *ast.MappingValueNode) string {
	if tk := mv.Key.GetToken(); tk != nil {
		return tk.Value
	}
	return mv.Key.String()
}

// decodeRule reads one rule document.
func (d *decoder) decodeRule(n ast.Node) *Rule {
	r := &Rule{Kind: KindRule, Pos: d.Pos(n), src: d.Src}
	entries, _ := d.Map(n, "rule")
	seen := map[string]bool{}
	for _, e := range entries {
		seen[e.Key.Value] = true
		if !d.decodeRuleKey(r, e) {
			r.Custom = append(r.Custom, e)
		}
	}
	switch {
	case seen["correlation"]:
		r.Kind = KindCorrelation
	case seen["filter"]:
		r.Kind = KindFilter
	}
	d.requireKeys(n, r.Kind, seen)
	return r
}

// requireKeys reports the keys a rule of kind must have.
func (d *decoder) requireKeys(n ast.Node, kind Kind, seen map[string]bool) {
	required := []string{"title"}
	switch kind {
	case KindRule:
		required = append(required, "logsource", "detection")
	case KindFilter:
		required = append(required, "logsource")
	}
	for _, key := range required {
		if !seen[key] {
			d.Errorf(n, diag.CodeMissingKey, "%s has no %q key", kind, key)
		}
	}
}

// decodeRuleKey decodes one top-level key into r; false for a key the specification does
// not define.
func (d *decoder) decodeRuleKey(r *Rule, e yamlpos.Entry) bool {
	if p := r.stringField(e.Key.Value); p != nil {
		*p, _ = d.Str(e.Value, e.Key.Value)
		return true
	}
	if p := r.listField(e.Key.Value); p != nil {
		*p = d.strOrList(e.Value, e.Key.Value)
		return true
	}
	switch e.Key.Value {
	case "related":
		r.Related = d.decodeRelated(e.Value)
	case "logsource":
		r.LogSource = d.decodeLogSource(e.Value)
	case "detection":
		r.Detection = d.decodeDetection(e.Value)
	case "correlation", "filter":
		r.Body, r.BodyPos = e.Value, d.ValuePos(e)
	default:
		return false
	}
	return true
}

func (r *Rule) stringField(key string) *yamlpos.String {
	switch key {
	case "id":
		return &r.ID
	case "name":
		return &r.Name
	case "title":
		return &r.Title
	case "status":
		return &r.Status
	case "level":
		return &r.Level
	case "description":
		return &r.Description
	case "license":
		return &r.License
	case "author":
		return &r.Author
	case "date":
		return &r.Date
	case "modified":
		return &r.Modified
	case "taxonomy":
		return &r.Taxonomy
	}
	return nil
}

func (r *Rule) listField(key string) *[]yamlpos.String {
	switch key {
	case "references":
		return &r.References
	case "falsepositives":
		return &r.FalsePositives
	case "tags":
		return &r.Tags
	case "fields":
		return &r.Fields
	case "scope":
		return &r.Scope
	}
	return nil
}

// strOrList reads a list of strings, or one string as a list of one.
func (d *decoder) strOrList(n ast.Node, what string) []yamlpos.String {
	if _, isList := d.Unwrap(n, what).(*ast.SequenceNode); isList || yamlpos.IsNull(n) {
		return d.StrList(n, what)
	}
	if s, ok := d.Str(n, what); ok {
		return []yamlpos.String{s}
	}
	return nil
}

func (d *decoder) decodeRelated(n ast.Node) []Related {
	items, _ := d.List(n, "related")
	var out []Related
	for _, item := range items {
		var rel Related
		d.Fields(item, "related item", []yamlpos.Field{
			{Name: "id", Decode: func(e yamlpos.Entry) { rel.ID, _ = d.NonEmpty(e.Value, "related id") }},
			{Name: "type", Decode: func(e yamlpos.Entry) { rel.Type, _ = d.NonEmpty(e.Value, "related type") }},
		}, "id", "type")
		out = append(out, rel)
	}
	return out
}

func (d *decoder) decodeLogSource(n ast.Node) LogSource {
	ls := LogSource{Pos: d.Pos(n)}
	entries, _ := d.Map(n, "logsource")
	for _, e := range entries {
		var p *yamlpos.String
		switch e.Key.Value {
		case "product":
			p = &ls.Product
		case "category":
			p = &ls.Category
		case "service":
			p = &ls.Service
		case "definition":
			p = &ls.Definition
		default:
			ls.Custom = append(ls.Custom, e)
			continue
		}
		*p, _ = d.Str(e.Value, "logsource "+e.Key.Value)
	}
	return ls
}
