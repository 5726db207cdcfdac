package planner

import (
	"regexp"
	"slices"
	"sort"
	"strings"

	"github.com/stixcel/stixcel/compiler/sigma"
	"github.com/stixcel/stixcel/compiler/sigma/mapping"
	"github.com/stixcel/stixcel/plan"
)

// linker ties rules to ATT&CK through the compiled analytics: technique names and tactics,
// the data component of a log source target, and the analytics of a technique.
type linker struct {
	techniques map[string]plan.Technique // by id
	byTech     map[string][]*plan.Plan   // technique id: the analytics that detect it, in set order
	channels   []*plan.Channel           // every analytic channel with a log source, in set order
}

func newLinker(attack []*plan.Plan) *linker {
	l := &linker{techniques: map[string]plan.Technique{}, byTech: map[string][]*plan.Plan{}}
	for _, p := range attack {
		if p == nil || p.Origin == plan.OriginSigma {
			continue
		}
		for _, t := range p.Techniques {
			if _, ok := l.techniques[t.ID]; !ok || len(t.Tactics) > 0 {
				l.techniques[t.ID] = t
			}
			l.byTech[t.ID] = append(l.byTech[t.ID], p)
		}
		for _, ch := range p.Channels {
			if ch.LogSource != "" {
				l.channels = append(l.channels, ch)
			}
		}
	}
	return l
}

var (
	techniqueTag = regexp.MustCompile(`(?i)^attack\.(t\d{4}(?:\.\d{3})?)$`)
	tacticTag    = regexp.MustCompile(`(?i)^attack\.([a-z][a-z-]*)$`) // attack.credential-access; not groups (g0001) or software (s0002)
)

// techniques are the rule's `attack.t…` tags as techniques: with the name and tactics the
// analytics give them, else as written with the rule's tactic tags.
func (p *planning) techniques(r *sigma.Rule) []plan.Technique {
	out := []plan.Technique{}
	var tactics []string
	for _, tag := range r.Tags {
		if m := tacticTag.FindStringSubmatch(tag.Value); m != nil {
			tactics = append(tactics, strings.ToLower(m[1]))
		}
	}
	for _, tag := range r.Tags {
		m := techniqueTag.FindStringSubmatch(tag.Value)
		if m == nil {
			continue
		}
		id := strings.ToUpper(m[1])
		if slices.ContainsFunc(out, func(t plan.Technique) bool { return t.ID == id }) {
			continue
		}
		t, ok := p.links.techniques[id]
		if !ok {
			t = plan.Technique{ID: id, Tactics: append([]string{}, tactics...)}
			if p.opts.WarnUnknownTechniques {
				p.res.Diagnostics.Warnf(tag.Pos, CodeUnknownTechnique, "%s: technique %s is not detected by any analytic of the loaded bundles (SigmaHQ tags follow a later ATT&CK, whose ids may differ); kept as written", ruleName(r), id)
			}
		}
		out = append(out, t)
	}
	return out
}

// dataComponent is the data component ATT&CK's analytics give events of target t: that of
// the first analytic channel with t's log source and one of its event codes.
func (l *linker) dataComponent(t mapping.Target) plan.DataComponent {
	for _, ch := range l.channels {
		if ch.LogSource == t.LogSource && ch.DataComponent.ID != "" && codesMeet(ch.Route, t.EventCodes) {
			return ch.DataComponent
		}
	}
	return plan.DataComponent{}
}

// codesMeet reports whether a channel's EventCode route shares a code with codes.
func codesMeet(r *plan.Route, codes []int) bool {
	if r == nil || r.Field != "EventCode" || len(codes) == 0 {
		return false
	}
	for _, v := range r.Values {
		if n, ok := v.(int64); ok && slices.Contains(codes, int(n)) {
			return true
		}
	}
	return false
}

// link sets pl.Analytics: the analytics of its techniques with a channel on one of its
// channels' log sources and data components, ordered by id.
func (l *linker) link(pl *plan.Plan) {
	seen := map[string]bool{}
	for _, t := range pl.Techniques {
		for _, a := range l.byTech[t.ID] {
			if seen[a.ID] || !readsSame(a, pl) {
				continue
			}
			seen[a.ID] = true
			pl.Analytics = append(pl.Analytics, plan.AnalyticRef{
				ID: a.ID, Name: a.Name, DetectionStrategy: a.DetectionStrategy, DetectionStrategyName: a.DetectionStrategyName,
			})
		}
	}
	sort.Slice(pl.Analytics, func(i, j int) bool { return pl.Analytics[i].ID < pl.Analytics[j].ID })
}

// readsSame reports whether analytic a has a channel on the log source and data component of
// one of rule plan r's channels.
func readsSame(a, r *plan.Plan) bool {
	for _, rc := range r.Channels {
		for _, ac := range a.Channels {
			if ac.LogSource == rc.LogSource && rc.DataComponent.ID != "" && ac.DataComponent.ID == rc.DataComponent.ID {
				return true
			}
		}
	}
	return false
}
