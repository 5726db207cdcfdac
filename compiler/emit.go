package compiler

import (
	"strings"
	"time"

	"github.com/stixcel/stixcel/compiler/attack"
	"github.com/stixcel/stixcel/compiler/channel"
	"github.com/stixcel/stixcel/diag"
	"github.com/stixcel/stixcel/pack"
	"github.com/stixcel/stixcel/plan"
)

// DefaultWindow is the correlation window of a binding that names none.
const DefaultWindow = 10 * time.Minute

// emit is the CEL stage: a derived selector for each channel, then the binding's predicates,
// series keys, grouping, window and condition.
func (c *compilation) emit(p *plan.Plan, a *attack.Analytic, b *pack.Binding) {
	for _, ch := range p.Channels {
		sel := channel.Derive(c.tax, ch.LogSource, ch.Channel)
		if sel.CEL == "" {
			ch.Reason = sel.Reason
			continue
		}
		ch.Selector = sel.CEL
		ch.Origin = plan.OriginDerived
		ch.Route = &plan.Route{Field: sel.Field, Values: sel.Values}
	}
	if b == nil {
		return
	}
	for _, cb := range b.Channels {
		ch := p.Channel(cb.ID.Value)
		if ch == nil {
			c.diags.Errorf(cb.ID.Pos, diag.CodeUnknownChannel,
				"analytic %s has %d log source references (c1..c%d); there is no channel %s",
				a.ID, len(p.Channels), len(p.Channels), cb.ID.Value)
			continue
		}
		if ch.LogSource == "" {
			// The runtime routes a channel by its log source and refuses one it cannot route.
			c.diags.Errorf(cb.ID.Pos, diag.CodeBundleGap,
				"analytic %s channel %s: the bundle's log source reference %s has no name, so the channel cannot be routed; bind another channel",
				a.ID, cb.ID.Value, strings.TrimPrefix(cb.ID.Value, "c"))
			continue
		}
		ch.Predicate = strings.TrimSpace(cb.When.Value)
		ch.Origin = plan.OriginBound
		ch.Reason = ""
		for _, s := range cb.SeriesBy {
			ch.SeriesBy = append(ch.SeriesBy, s.Value)
		}
	}
	for _, g := range b.GroupBy {
		p.Correlation.GroupBy = append(p.Correlation.GroupBy, g.Value)
	}
	p.Correlation.Condition = strings.TrimSpace(b.Condition.Value)
	p.Level = b.Level.Value
	for _, r := range b.References {
		p.References = append(p.References, r.Value)
	}
	c.window(p, b)
	c.warnUnboundAlerting(p, b)
}

// warnUnboundAlerting flags a binding without a condition whose plan keeps derived channels
// it did not bind: without a condition every matching event alerts, so those selectors alone
// (e.g. every Sysmon 13 event) would raise alerts.
func (c *compilation) warnUnboundAlerting(p *plan.Plan, b *pack.Binding) {
	if p.Correlation.Condition != "" {
		return
	}
	var ids []string
	for _, ch := range p.Channels {
		if ch.Origin == plan.OriginDerived {
			ids = append(ids, ch.ID)
		}
	}
	if len(ids) > 0 {
		c.diags.Warnf(b.Analytic.Pos, diag.CodeUnboundAlerting,
			"analytic %s: no condition, so derived channels %s alert on every event their selectors match; add a condition naming the channels that should alert",
			p.ID, strings.Join(ids, ", "))
	}
}

// window resolves the binding's window: a parameter name (its value, typed duration) or a
// literal duration.
func (c *compilation) window(p *plan.Plan, b *pack.Binding) {
	w := b.Window.Value
	if w == "" {
		if p.Correlation.Condition != "" {
			p.Correlation.WindowLiteral = plan.FormatDuration(DefaultWindow)
		}
		return
	}
	if prm := p.Param(w); prm != nil {
		if prm.Type.Kind() != plan.TypeDuration {
			c.diags.Errorf(b.Window.Pos, diag.CodeTypeError, "analytic %s: window parameter %s has type %s, want duration", p.ID, w, prm.Type)
			return
		}
		p.Correlation.WindowParam = w // the window follows the parameter: see plan.Plan.Window
		if prm.Value == nil {
			c.diags.Errorf(b.Window.Pos, diag.CodeMissingValue, "analytic %s: window parameter %s has no value; give it a default", p.ID, w)
		}
		return
	}
	d, err := plan.ParseDuration(w)
	if err != nil {
		c.diags.Errorf(b.Window.Pos, diag.CodeBadWindow, "analytic %s: window %q is neither a parameter nor a duration", p.ID, w)
		return
	}
	p.Correlation.WindowLiteral = plan.FormatDuration(d)
}
