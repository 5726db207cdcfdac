package compiler

import (
	"strings"

	"github.com/stixcel/stixcel/compiler/attack"
	"github.com/stixcel/stixcel/diag"
	"github.com/stixcel/stixcel/pack"
	"github.com/stixcel/stixcel/plan"
)

// resolve is the first stage: the plan's identity and ATT&CK context, and one channel per log
// source reference with nothing to match on yet.
func resolve(a *attack.Analytic) *plan.Plan {
	p := &plan.Plan{
		ID:         a.ID,
		StixID:     a.StixID,
		Name:       a.Name,
		Version:    a.Version,
		Modified:   a.Modified,
		Domains:    nonNil(a.Domains),
		Platforms:  nonNil(a.Platforms),
		Techniques: []plan.Technique{},
		Channels:   make([]*plan.Channel, 0, len(a.LogSources)),
		Params:     []*plan.Param{},
		Correlation: plan.Correlation{
			GroupBy: []string{},
		},
	}
	if a.Strategy != nil {
		p.DetectionStrategy, p.DetectionStrategyName = a.Strategy.ID, a.Strategy.Name
	} else {
		p.DetectionStrategy = a.StrategyFromURL
	}
	for _, t := range a.Techniques {
		p.Techniques = append(p.Techniques, plan.Technique{ID: t.ID, Name: techniqueName(t), Tactics: nonNil(t.Tactics)})
	}
	for i, ls := range a.LogSources {
		p.Channels = append(p.Channels, &plan.Channel{
			ID:        chanID(i),
			LogSource: ls.Name,
			DataComponent: plan.DataComponent{
				ID:     ls.DataComponent.ID,
				Name:   ls.DataComponent.Name,
				StixID: ls.DataComponent.StixID,
			},
			Channel: ls.Channel,
			Fields:  []string{},
			Origin:  plan.OriginNone,
		})
	}
	return p
}

// techniqueName prefixes a sub-technique with its parent, as ATT&CK writes it:
// "OS Credential Dumping: LSASS Memory".
func techniqueName(t attack.Technique) string {
	if t.Parent != nil && t.Parent.Name != "" && !strings.HasPrefix(t.Name, t.Parent.Name+":") {
		return t.Parent.Name + ": " + t.Name
	}
	return t.Name
}

// resolveBindingTechniques fills techniques from the binding when the bundle lacks the
// detection strategy, and warns when both exist and disagree (the bundle wins).
func (c *compilation) resolveBindingTechniques(p *plan.Plan, a *attack.Analytic, b *pack.Binding) {
	if len(b.Techniques) == 0 {
		return
	}
	if a.Strategy == nil || len(p.Techniques) == 0 {
		for _, t := range b.Techniques {
			id, name := splitTechnique(t.Value)
			known := c.technique(id)
			if name == "" {
				name = known.Name
			}
			p.Techniques = append(p.Techniques, plan.Technique{ID: id, Name: name, Tactics: nonNil(known.Tactics)})
		}
		return
	}
	have := map[string]bool{}
	for _, t := range p.Techniques {
		have[t.ID] = true
	}
	for _, t := range b.Techniques {
		id, _ := splitTechnique(t.Value)
		if !have[id] {
			c.diags.Warnf(t.Pos, diag.CodeTechniqueMismatch,
				"analytic %s: binding names technique %s but the bundle's detection strategy %s detects %s; the bundle wins",
				a.ID, id, p.DetectionStrategy, techniqueIDs(p.Techniques))
		}
	}
}

// splitTechnique reads "T1509" or "T1509 Non-Standard Port".
func splitTechnique(s string) (id, name string) {
	id, name, _ = strings.Cut(strings.TrimSpace(s), " ")
	return id, strings.TrimSpace(name)
}

func techniqueIDs(ts []plan.Technique) string {
	ids := make([]string, len(ts))
	for i, t := range ts {
		ids[i] = t.ID
	}
	return strings.Join(ids, ", ")
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return append([]string(nil), s...)
}

// technique finds a technique (its name as ATT&CK writes it, and its tactics) among those
// the loaded analytics detect; the zero value if none.
func (c *compilation) technique(id string) plan.Technique {
	if c.techniques == nil {
		c.techniques = map[string]plan.Technique{}
		for _, a := range c.ix.Analytics {
			for _, t := range a.Techniques {
				c.techniques[t.ID] = plan.Technique{ID: t.ID, Name: techniqueName(t), Tactics: t.Tactics}
			}
		}
	}
	return c.techniques[id]
}
