package compiler

import (
	"github.com/stixcel/stixcel/compiler/attack"
	"github.com/stixcel/stixcel/compiler/params"
	"github.com/stixcel/stixcel/diag"
	"github.com/stixcel/stixcel/pack"
	"github.com/stixcel/stixcel/plan"
)

// bindParams is the params stage: every mutable element becomes a typed parameter (inferred),
// then the binding's types and defaults override it (pack), then the profile sets values
// (profile). Values are checked against the final type.
func (c *compilation) bindParams(p *plan.Plan, a *attack.Analytic, b *pack.Binding) {
	for _, m := range a.MutableElements {
		inf := params.Infer(m.Field, m.Description)
		p.Params = append(p.Params, &plan.Param{
			Name:        m.Field,
			Description: m.Description,
			Type:        plan.ParseType(inf.Type),
			Value:       inf.Value,
			Source:      plan.SourceInferred,
		})
	}
	if b != nil {
		c.applyPackParams(p, b)
	}
	c.applyProfile(p)
}

func (c *compilation) applyPackParams(p *plan.Plan, b *pack.Binding) {
	for _, spec := range b.Params {
		name := spec.Name.Value
		prm := p.Param(name)
		if prm == nil {
			prm = &plan.Param{Name: name, Description: "declared by the pack binding (not an ATT&CK mutable element)"}
			p.Params = append(p.Params, prm)
		}
		if spec.Type.Value != "" {
			typ := plan.ParseType(spec.Type.Value)
			if err := typ.Err(); err != nil {
				c.diags.Errorf(spec.Type.Pos, diag.CodeTypeError, "analytic %s param %s: %v", p.ID, name, err)
				continue
			}
			if typ.String() != prm.Type.String() {
				prm.Value = nil // an inferred value of another type does not carry over
			}
			prm.Type = typ
			prm.Source = plan.SourcePack
		}
		if spec.HasDefault {
			v, err := prm.Type.Canonical(spec.Default)
			if err != nil {
				c.diags.Errorf(spec.DefaultPos, diag.CodeTypeError, "analytic %s param %s: default: %v", p.ID, name, err)
				continue
			}
			prm.Value = v
			prm.Source = plan.SourcePack
		}
	}
}

func (c *compilation) applyProfile(p *plan.Plan) {
	for _, prm := range p.Params {
		set := c.profile.lookup(p.ID, p.StixID, prm.Name)
		if set == nil {
			continue
		}
		if err := p.SetParam(prm.Name, set.Value); err != nil {
			c.diags.Errorf(set.ValuePos, diag.CodeTypeError, "analytic %s %v", p.ID, err)
		}
	}
}

// profileIndex finds the profile setting that applies to an analytic's parameter and records
// which names were used, so that a name no loaded analytic has is reported.
type profileIndex struct {
	profile    *pack.Profile
	global     map[string]*pack.Setting
	byAnalytic map[string]map[string]*pack.Setting
	analyticOf map[string]*pack.AnalyticSettings
	used       map[*pack.Setting]bool
	seen       map[string]bool // analytic ids and STIX ids compiled
}

func indexProfile(pr *pack.Profile) *profileIndex {
	ix := &profileIndex{
		profile:    pr,
		global:     map[string]*pack.Setting{},
		byAnalytic: map[string]map[string]*pack.Setting{},
		analyticOf: map[string]*pack.AnalyticSettings{},
		used:       map[*pack.Setting]bool{},
		seen:       map[string]bool{},
	}
	if pr == nil {
		return ix
	}
	for _, s := range pr.Params {
		ix.global[s.Name.Value] = s
	}
	for _, as := range pr.Analytics {
		m := map[string]*pack.Setting{}
		for _, s := range as.Params {
			m[s.Name.Value] = s
		}
		ix.byAnalytic[as.Analytic.Value] = m
		ix.analyticOf[as.Analytic.Value] = as
	}
	return ix
}

func (ix *profileIndex) lookup(id, stixID, name string) *pack.Setting {
	ix.seen[id], ix.seen[stixID] = true, true
	for _, key := range []string{id, stixID} {
		if s, ok := ix.byAnalytic[key][name]; ok {
			ix.used[s] = true
			return s
		}
	}
	if s, ok := ix.global[name]; ok {
		ix.used[s] = true
		return s
	}
	return nil
}

// checkProfileNames reports profile entries that matched no loaded analytic or parameter.
func (c *compilation) checkProfileNames() {
	pr := c.profile.profile
	if pr == nil {
		return
	}
	for _, s := range pr.Params {
		if !c.profile.used[s] {
			c.diags.Errorf(s.Name.Pos, diag.CodeUnknownParam, "parameter %s: no loaded analytic has it", s.Name.Value)
		}
	}
	for _, as := range pr.Analytics {
		if !c.profile.seen[as.Analytic.Value] {
			c.diags.Errorf(as.Analytic.Pos, diag.CodeUnknownAnalytic, "analytic %s is not in the loaded bundles", as.Analytic.Value)
			continue
		}
		for _, s := range as.Params {
			if !c.profile.used[s] {
				c.diags.Errorf(s.Name.Pos, diag.CodeUnknownParam, "analytic %s has no parameter %s", as.Analytic.Value, s.Name.Value)
			}
		}
	}
}
