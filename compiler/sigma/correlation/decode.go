// Package correlation decodes Sigma correlation rules (specification v2.1: event_count,
// value_count, temporal, temporal_ordered, value_sum, value_avg, value_percentile) and
// builds each into a plan over the plans of the rules it references, whose condition the
// runtime evaluates in event time (docs/sigma.md).
//
// Decode reads a rule's `correlation:` body with positions: every misuse is an error at its
// file:line:col naming the construct. Build copies the referenced plans' channels into one
// plan (c1..cN, in the order of `rules`), keys its groups by the event fields that hold the
// `group-by` values (through each channel's mapping target and the `aliases`), and writes
// the condition that expresses the type over the channels' window state. Referenced and
// Generates tell the planner which rules a correlation consumes and whether they still
// alert on their own.
//
// Semantics, as the runtime evaluates the plan: per group (the group-by values; a channel's
// events lacking one do not take part), the window holds the matches of the last timespan,
// measured back from the group's newest match, bounds included. Once the group's matches
// at one time are all in, the condition is evaluated over that window; when it first holds
// an alert opens, collects the group's matches for one more timespan and is emitted when
// the watermark passes it; the next alert needs matches after it. So a condition holds if
// some window ending at a match time satisfies it. Types: event_count sums the channels' match counts (an event matching two
// referenced rules counts twice); value_count counts distinct values of condition.field
// (tuples of several fields) across all channels; temporal needs a match of every rule (or,
// with a condition, compares the number of rules matched); temporal_ordered needs matches
// of the rules in the order listed, equal times counting as in order; value_sum and
// value_avg aggregate the numeric values (numbers, or strings holding one) of the field;
// value_percentile compares the share, in percent, of the window's matches that one value
// of the field holds: lt/lte with the rarest value, gt/gte with the commonest.
package correlation

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"time"

	"github.com/goccy/go-yaml/ast"

	"github.com/stixcel/stixcel/compiler/sigma"
	"github.com/stixcel/stixcel/diag"
	"github.com/stixcel/stixcel/internal/yamlpos"
)

// Type is a correlation type of the specification.
type Type string

const (
	EventCount      Type = "event_count"
	ValueCount      Type = "value_count"
	Temporal        Type = "temporal"
	TemporalOrdered Type = "temporal_ordered"
	ValueSum        Type = "value_sum"
	ValueAvg        Type = "value_avg"
	ValuePercentile Type = "value_percentile"
)

// Types are the correlation types, in the specification's order.
var Types = []Type{EventCount, ValueCount, Temporal, TemporalOrdered, ValueSum, ValueAvg, ValuePercentile}

// aggregates reports whether the type aggregates the values of a field (condition.field).
func (t Type) aggregates() bool {
	return t == ValueCount || t == ValueSum || t == ValueAvg || t == ValuePercentile
}

// Correlation is one decoded correlation rule.
type Correlation struct {
	Rule      *sigma.Rule
	Type      Type
	TypePos   diag.Pos
	Rules     []yamlpos.String // referenced rules, by name or id, in order
	GroupBy   []yamlpos.String
	Timespan  time.Duration
	SpanText  yamlpos.String
	Condition []Comparison // ANDed; empty for temporal types without a condition
	Fields    []yamlpos.String
	Aliases   []Alias
	Generate  bool
	Pos       diag.Pos // the correlation body
}

// Comparison is one criterion of the condition: `gte: 100`.
type Comparison struct {
	Op    string // gt, gte, lt, lte, eq, neq
	Value float64
	Text  string // the number as written
	Pos   diag.Pos
}

// Alias is one `aliases` entry: a group-by name and the field holding it per rule.
type Alias struct {
	Name   yamlpos.String
	ByRule []AliasField
}

// AliasField is the field a rule's events hold an alias in.
type AliasField struct {
	Rule  yamlpos.String
	Field yamlpos.String
}

// field is the field an alias names for the rule ref; ok false when the alias does not
// name the rule.
func (a *Alias) field(ref string) (yamlpos.String, bool) {
	for _, f := range a.ByRule {
		if f.Rule.Value == ref {
			return f.Field, true
		}
	}
	return yamlpos.String{}, false
}

// ops are the comparison operators of a condition, with their CEL.
var ops = map[string]string{"gt": ">", "gte": ">=", "lt": "<", "lte": "<=", "eq": "==", "neq": "!="}

var opNames = []string{"gt", "gte", "lt", "lte", "eq", "neq"}

var timespanRE = regexp.MustCompile(`^([0-9]+)([smhd])$`)

type decoder struct {
	*yamlpos.Decoder
	c *Correlation
}

// Decode reads a correlation rule's body. Errors (and warnings) are at file:line:col; the
// correlation is returned as far as it decoded, nil only when r is not a correlation rule.
func Decode(r *sigma.Rule) (*Correlation, diag.Diagnostics) {
	d := &decoder{Decoder: r.BodyDecoder(), c: &Correlation{Rule: r, Pos: r.BodyPos}}
	if r.Kind != sigma.KindCorrelation {
		d.Diags.Errorf(r.Pos, diag.CodeBadShape, "rule %q is a %s, not a correlation rule", r.Title.Value, r.Kind)
		return nil, d.Diags
	}
	d.generateKey(r.Custom)
	seen, ok := d.Fields(r.Body, "correlation", []yamlpos.Field{
		{Name: "type", Decode: d.decodeType},
		{Name: "rules", Decode: d.decodeRules},
		{Name: "group-by", Decode: func(e yamlpos.Entry) { d.c.GroupBy = d.uniqueList(e, "correlation group-by") }},
		{Name: "timespan", Decode: d.decodeTimespan},
		{Name: "condition", Decode: d.decodeCondition},
		{Name: "aliases", Decode: d.decodeAliases},
		{Name: "generate", Decode: func(e yamlpos.Entry) { d.c.Generate, _ = d.Bool(e.Value, "correlation generate") }},
	}, "type", "rules", "timespan", "group-by")
	if ok {
		d.check(seen)
	}
	return d.c, d.Diags
}

// generateKey reads `generate`, which the specification places at the top level.
func (d *decoder) generateKey(custom []yamlpos.Entry) {
	for _, e := range custom {
		if e.Key.Value == "generate" {
			d.c.Generate, _ = d.Bool(e.Value, "generate")
		}
	}
}

func (d *decoder) decodeType(e yamlpos.Entry) {
	s, ok := d.NonEmpty(e.Value, "correlation type")
	if !ok {
		return
	}
	d.c.TypePos = s.Pos
	if !slices.Contains(Types, Type(s.Value)) {
		d.Diags.Errorf(s.Pos, diag.CodeBadValue, "unknown correlation type %q (want one of %v)", s.Value, Types)
		return
	}
	d.c.Type = Type(s.Value)
}

func (d *decoder) decodeRules(e yamlpos.Entry) {
	d.c.Rules = d.uniqueList(e, "correlation rules")
	if len(d.c.Rules) == 0 {
		d.Diags.Errorf(d.ValuePos(e), diag.CodeBadValue, "correlation rules is empty; name the rules to correlate, by name or id")
	}
}

// uniqueList reads a list of non-empty strings, reporting a repeated one.
func (d *decoder) uniqueList(e yamlpos.Entry, what string) []yamlpos.String {
	if _, isList := d.Unwrap(e.Value, what).(*ast.SequenceNode); !isList && !yamlpos.IsNull(e.Value) {
		d.Errorf(e.Value, diag.CodeBadShape, "%s must be a list", what)
		return nil
	}
	items := d.StrList(e.Value, what)
	var out []yamlpos.String
	for i, s := range items {
		if slices.ContainsFunc(items[:i], func(o yamlpos.String) bool { return o.Value == s.Value }) {
			d.Diags.Errorf(s.Pos, diag.CodeBadValue, "%s names %q twice", what, s.Value)
			continue
		}
		out = append(out, s)
	}
	return out
}

func (d *decoder) decodeTimespan(e yamlpos.Entry) {
	s, ok := d.NonEmpty(e.Value, "correlation timespan")
	if !ok {
		return
	}
	d.c.SpanText = s
	m := timespanRE.FindStringSubmatch(s.Value)
	if m == nil {
		d.Diags.Errorf(s.Pos, diag.CodeBadValue, "correlation timespan %q: want a number and a unit s, m, h or d, as 90m", s.Value)
		return
	}
	n, err := strconv.ParseInt(m[1], 10, 64)
	unit := map[string]time.Duration{"s": time.Second, "m": time.Minute, "h": time.Hour, "d": 24 * time.Hour}[m[2]]
	if err != nil || n <= 0 || n > int64(100*365*24*time.Hour/unit) {
		d.Diags.Errorf(s.Pos, diag.CodeBadValue, "correlation timespan %q: must be positive and at most 100 years", s.Value)
		return
	}
	d.c.Timespan = time.Duration(n) * unit
}

func (d *decoder) decodeCondition(e yamlpos.Entry) {
	entries, ok := d.Map(e.Value, "correlation condition")
	if !ok {
		return
	}
	if len(entries) == 0 {
		d.Diags.Errorf(d.ValuePos(e), diag.CodeBadValue, "correlation condition is empty")
	}
	for _, f := range entries {
		switch {
		case f.Key.Value == "field":
			d.c.Fields = d.fieldList(f)
		case ops[f.Key.Value] != "":
			d.comparison(f)
		default:
			d.UnknownKey(f.Key, "correlation condition", append(slices.Clone(opNames), "field"))
		}
	}
}

// fieldList reads condition.field: one field name or a list of them.
func (d *decoder) fieldList(e yamlpos.Entry) []yamlpos.String {
	if _, isList := d.Unwrap(e.Value, "condition field").(*ast.SequenceNode); isList {
		fields := d.StrList(e.Value, "condition field")
		if len(fields) == 0 {
			d.Diags.Errorf(d.ValuePos(e), diag.CodeBadValue, "correlation condition field is an empty list")
		}
		return fields
	}
	if s, ok := d.NonEmpty(e.Value, "condition field"); ok {
		return []yamlpos.String{s}
	}
	return nil
}

// comparison reads `op: number`.
func (d *decoder) comparison(e yamlpos.Entry) {
	what := "correlation condition " + e.Key.Value
	node := d.Unwrap(e.Value, what)
	switch node.(type) {
	case *ast.IntegerNode, *ast.FloatNode:
	case nil:
		return
	default:
		d.Errorf(e.Value, diag.CodeBadShape, "%s must be a number, not %s", what, yamlpos.Kind(node))
		return
	}
	s, _ := d.Str(e.Value, what)
	x, err := strconv.ParseFloat(s.Value, 64)
	if err != nil {
		d.Diags.Errorf(s.Pos, diag.CodeBadValue, "%s: %q is not a number", what, s.Value)
		return
	}
	d.c.Condition = append(d.c.Condition, Comparison{Op: e.Key.Value, Value: x, Text: s.Value, Pos: e.Key.Pos})
}

func (d *decoder) decodeAliases(e yamlpos.Entry) {
	entries, _ := d.Map(e.Value, "correlation aliases")
	for _, a := range entries {
		alias := Alias{Name: a.Key}
		what := fmt.Sprintf("alias %q", a.Key.Value)
		fields, _ := d.Map(a.Value, what)
		if len(fields) == 0 {
			d.Diags.Errorf(a.Key.Pos, diag.CodeBadValue, "%s maps no rule to a field; write `rule_name: field`", what)
		}
		for _, f := range fields {
			if field, ok := d.NonEmpty(f.Value, fmt.Sprintf("%s field for rule %q", what, f.Key.Value)); ok {
				alias.ByRule = append(alias.ByRule, AliasField{Rule: f.Key, Field: field})
			}
		}
		d.c.Aliases = append(d.c.Aliases, alias)
	}
}

// check reports what the keys mean together: the condition and field each type needs, and
// aliases that name rules the correlation does not reference.
func (d *decoder) check(seen map[string]bool) {
	c := d.c
	if c.Type == "" {
		return
	}
	needsCondition := c.Type == EventCount || c.Type.aggregates()
	if needsCondition && !seen["condition"] {
		d.Diags.Errorf(c.Pos, diag.CodeMissingKey, "a %s correlation has no \"condition\" key", c.Type)
	}
	if seen["condition"] && needsCondition && len(c.Condition) == 0 {
		d.Diags.Errorf(c.Pos, diag.CodeMissingKey, "the %s correlation's condition has no comparison (gt, gte, lt, lte, eq or neq)", c.Type)
	}
	d.checkFields()
	d.checkComparisons()
	d.checkAliases()
}

// checkFields reports a missing, superfluous or repeated condition.field.
func (d *decoder) checkFields() {
	c := d.c
	switch {
	case c.Type.aggregates() && len(c.Fields) == 0:
		d.Diags.Errorf(c.Pos, diag.CodeMissingKey, "a %s correlation needs condition.field: the field whose values it aggregates", c.Type)
	case !c.Type.aggregates() && len(c.Fields) > 0:
		d.Diags.Errorf(c.Fields[0].Pos, diag.CodeBadValue, "condition.field is for value_* correlations; a %s correlation counts %s", c.Type, counted(c.Type))
	case c.Type != ValueCount && len(c.Fields) > 1:
		d.Diags.Errorf(c.Fields[1].Pos, diag.CodeBadValue, "a %s correlation aggregates one field, not %d", c.Type, len(c.Fields))
	}
}

func counted(t Type) string {
	if t == EventCount {
		return "events"
	}
	return "the referenced rules that matched"
}

// checkComparisons reports conditions the type cannot take, and warns of one that holds at
// a group's first match.
func (d *decoder) checkComparisons() {
	c := d.c
	if len(c.Condition) == 0 {
		return
	}
	switch c.Type {
	case TemporalOrdered:
		d.Diags.Errorf(c.Condition[0].Pos, diag.CodeBadValue, "a temporal_ordered correlation takes no condition: all its rules must match, in order")
		return
	case ValuePercentile:
		if cmp := c.Condition[0]; len(c.Condition) > 1 || cmp.Op == "eq" || cmp.Op == "neq" {
			d.Diags.Errorf(cmp.Pos, diag.CodeBadValue, "a value_percentile condition is one of lt, lte, gt or gte: the share of the matches, in percent, that some value of the field holds")
		} else if cmp.Value < 0 || cmp.Value > 100 {
			d.Diags.Errorf(cmp.Pos, diag.CodeBadValue, "a value_percentile condition is a percentage, 0 to 100, not %s", cmp.Text)
		}
		return
	case Temporal:
		for _, cmp := range c.Condition {
			if (cmp.Op == "gte" || cmp.Op == "eq") && int(cmp.Value) > len(c.Rules) || cmp.Op == "gt" && int(cmp.Value) >= len(c.Rules) {
				d.Diags.Errorf(cmp.Pos, diag.CodeBadValue, "condition %s %s can never hold: the correlation references %d rules", cmp.Op, cmp.Text, len(c.Rules))
			}
		}
	}
	if c.Type == EventCount || c.Type == ValueCount || c.Type == Temporal {
		if !slices.ContainsFunc(c.Condition, func(cmp Comparison) bool { return cmp.Op == "gt" || cmp.Op == "gte" || cmp.Op == "eq" }) {
			d.Diags.Warnf(c.Condition[0].Pos, diag.CodeBadValue, "a %s condition without a lower bound (gt, gte or eq) holds at a group's first match: stixcel evaluates it as matches arrive", c.Type)
		}
	}
}

// checkAliases reports aliases that name rules the correlation does not reference or
// leave one out, and warns of an alias no group-by uses.
func (d *decoder) checkAliases() {
	c := d.c
	refs := make([]string, len(c.Rules))
	for i, r := range c.Rules {
		refs[i] = r.Value
	}
	for _, a := range c.Aliases {
		for _, f := range a.ByRule {
			if !slices.Contains(refs, f.Rule.Value) {
				d.Diags.Errorf(f.Rule.Pos, diag.CodeBadValue, "alias %q names rule %q, which the correlation's rules do not list (want one of %v)", a.Name.Value, f.Rule.Value, refs)
			}
		}
		for _, ref := range refs {
			if _, ok := a.field(ref); !ok && len(a.ByRule) > 0 {
				d.Diags.Errorf(a.Name.Pos, diag.CodeMissingKey, "alias %q names no field for rule %q", a.Name.Value, ref)
			}
		}
		if !slices.ContainsFunc(c.GroupBy, func(g yamlpos.String) bool { return g.Value == a.Name.Value }) {
			d.Diags.Warnf(a.Name.Pos, diag.CodeBadValue, "alias %q is not in group-by, so it has no effect", a.Name.Value)
		}
	}
}

// alias is the alias named name, or nil.
func (c *Correlation) alias(name string) *Alias {
	for i := range c.Aliases {
		if c.Aliases[i].Name.Value == name {
			return &c.Aliases[i]
		}
	}
	return nil
}

// Referenced are the rules the correlation consumes, by name or id as written.
func Referenced(c *Correlation) []string {
	out := make([]string, len(c.Rules))
	for i, r := range c.Rules {
		out[i] = r.Value
	}
	return out
}

// Generates reports whether the referenced rules still alert on their own (`generate:
// true`); by default they only feed the correlation.
func Generates(c *Correlation) bool { return c.Generate }
