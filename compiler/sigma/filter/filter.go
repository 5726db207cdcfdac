// Package filter decodes Sigma filter rules (specification v2.1, `filter:`) and applies
// them to the detection rules they name, at the level of the Sigma syntax tree: a filtered
// rule is a rule whose detection holds the filter's searches and whose condition is
// `(original) and not (filter)`, so that it compiles (compiler/sigma/cel) as any rule.
//
// A filter applies to a rule whose id or name its `rules` lists and whose logsource it
// matches: each of product, category and service the filter sets equals the rule's,
// ignoring case. Check reports, as warnings, the names no rule has and the rules a filter
// names but cannot apply to.
package filter

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/goccy/go-yaml/ast"

	"github.com/stixcel/stixcel/compiler/sigma"
	"github.com/stixcel/stixcel/compiler/sigma/condition"
	"github.com/stixcel/stixcel/diag"
	"github.com/stixcel/stixcel/internal/yamlpos"
)

// Filter is one decoded filter rule.
type Filter struct {
	Rule      *sigma.Rule
	Rules     []yamlpos.String // the rules it applies to, by id or name
	Detection *sigma.Detection // its searches and condition
}

// Decode reads a filter rule's body: `rules` and the searches and condition of a
// detection. Errors are at file:line:col; the filter is returned as far as it decoded, nil
// only when r is not a filter rule.
func Decode(r *sigma.Rule) (*Filter, diag.Diagnostics) {
	d := r.BodyDecoder()
	if r.Kind != sigma.KindFilter {
		d.Diags.Errorf(r.Pos, diag.CodeBadShape, "rule %q is a %s, not a filter rule", r.Title.Value, r.Kind)
		return nil, d.Diags
	}
	f := &Filter{Rule: r}
	entries, ok := d.Map(r.Body, "filter")
	if !ok {
		return f, d.Diags
	}
	hasRules := false
	for _, e := range entries {
		if e.Key.Value == "rules" {
			hasRules = true
			f.Rules = decodeRules(d, e)
		}
	}
	if !hasRules {
		d.Diags.Errorf(r.BodyPos, diag.CodeMissingKey, "filter has no \"rules\" key: name the rules it applies to, by id or name")
	}
	f.Detection = sigma.DecodeDetection(d, r.Body, "rules")
	if f.Detection != nil && len(f.Detection.Searches) == 0 {
		d.Diags.Errorf(r.BodyPos, diag.CodeMissingKey, "filter has no search (a `selection:` of the fields to filter out)")
	}
	if f.Detection != nil && len(f.Detection.Conditions) > 0 {
		if _, err := f.Detection.ParseCondition(); err != nil {
			var ce *sigma.ConditionError
			if errors.As(err, &ce) {
				d.Diags.Errorf(ce.Pos, diag.CodeBadValue, "filter condition: %s", ce.Msg)
			}
		}
	}
	return f, d.Diags
}

func decodeRules(d *yamlpos.Decoder, e yamlpos.Entry) []yamlpos.String {
	if _, isList := d.Unwrap(e.Value, "filter rules").(*ast.SequenceNode); !isList {
		if s, ok := d.NonEmpty(e.Value, "filter rules"); ok {
			return []yamlpos.String{s}
		}
		return nil
	}
	rules := d.StrList(e.Value, "filter rules")
	if len(rules) == 0 {
		d.Diags.Errorf(d.ValuePos(e), diag.CodeBadValue, "filter rules is empty; name the rules it applies to, by id or name")
	}
	return rules
}

// Names reports whether the filter lists the rule, by its id or its name.
func (f *Filter) Names(r *sigma.Rule) bool {
	return slices.ContainsFunc(f.Rules, func(ref yamlpos.String) bool {
		return ref.Value != "" && (ref.Value == r.ID.Value || ref.Value == r.Name.Value)
	})
}

// Matches reports whether the filter's logsource covers the rule's: each of product,
// category and service the filter sets is the rule's, ignoring case.
func (f *Filter) Matches(r *sigma.Rule) bool {
	fl, rl := f.Rule.LogSource, r.LogSource
	same := func(a, b yamlpos.String) bool { return a.Value == "" || strings.EqualFold(a.Value, b.Value) }
	return same(fl.Product, rl.Product) && same(fl.Category, rl.Category) && same(fl.Service, rl.Service)
}

// AppliesTo reports whether the filter applies to the detection rule r.
func (f *Filter) AppliesTo(r *sigma.Rule) bool {
	return r.Kind == sigma.KindRule && f.Detection != nil && f.Names(r) && f.Matches(r)
}

// Apply returns rule with the filters that apply to it: a copy whose detection also holds
// each filter's searches, renamed `_filterN_name` (N counting the applied filters, raised
// until no name clashes with the rule's), and whose condition is `(original) and not
// (filter 1) and not (filter 2) ...`, each condition with its `x of` patterns expanded to
// the names they matched, so that a pattern never reaches another's searches. The new
// condition is placed at the original's position. The rule itself is returned when no
// filter applies. An error is a condition that does not parse, at its file:line:col.
func Apply(rule *sigma.Rule, filters []*Filter) (*sigma.Rule, error) {
	var applied []*Filter
	for _, f := range filters {
		if f.AppliesTo(rule) {
			applied = append(applied, f)
		}
	}
	if len(applied) == 0 || rule.Detection == nil || len(rule.Detection.Conditions) == 0 {
		return rule, nil
	}
	orig, err := rule.Detection.ParseCondition()
	if err != nil {
		return nil, err
	}
	det := *rule.Detection
	det.Searches = slices.Clone(det.Searches)
	text := "(" + expand(orig, nil) + ")"
	for i, f := range applied {
		node, err := f.Detection.ParseCondition()
		if err != nil {
			return nil, fmt.Errorf("filter %q: %w", f.Rule.Title.Value, err)
		}
		prefix := freePrefix(&det, i+1)
		for _, s := range f.Detection.Searches {
			renamed := *s
			renamed.Name = yamlpos.String{Value: prefix + s.Name.Value, Pos: s.Name.Pos}
			det.Searches = append(det.Searches, &renamed)
		}
		text += " and not (" + expand(node, func(name string) string { return prefix + name }) + ")"
	}
	det.Conditions = []yamlpos.String{{Value: text, Pos: rule.Detection.Conditions[0].Pos}}
	out := *rule
	out.Detection = &det
	return &out, nil
}

// freePrefix is `_filterN_` for the first N from n whose names clash with none of det's.
func freePrefix(det *sigma.Detection, n int) string {
	for ; ; n++ {
		prefix := fmt.Sprintf("_filter%d_", n)
		if !slices.ContainsFunc(det.Searches, func(s *sigma.Search) bool { return strings.HasPrefix(s.Name.Value, prefix) }) {
			return prefix
		}
	}
}

// expand prints a condition with every `x of` written as the names it matched, each name
// through rename (nil: as is).
func expand(n condition.Node, rename func(string) string) string {
	if rename == nil {
		rename = func(s string) string { return s }
	}
	switch n := n.(type) {
	case *condition.Ident:
		return rename(n.Name)
	case *condition.Not:
		return "not " + expand(n.X, rename)
	case *condition.And:
		return join(n.Terms, " and ", rename)
	case *condition.Or:
		return join(n.Terms, " or ", rename)
	case *condition.Of:
		terms := make([]condition.Node, len(n.Names))
		for i, name := range n.Names {
			terms[i] = &condition.Ident{Name: name}
		}
		if n.Quant == condition.All {
			return join(terms, " and ", rename)
		}
		return join(terms, " or ", rename)
	}
	return "false"
}

func join(terms []condition.Node, op string, rename func(string) string) string {
	parts := make([]string, len(terms))
	for i, t := range terms {
		parts[i] = expand(t, rename)
	}
	return "(" + strings.Join(parts, op) + ")"
}

// Check reports, as warnings at the filter's rules entry, each name no rule has, each
// rule a filter names that is not a detection rule, and each whose logsource it does not
// match (so it is not applied).
func Check(filters []*Filter, rules []*sigma.Rule) diag.Diagnostics {
	var diags diag.Diagnostics
	for _, f := range filters {
		for _, ref := range f.Rules {
			f.checkRef(ref, rules, &diags)
		}
	}
	return diags
}

// checkRef is Check for one name of the filter's rules.
func (f *Filter) checkRef(ref yamlpos.String, rules []*sigma.Rule, diags *diag.Diagnostics) {
	named := false
	for _, r := range rules {
		if ref.Value != r.ID.Value && ref.Value != r.Name.Value {
			continue
		}
		named = true
		switch {
		case r.Kind != sigma.KindRule:
			diags.Warnf(ref.Pos, diag.CodeBadValue, "filter %q names %q (%s), a %s rule: a filter applies to detection rules only", f.Rule.Title.Value, ref.Value, r.Pos, r.Kind)
		case !f.Matches(r):
			diags.Warnf(ref.Pos, diag.CodeBadValue, "filter %q names rule %q (%s), whose logsource it does not match: not applied", f.Rule.Title.Value, ref.Value, r.Pos)
		}
	}
	if !named {
		diags.Warnf(ref.Pos, diag.CodeBadValue, "filter %q names %q, which no loaded Sigma rule has as its id or name", f.Rule.Title.Value, ref.Value)
	}
}
