package channel

import (
	_ "embed"
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/goccy/go-yaml/ast"

	"github.com/stixcel/stixcel/diag"
	"github.com/stixcel/stixcel/internal/yamlpos"
)

//go:embed taxonomy.yaml
var defaultTaxonomyYAML []byte

// DefaultTaxonomyFile names the embedded taxonomy in error messages.
const DefaultTaxonomyFile = "taxonomy.yaml"

// Taxonomy maps log source names (exact, or globs such as "WinEventLog:*") to the event field
// their channel tokens select on, and to the tokens valid for that field. It is immutable
// once parsed and safe for concurrent use.
type Taxonomy struct {
	exact    map[string]*source // lower-cased name -> source
	globs    []*source          // in file order
	freeText map[string]bool
	// eventType holds the lower-cased names of the fields that say which kind of event a
	// line is: every source's selector field and the `event_type_fields:` list.
	eventType map[string]bool
}

// source is one `sources:` entry.
type source struct {
	name  string
	field string // "" when the source has no selector field
	vocab *vocabulary
}

// vocabulary says which tokens are values of a field.
type vocabulary struct {
	name       string
	isInt      bool
	words      map[string]bool
	pattern    *regexp.Regexp
	trimSuffix string
}

// closed reports whether the vocabulary is a closed word list: only then may a channel that
// starts with its words and goes on in prose select on them.
func (v *vocabulary) closed() bool { return v.words != nil }

// describe names the vocabulary in reasons ("syscall", "integer").
func (v *vocabulary) describe() string {
	if v.isInt {
		return "integer"
	}
	return v.name
}

// value converts a token to the field's value, or reports that it is not one.
func (v *vocabulary) value(token string) (any, bool) {
	switch {
	case v.isInt:
		n, err := strconv.ParseInt(token, 10, 64)
		return n, err == nil && isDigits(token)
	case v.words != nil:
		return token, v.words[token]
	case !v.pattern.MatchString(token):
		return nil, false
	}
	if v.trimSuffix != "" {
		token = strings.TrimSuffix(token, v.trimSuffix)
	}
	return token, token != ""
}

// DefaultTaxonomy returns the taxonomy shipped with stixcel (taxonomy.yaml, embedded). It is
// parsed once; every call returns the same immutable value.
func DefaultTaxonomy() *Taxonomy { return defaultTaxonomy() }

var defaultTaxonomy = sync.OnceValue(func() *Taxonomy {
	t, err := ParseTaxonomy(DefaultTaxonomyFile, defaultTaxonomyYAML)
	if err != nil {
		// The embedded file is covered by tests; failing here means a broken build.
		panic(fmt.Sprintf("embedded channel taxonomy: %v", err))
	}
	return t
})

// Field returns the event field that bare channel tokens of logSource select on.
func (t *Taxonomy) Field(logSource string) (field string, ok bool) {
	s := t.lookup(logSource)
	if s == nil || s.field == "" {
		return "", false
	}
	return s.field, true
}

// EventTypeField reports whether field only says which kind of event (or which sub-log) an
// event of logSource is: the source's own selector field (EventCode for WinEventLog:*), any
// other source's selector field (syscall, eventName, Operation, ...) or a field of the
// `event_type_fields:` list (EventID, subsystem, ...). Names compare ignoring case
// (OperationName is operationName). A selector testing only such fields says "this telemetry
// exists", not "look here".
func (t *Taxonomy) EventTypeField(logSource, field string) bool {
	if f, ok := t.Field(logSource); ok && strings.EqualFold(f, field) {
		return true
	}
	return t.eventType[strings.ToLower(field)]
}

// lookup finds the source entry for a log source name: exact first, then the first glob.
func (t *Taxonomy) lookup(logSource string) *source {
	name := strings.ToLower(strings.TrimSpace(logSource))
	if s, ok := t.exact[name]; ok {
		return s
	}
	for _, s := range t.globs {
		if globMatch(s.name, name) {
			return s
		}
	}
	return nil
}

// globMatch reports whether name matches pattern, where * matches any run of characters
// (slashes included: "WinEventLog:*" matches ".../Operational"). Both are lower-cased.
func globMatch(pattern, name string) bool {
	parts := strings.Split(pattern, "*")
	if !strings.HasPrefix(name, parts[0]) {
		return false
	}
	name = name[len(parts[0]):]
	last := len(parts) - 1
	for _, p := range parts[1:last] {
		i := strings.Index(name, p)
		if i < 0 {
			return false
		}
		name = name[i+len(p):]
	}
	return len(name) >= len(parts[last]) && strings.HasSuffix(name, parts[last])
}

// TaxonomyError is a problem in a taxonomy file: an error diagnostic with the code
// diag.CodeBadTaxonomy, at a position in the file.
type TaxonomyError struct {
	diag.Diagnostic
	Err error // the error of go-yaml or regexp behind Msg, nil when there is none
}

// taxonomyError builds the error diagnostic at pos; err is the error behind msg, or nil.
func taxonomyError(pos diag.Pos, msg string, err error) *TaxonomyError {
	d := diag.Diagnostic{Pos: pos, Code: diag.CodeBadTaxonomy, Severity: diag.SeverityError, Msg: msg}
	return &TaxonomyError{Diagnostic: d, Err: err}
}

// Error renders "file:line:col: msg", without the severity Diagnostic.Error adds.
func (e TaxonomyError) Error() string { return e.Pos.String() + ": " + e.Msg }

// Unwrap returns the error of go-yaml or regexp behind the message, if any.
func (e TaxonomyError) Unwrap() error { return e.Err }

// taxonomyFile is the YAML document.
type taxonomyFile struct {
	Sources         []sourceEntry
	Values          map[string]vocabEntry
	FreeText        []string
	EventTypeFields []string
}

type sourceEntry struct {
	Name   string
	Field  string
	Values string
	at     position
}

type vocabEntry struct {
	Int        bool
	Words      []string
	Pattern    string
	TrimSuffix string
	at         position
	kinds      int // how many of int, words and pattern are given
}

// position is a 1-based line and column in the YAML file.
type position struct{ line, col int }

// ParseTaxonomy parses a taxonomy YAML document (format: see the comment at the top of the
// shipped taxonomy.yaml). Errors are *TaxonomyError values naming file:line:col; an unknown
// key is one, with the closest known key as a suggestion.
func ParseTaxonomy(file string, data []byte) (*Taxonomy, error) {
	body, _, err := yamlpos.Document(data)
	if err != nil {
		return nil, yamlError(file, err)
	}
	doc, err := decodeTaxonomy(file, data, body)
	if err != nil {
		return nil, err
	}
	errAt := func(at position, format string, args ...any) error {
		err := fmt.Errorf(format, args...)
		return taxonomyError(diag.Pos{File: file, Line: at.line, Col: at.col}, err.Error(), errors.Unwrap(err))
	}
	if len(doc.Sources) == 0 {
		return nil, errAt(position{1, 1}, "no sources: the taxonomy needs a `sources:` list")
	}
	vocabs, err := buildVocabularies(doc.Values, errAt)
	if err != nil {
		return nil, err
	}
	t := &Taxonomy{exact: map[string]*source{}, freeText: map[string]bool{}, eventType: map[string]bool{}}
	for _, f := range doc.FreeText {
		t.freeText[f] = true
	}
	for _, f := range doc.EventTypeFields {
		t.eventType[strings.ToLower(f)] = true
	}
	for _, e := range doc.Sources {
		s, err := buildSource(e, vocabs, errAt)
		if err != nil {
			return nil, err
		}
		if s.field != "" {
			t.eventType[strings.ToLower(s.field)] = true
		}
		if strings.Contains(s.name, "*") {
			t.globs = append(t.globs, s)
			continue
		}
		if _, dup := t.exact[s.name]; dup {
			return nil, errAt(e.at, "source %q is listed twice", e.Name)
		}
		t.exact[s.name] = s
	}
	return t, nil
}

// taxonomyDecoder reads the document through the shared positioned decoder.
type taxonomyDecoder struct{ *yamlpos.Decoder }

// decodeTaxonomy reads body (nil for an empty file); the first error it finds comes back as
// a *TaxonomyError.
func decodeTaxonomy(file string, data []byte, body ast.Node) (*taxonomyFile, error) {
	doc := &taxonomyFile{}
	if body == nil {
		return doc, nil
	}
	d := taxonomyDecoder{yamlpos.NewDecoder(file, data)}
	d.Fields(body, "the taxonomy", []yamlpos.Field{
		{Name: "sources", Decode: func(e yamlpos.Entry) { doc.Sources = d.sources(e.Value) }},
		{Name: "values", Decode: func(e yamlpos.Entry) { doc.Values = d.vocabularies(e.Value) }},
		{Name: "free_text", Decode: func(e yamlpos.Entry) { doc.FreeText = d.strings(e.Value, "free_text") }},
		{Name: "event_type_fields", Decode: func(e yamlpos.Entry) { doc.EventTypeFields = d.strings(e.Value, "event_type_fields") }},
	})
	if !d.Diags.HasErrors() {
		return doc, nil
	}
	d.Diags.Sort()
	first := d.Diags[0]
	return nil, taxonomyError(first.Pos, first.Msg, nil)
}

func (d taxonomyDecoder) strings(n ast.Node, what string) []string {
	var out []string
	for _, s := range d.StrList(n, what) {
		out = append(out, s.Value)
	}
	return out
}

func (d taxonomyDecoder) text(n ast.Node, what string) string {
	s, _ := d.Str(n, what)
	return s.Value
}

// at is where a mapping entry of the file starts: its first key.
func (d taxonomyDecoder) at(n ast.Node) position {
	p := d.Pos(n)
	if entries, ok := yamlpos.MappingValues(d.Unwrap(n, "")); ok && len(entries) > 0 {
		p = d.Pos(entries[0].Key)
	}
	return position{p.Line, p.Col}
}

func (d taxonomyDecoder) sources(n ast.Node) []sourceEntry {
	items, _ := d.List(n, "sources")
	out := make([]sourceEntry, 0, len(items))
	for i, item := range items {
		what := fmt.Sprintf("sources[%d]", i)
		e := sourceEntry{at: d.at(item)}
		d.Fields(item, what, []yamlpos.Field{
			{Name: "name", Decode: func(f yamlpos.Entry) { e.Name = d.text(f.Value, what+".name") }},
			{Name: "field", Decode: func(f yamlpos.Entry) { e.Field = d.text(f.Value, what+".field") }},
			{Name: "values", Decode: func(f yamlpos.Entry) { e.Values = d.text(f.Value, what+".values") }},
		})
		out = append(out, e)
	}
	return out
}

func (d taxonomyDecoder) vocabularies(n ast.Node) map[string]vocabEntry {
	entries, _ := d.Map(n, "values")
	out := make(map[string]vocabEntry, len(entries))
	for _, ve := range entries {
		what := "values." + ve.Key.Value
		e := vocabEntry{at: d.at(ve.Value)}
		seen, _ := d.Fields(ve.Value, what, []yamlpos.Field{
			{Name: "int", Decode: func(f yamlpos.Entry) { e.Int, _ = d.Bool(f.Value, what+".int") }},
			{Name: "words", Decode: func(f yamlpos.Entry) { e.Words = d.strings(f.Value, what+".words") }},
			{Name: "pattern", Decode: func(f yamlpos.Entry) { e.Pattern = d.text(f.Value, what+".pattern") }},
			{Name: "trim_suffix", Decode: func(f yamlpos.Entry) { e.TrimSuffix = d.text(f.Value, what+".trim_suffix") }},
		})
		if e.Int {
			e.kinds++
		}
		for _, k := range []string{"words", "pattern"} {
			if seen[k] {
				e.kinds++
			}
		}
		out[ve.Key.Value] = e
	}
	return out
}

type errorAt func(at position, format string, args ...any) error

func buildVocabularies(entries map[string]vocabEntry, errAt errorAt) (map[string]*vocabulary, error) {
	names := make([]string, 0, len(entries))
	for name := range entries {
		names = append(names, name)
	}
	sort.Strings(names)
	out := make(map[string]*vocabulary, len(entries))
	for _, name := range names {
		v, err := buildVocabulary(name, entries[name], errAt)
		if err != nil {
			return nil, err
		}
		out[name] = v
	}
	return out, nil
}

func buildVocabulary(name string, e vocabEntry, errAt errorAt) (*vocabulary, error) {
	if e.kinds != 1 {
		return nil, errAt(e.at, "values %q: give exactly one of int, words, pattern", name)
	}
	v := &vocabulary{name: name, isInt: e.Int, trimSuffix: e.TrimSuffix}
	if e.Words != nil || e.kinds == 1 && !e.Int && e.Pattern == "" {
		v.words = make(map[string]bool, len(e.Words))
		for _, w := range e.Words {
			if strings.TrimSpace(w) == "" {
				return nil, errAt(e.at, "values %q: empty word", name)
			}
			v.words[w] = true
		}
	}
	if e.Pattern != "" {
		re, err := regexp.Compile(e.Pattern)
		if err != nil {
			return nil, errAt(e.at, "values %q: pattern: %w", name, err)
		}
		v.pattern = re
	}
	if e.TrimSuffix != "" && v.pattern == nil {
		return nil, errAt(e.at, "values %q: trim_suffix needs a pattern", name)
	}
	return v, nil
}

func buildSource(e sourceEntry, vocabs map[string]*vocabulary, errAt errorAt) (*source, error) {
	name := strings.ToLower(strings.TrimSpace(e.Name))
	if name == "" {
		return nil, errAt(e.at, "source without a name")
	}
	s := &source{name: name, field: e.Field}
	switch {
	case e.Field == "" && e.Values != "":
		return nil, errAt(e.at, "source %q: values without a field", e.Name)
	case e.Field == "":
		return s, nil
	case e.Values == "":
		return nil, errAt(e.at, "source %q: field %q needs values (have: %s)", e.Name, e.Field, vocabNames(vocabs))
	}
	v, ok := vocabs[e.Values]
	if !ok {
		return nil, errAt(e.at, "source %q: unknown values %q (have: %s)", e.Name, e.Values, vocabNames(vocabs))
	}
	s.vocab = v
	return s, nil
}

func vocabNames(vocabs map[string]*vocabulary) string {
	names := make([]string, 0, len(vocabs))
	for n := range vocabs {
		names = append(names, n)
	}
	sort.Strings(names)
	if len(names) == 0 {
		return "none"
	}
	return strings.Join(names, ", ")
}

// yamlError turns a go-yaml error into a TaxonomyError at the offending token; a panic of
// the parser is at 1:1.
func yamlError(file string, err error) error {
	pos := diag.Pos{File: file}
	tk, msg := yamlpos.ErrorToken(err)
	var perr *yamlpos.PanicError
	switch {
	case tk != nil:
		pos.Line, pos.Col = tk.Position.Line, tk.Position.Column
	case errors.As(err, &perr):
		pos.Line, pos.Col = 1, 1
	}
	return taxonomyError(pos, msg, err)
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}
