package correlation

import (
	"fmt"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/stixcel/stixcel/compiler/sigma/mapping"
	"github.com/stixcel/stixcel/diag"
	"github.com/stixcel/stixcel/plan"
)

// Base is a referenced rule as the planner compiled it: its plan, and the mapping target
// each of its channels was compiled for (Targets[i] for Plan.Channels[i]), through which
// Sigma field names become event field names. Without Targets, fields are read as named.
type Base struct {
	Plan    *plan.Plan
	Targets []mapping.Target
}

// Build returns the plan of the correlation over the plans lookup finds for its rules (by
// name or id as written): kind detection; the referenced plans' channels copied and
// renumbered c1..cN in the order of `rules`, each channel's text naming its rule ("rule
// failed_login: ..."); the group-by names as the plan's group_by, each channel reading them
// from its own event fields (plan.Channel.GroupBy) through the aliases and its target; the
// timespan as the window; and the condition of the type. The planner fills the plan's
// identity, rule and techniques. Errors are at the construct's file:line:col.
//
// A channel's events that lack a group-by field (or the aggregated field of a value_*
// correlation) do not take part: its predicate requires them, as a query's group-by drops
// events without the field.
func Build(c *Correlation, lookup func(ref string) (*Base, bool)) (*plan.Plan, error) {
	b := &builder{c: c}
	for _, ref := range c.Rules {
		base, ok := lookup(ref.Value)
		if !ok || base == nil || base.Plan == nil {
			return nil, b.errorf(ref.Pos, "correlation rule %q: no loaded Sigma rule has this name or id", ref.Value)
		}
		if err := b.add(ref.Value, base); err != nil {
			return nil, fmt.Errorf("%s: %w", ref.Pos, err)
		}
	}
	groupBy, err := b.groupFields()
	if err != nil {
		return nil, err
	}
	return &plan.Plan{
		Kind:     plan.KindDetection,
		Channels: b.channels,
		Correlation: plan.Correlation{
			GroupBy:       groupBy,
			WindowLiteral: plan.FormatDuration(c.Timespan),
			Condition:     b.condition(),
		},
	}, nil
}

// builder collects the channels of the referenced rules.
type builder struct {
	c        *Correlation
	channels []*plan.Channel
	refOf    []string         // per channel: the rule reference
	targetOf []mapping.Target // per channel: its target (zero: fields read as named)
	byRule   [][]string       // per referenced rule: its channel ids
}

func (b *builder) errorf(pos diag.Pos, format string, args ...any) error {
	return fmt.Errorf("%s: %s", pos, fmt.Sprintf(format, args...))
}

// add copies the channels of one referenced rule's plan.
func (b *builder) add(ref string, base *Base) error {
	p := base.Plan
	switch {
	case p.Correlation.Condition != "":
		return fmt.Errorf("correlation rule %q is itself a correlation: correlations of correlations are not supported yet", ref)
	case p.Kind != plan.KindDetection || len(p.Channels) == 0:
		return fmt.Errorf("correlation rule %q has no detection channel to correlate (its plan is %s)", ref, p.Kind)
	case base.Targets != nil && len(base.Targets) != len(p.Channels):
		return fmt.Errorf("correlation rule %q: %d targets for %d channels", ref, len(base.Targets), len(p.Channels))
	}
	var ids []string
	for i, src := range p.Channels {
		ch := *src
		ch.ID = fmt.Sprintf("c%d", len(b.channels)+1)
		ch.Channel = "rule " + ref
		if src.Channel != "" {
			ch.Channel += ": " + src.Channel
		}
		ch.SeriesBy, ch.GroupBy = nil, nil
		ch.Fields = slices.Clone(src.Fields)
		var t mapping.Target
		if base.Targets != nil {
			t = base.Targets[i]
		}
		b.channels = append(b.channels, &ch)
		b.refOf = append(b.refOf, ref)
		b.targetOf = append(b.targetOf, t)
		ids = append(ids, ch.ID)
	}
	b.byRule = append(b.byRule, ids)
	return nil
}

// eventField is the event field holding the Sigma field (or alias) name in channel i's
// events.
func (b *builder) eventField(i int, name string) string {
	if a := b.c.alias(name); a != nil {
		if f, ok := a.field(b.refOf[i]); ok {
			name = f.Value
		}
	}
	return b.targetOf[i].EventField(name)
}

// groupFields resolves the group-by names to each channel's event fields (through the
// aliases and its target), written as the channel's GroupBy where they differ from the
// names; requires them (and the aggregated fields) in every channel's predicate; and sets
// the series of value_* correlations. The plan's group_by are the names as written.
func (b *builder) groupFields() ([]string, error) {
	names := make([]string, len(b.c.GroupBy))
	for k, g := range b.c.GroupBy {
		names[k] = g.Value
	}
	for i, ch := range b.channels {
		fields := make([]string, len(names))
		for k, name := range names {
			fields[k] = b.eventField(i, name)
		}
		if !slices.Equal(fields, names) {
			ch.GroupBy = fields
		}
		required := slices.Clone(fields)
		if b.c.Type.aggregates() {
			for _, f := range b.c.Fields {
				ch.SeriesBy = append(ch.SeriesBy, b.eventField(i, f.Value))
			}
			required = append(required, ch.SeriesBy...)
		}
		ch.Predicate = requireFields(ch.Predicate, required)
		for _, f := range required {
			if !slices.Contains(ch.Fields, f) {
				ch.Fields = append(ch.Fields, f)
			}
		}
	}
	return names, nil
}

var identRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// celReserved are CEL's reserved words, which cannot follow a dot.
var celReserved = map[string]bool{
	"as": true, "break": true, "const": true, "continue": true, "else": true, "for": true,
	"function": true, "if": true, "import": true, "let": true, "loop": true, "package": true,
	"namespace": true, "return": true, "var": true, "void": true, "while": true,
	"in": true, "true": true, "false": true, "null": true,
}

// present is CEL that holds when the event has field, not null.
func present(field string) string {
	if identRE.MatchString(field) && !celReserved[field] {
		return "has(event." + field + ") && event." + field + " != null"
	}
	q := strconv.Quote(field)
	return q + " in event && event[" + q + "] != null"
}

// requireFields ands the presence of fields to a predicate.
func requireFields(pred string, fields []string) string {
	if len(fields) == 0 {
		return pred
	}
	parts := make([]string, 0, len(fields)+1)
	if strings.TrimSpace(pred) != "" {
		parts = append(parts, "("+pred+")")
	}
	for _, f := range fields {
		parts = append(parts, present(f))
	}
	return strings.Join(parts, " && ")
}

// condition is the CEL of the correlation's type over the channels.
func (b *builder) condition() string {
	switch b.c.Type {
	case EventCount:
		counts := make([]string, len(b.channels))
		for i, ch := range b.channels {
			counts[i] = "channels." + ch.ID + ".count"
		}
		return b.compare(strings.Join(counts, " + "))
	case ValueCount:
		return b.compare("distinct(" + b.stateList() + ")")
	case ValueSum:
		return b.compare("sum(" + b.stateList() + ")")
	case ValueAvg:
		return b.compare("avg(" + b.stateList() + ")")
	case ValuePercentile:
		fn := "minShare"
		if op := b.c.Condition[0].Op; op == "gt" || op == "gte" {
			fn = "maxShare"
		}
		return b.compare(fn + "(" + b.stateList() + ")")
	case Temporal:
		if len(b.c.Condition) == 0 {
			return b.eachRule(" && ", func(any string) string { return any })
		}
		return b.compare(b.eachRule(" + ", func(any string) string { return "(" + any + " ? 1 : 0)" }))
	case TemporalOrdered:
		groups := make([]string, len(b.byRule))
		for r, ids := range b.byRule {
			groups[r] = "[" + strings.Join(prefixed("channels.", ids), ", ") + "]"
		}
		return "inOrder([" + strings.Join(groups, ", ") + "])"
	}
	return "false"
}

// eachRule joins, per referenced rule, wrap of "one of its channels matched".
func (b *builder) eachRule(sep string, wrap func(string) string) string {
	parts := make([]string, len(b.byRule))
	for r, ids := range b.byRule {
		matched := strings.Join(ids, " || ")
		if len(ids) > 1 {
			matched = "(" + matched + ")"
		}
		parts[r] = wrap(matched)
	}
	return strings.Join(parts, sep)
}

// stateList is the CEL list of every channel's state.
func (b *builder) stateList() string {
	ids := make([]string, len(b.channels))
	for i, ch := range b.channels {
		ids[i] = ch.ID
	}
	return "[" + strings.Join(prefixed("channels.", ids), ", ") + "]"
}

func prefixed(prefix string, ids []string) []string {
	out := make([]string, len(ids))
	for i, id := range ids {
		out[i] = prefix + id
	}
	return out
}

// compare ands the condition's comparisons of x.
func (b *builder) compare(x string) string {
	parts := make([]string, len(b.c.Condition))
	for i, cmp := range b.c.Condition {
		parts[i] = "(" + x + ") " + ops[cmp.Op] + " " + number(cmp.Value)
	}
	return strings.Join(parts, " && ")
}

// number writes x as a CEL literal: an int when it is one, a double otherwise.
func number(x float64) string {
	if x == math.Trunc(x) && math.Abs(x) < 1<<53 {
		return strconv.FormatInt(int64(x), 10)
	}
	return strconv.FormatFloat(x, 'g', -1, 64)
}
