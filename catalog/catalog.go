// Package catalog finds analytics and Sigma rules among the compiled plans, for stixcel
// search: by text (ignoring case, in the analytic's id, name and description, its strategy, a
// rule's title, id, level and file, its techniques' ids and names and its channels' log
// source, data component and text), by technique (T1003 also matches its sub-techniques),
// tactic, platform, log source or data component. Every criterion given must hold; an empty
// criterion holds for every plan.
package catalog

import (
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/stixcel/stixcel/compiler/attack"
	"github.com/stixcel/stixcel/plan"
)

// Query is what a search filters on.
type Query struct {
	Text          string // a substring, any case, of the analytic's text (see the package doc)
	Technique     string // a technique id; one without a sub-technique also matches its sub-techniques
	Tactic        string // an ATT&CK tactic by short name (credential-access) or name (Credential Access)
	Platform      string // a platform, any case (Windows)
	LogSource     string // a substring, any case, of a channel's log source (sysmon)
	DataComponent string // a substring, any case, of a channel's data component id or name
}

// Hit is one analytic found, as search --json writes it.
type Hit struct {
	ID         string           `json:"id"`
	Name       string           `json:"name"`
	Strategy   string           `json:"strategy"`
	Techniques []plan.Technique `json:"techniques"`
	Platforms  []string         `json:"platforms"`
	Kind       plan.Kind        `json:"kind"`
	Bound      bool             `json:"bound"` // a pack binding (or a Sigma rule) supplies a channel
	LogSources []string         `json:"log_sources"`
	// Origin is "sigma" for a Sigma rule ("" for an ATT&CK analytic), with its level and file.
	Origin plan.Origin `json:"origin,omitempty"`
	Level  string      `json:"level,omitempty"`
	Path   string      `json:"path,omitempty"`
}

// IsRule reports whether the hit is a Sigma rule.
func (h Hit) IsRule() bool { return h.Origin == plan.OriginSigma }

// Find returns the plans that match q, in their order (empty, not nil, when none does: JSON
// []); ix gives each plan's analytic (its description and strategy), nil when the plans were
// not compiled from an index.
func Find(plans []*plan.Plan, ix *attack.Index, q Query) []Hit {
	hits := []Hit{}
	for _, p := range plans {
		var a *attack.Analytic
		if ix != nil {
			a = ix.Analytic(p.StixID)
		}
		if q.Matches(p, a) {
			hits = append(hits, hitOf(p, a))
		}
	}
	return hits
}

// Matches reports whether the plan, of analytic a (nil when unknown), meets every criterion.
func (q Query) Matches(p *plan.Plan, a *attack.Analytic) bool {
	return q.matchesText(p, a) &&
		(q.Technique == "" || slices.ContainsFunc(p.Techniques, func(t plan.Technique) bool { return techniqueMatches(t.ID, strings.ToUpper(q.Technique)) })) &&
		(q.Platform == "" || slices.ContainsFunc(p.Platforms, func(pl string) bool { return strings.EqualFold(pl, q.Platform) })) &&
		(q.LogSource == "" || slices.ContainsFunc(p.Channels, func(ch *plan.Channel) bool { return containsFold(ch.LogSource, q.LogSource) })) &&
		(q.DataComponent == "" || slices.ContainsFunc(p.Channels, func(ch *plan.Channel) bool {
			return containsFold(ch.DataComponent.ID+" "+ch.DataComponent.Name, q.DataComponent)
		})) &&
		(q.Tactic == "" || slices.ContainsFunc(p.Techniques, func(t plan.Technique) bool { return hasTactic(t, q.Tactic) }))
}

func (q Query) matchesText(p *plan.Plan, a *attack.Analytic) bool {
	if q.Text == "" {
		return true
	}
	fields := []string{p.ID, p.Name, strategyText(p, a)}
	if a != nil {
		fields = append(fields, a.Description)
	}
	if r := p.Rule; r != nil {
		fields = append(fields, r.ID, r.Title, r.Level, r.Path)
	}
	for _, t := range p.Techniques {
		fields = append(fields, t.ID, t.Name)
	}
	for _, ch := range p.Channels {
		fields = append(fields, ch.LogSource, ch.DataComponent.Name, ch.Channel)
	}
	return slices.ContainsFunc(fields, func(s string) bool { return containsFold(s, q.Text) })
}

func hitOf(p *plan.Plan, a *attack.Analytic) Hit {
	h := Hit{ID: p.ID, Name: p.Name, Strategy: strategyText(p, a), Techniques: p.Techniques, Platforms: p.Platforms, Kind: p.Kind, Origin: p.Origin, Level: p.Level}
	if p.Rule != nil {
		h.Path = p.Rule.Path
	}
	for _, ch := range p.Channels {
		h.Bound = h.Bound || ch.HasLogic()
		if !slices.Contains(h.LogSources, ch.LogSource) {
			h.LogSources = append(h.LogSources, ch.LogSource)
		}
	}
	return h
}

// WriteText writes one line per hit: id, kind, bound or unbound, technique ids, platforms
// and strategy, in columns; a Sigma rule's line says "sigma" and its level, and ends with
// its title and file.
func WriteText(w io.Writer, hits []Hit) error {
	var b strings.Builder
	for _, h := range hits {
		if h.IsRule() {
			fmt.Fprintf(&b, "%-7s %-9s %-7s %-22s %-18s %s (%s)\n", h.ID, "sigma", orNone(h.Level), h.TechniqueIDs(), strings.Join(h.Platforms, ","), h.Name, h.Path)
			continue
		}
		bound := "unbound"
		if h.Bound {
			bound = "bound"
		}
		fmt.Fprintf(&b, "%-7s %-9s %-7s %-22s %-18s %s\n", h.ID, h.Kind, bound, h.TechniqueIDs(), strings.Join(h.Platforms, ","), h.Strategy)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// techniqueMatches reports whether technique has the id want: the same id, or a
// sub-technique of want when want names no sub-technique.
func techniqueMatches(technique, want string) bool {
	technique = strings.ToUpper(technique)
	return technique == want || (!strings.Contains(want, ".") && strings.HasPrefix(technique, want+"."))
}

// TechniqueIDs lists the ids of the hit's techniques: "T1003.001, T1003.002".
func (h Hit) TechniqueIDs() string {
	ids := make([]string, len(h.Techniques))
	for i, t := range h.Techniques {
		ids[i] = t.ID
	}
	return strings.Join(ids, ", ")
}

// strategyText names the plan's detection strategy: "DET0363 Detection of ...", or its id
// alone when the loaded bundles lack the strategy object ("none" without one).
func strategyText(p *plan.Plan, a *attack.Analytic) string {
	if a != nil && a.Strategy != nil && a.Strategy.Name != "" {
		return a.Strategy.ID + " " + a.Strategy.Name
	}
	if p.DetectionStrategy == "" {
		return "none"
	}
	return p.DetectionStrategy
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}

func containsFold(s, sub string) bool {
	return strings.Contains(strings.ToLower(s), strings.ToLower(sub))
}

// hasTactic reports whether the technique belongs to the tactic, named by its ATT&CK short
// name (credential-access) or its name (Credential Access).
func hasTactic(t plan.Technique, tactic string) bool {
	want := strings.ReplaceAll(strings.ToLower(strings.TrimSpace(tactic)), " ", "-")
	return slices.ContainsFunc(t.Tactics, func(have string) bool {
		return strings.ReplaceAll(strings.ToLower(have), " ", "-") == want
	})
}
