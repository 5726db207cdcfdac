package coverage

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
)

// Layer is an ATT&CK Navigator layer, format 4.5: the fields stixcel writes.
type Layer struct {
	Name        string           `json:"name"`
	Versions    LayerVersions    `json:"versions"`
	Domain      string           `json:"domain"`
	Description string           `json:"description"`
	Techniques  []LayerTechnique `json:"techniques"`
	Gradient    LayerGradient    `json:"gradient"`
	Filters     *LayerFilters    `json:"filters,omitempty"`
	LegendItems []LegendItem     `json:"legendItems"`
	Metadata    []Metadata       `json:"metadata"`
}

// LayerVersions are the versions a layer was written for.
type LayerVersions struct {
	Attack    string `json:"attack"`
	Navigator string `json:"navigator"`
	Layer     string `json:"layer"`
}

// LayerFilters are what the Navigator shows of the matrix: the platforms.
type LayerFilters struct {
	Platforms []string `json:"platforms"`
}

// LayerTechnique scores one technique under one tactic.
type LayerTechnique struct {
	TechniqueID string     `json:"techniqueID"`
	Tactic      string     `json:"tactic"`
	Score       int        `json:"score"`
	Color       string     `json:"color"`
	Comment     string     `json:"comment"`
	Enabled     bool       `json:"enabled"`
	Metadata    []Metadata `json:"metadata"`
}

// Metadata is a name and value shown with a technique or layer.
type Metadata struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// LayerGradient colours scores from minValue to maxValue.
type LayerGradient struct {
	Colors   []string `json:"colors"`
	MinValue int      `json:"minValue"`
	MaxValue int      `json:"maxValue"`
}

// LegendItem explains one colour.
type LegendItem struct {
	Label string `json:"label"`
	Color string `json:"color"`
}

// colors of the statuses, and the layer's gradient through them.
var colors = map[Status]string{Tested: "#31a354", Untested: "#a1d99b", Selector: "#fee391", Inert: "#d9d9d9"}

// Layer is the report as a Navigator layer for ATT&CK version attack ("18"). A report
// restricted to platforms names them after name, "stixcel coverage (Windows)", and filters
// the matrix on them.
func (r *Report) Layer(name, attack string) Layer {
	if len(r.Platforms) > 0 {
		name += " (" + strings.Join(r.Platforms, ", ") + ")"
	}
	l := Layer{
		Name:     name,
		Versions: LayerVersions{Attack: attack, Navigator: "5.1.0", Layer: "4.5"},
		Domain:   r.Domain,
		Description: "stixcel coverage: each technique scores as its best analytic or Sigma rule: 100 a detection plan whose tests pass " +
			"(a binding's pack tests, a rule's regression tests), 70 a detection plan without passing tests, 30 a selector plan (finds telemetry, does not alert), 0 inert",
		Gradient: LayerGradient{Colors: []string{colors[Inert], colors[Selector], colors[Untested], colors[Tested]}, MinValue: 0, MaxValue: 100},
		Metadata: []Metadata{{Name: "generator", Value: "stixcel coverage"}},
	}
	for _, s := range Statuses {
		l.LegendItems = append(l.LegendItems, LegendItem{Label: legend(s), Color: colors[s]})
	}
	for _, t := range r.Techniques {
		l.Techniques = append(l.Techniques, layerTechnique(t))
	}
	if l.Techniques == nil {
		l.Techniques = []LayerTechnique{}
	}
	if len(r.Platforms) > 0 {
		l.Filters = &LayerFilters{Platforms: r.Platforms}
	}
	return l
}

// Write writes the layer as indented JSON, the file the Navigator opens.
func (l Layer) Write(w io.Writer) error {
	data, err := json.MarshalIndent(l, "", "  ")
	if err != nil {
		return err
	}
	_, err = w.Write(append(data, '\n'))
	return err
}

func legend(s Status) string {
	switch s {
	case Tested:
		return "detection plan, tests pass"
	case Untested:
		return "detection plan, no passing tests"
	case Selector:
		return "selector plan (telemetry, no alert)"
	}
	return "inert analytic"
}

func layerTechnique(t Technique) LayerTechnique {
	lt := LayerTechnique{TechniqueID: t.ID, Tactic: t.Tactic, Score: t.Status.Score(), Color: colors[t.Status], Enabled: true}
	by := map[Status][]string{}
	for _, a := range t.Analytics {
		by[a.Status] = append(by[a.Status], a.Label()+feedText(a.Feed))
	}
	var parts []string
	for _, s := range Statuses {
		if ids := by[s]; len(ids) > 0 {
			parts = append(parts, fmt.Sprintf("%s: %s", s, strings.Join(ids, ", ")))
			lt.Metadata = append(lt.Metadata, Metadata{Name: string(s), Value: strings.Join(ids, ", ")})
		}
	}
	lt.Comment = strings.Join(parts, "; ")
	return lt
}

// feedText says what the telemetry fed: " (fed)", " (2/3 channels seen)", " (no telemetry)".
func feedText(f *Feed) string {
	switch {
	case f == nil:
		return ""
	case f.Fed():
		return " (fed)"
	case f.Observed > 0:
		return fmt.Sprintf(" (%d/%d channels seen)", f.Observed, f.Channels)
	}
	return " (no telemetry)"
}

// WriteText writes a table per tactic: techniques by status, the analytics and those fed,
// and, when Sigma rules were loaded, the rules.
func (r *Report) WriteText(w io.Writer) error {
	type row struct {
		counts   map[Status]int
		analytic map[string]bool
		fed      map[string]bool
		rules    map[string]bool
	}
	rows := map[string]*row{}
	var tactics []string
	anyRule := false
	for _, t := range r.Techniques {
		rw := rows[t.Tactic]
		if rw == nil {
			rw = &row{counts: map[Status]int{}, analytic: map[string]bool{}, fed: map[string]bool{}, rules: map[string]bool{}}
			rows[t.Tactic] = rw
			tactics = append(tactics, t.Tactic)
		}
		rw.counts[t.Status]++
		for _, a := range t.Analytics {
			if a.Rule != "" {
				rw.rules[a.ID], anyRule = true, true
				continue
			}
			rw.analytic[a.ID] = true
			if a.Feed != nil && a.Feed.Fed() {
				rw.fed[a.ID] = true
			}
		}
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%-24s %10s %6s %8s %8s %6s %9s %4s", "tactic", "techniques", "tested", "untested", "selector", "inert", "analytics", "fed")
	if anyRule {
		fmt.Fprintf(&b, " %5s", "rules")
	}
	b.WriteByte('\n')
	for _, tactic := range tactics {
		rw := rows[tactic]
		total := rw.counts[Tested] + rw.counts[Untested] + rw.counts[Selector] + rw.counts[Inert]
		fmt.Fprintf(&b, "%-24s %10d %6d %8d %8d %6d %9d %4d", tactic, total, rw.counts[Tested], rw.counts[Untested],
			rw.counts[Selector], rw.counts[Inert], len(rw.analytic), len(rw.fed))
		if anyRule {
			fmt.Fprintf(&b, " %5d", len(rw.rules))
		}
		b.WriteByte('\n')
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// WriteMarkdown writes the techniques that detection plans cover as a Markdown table, by
// tactic then technique: the analytics with their status (tested, untested).
func (r *Report) WriteMarkdown(w io.Writer) error {
	var b strings.Builder
	b.WriteString("| tactic | technique | analytics |\n|---|---|---|\n")
	for _, t := range r.Techniques {
		var ids []string
		for _, a := range t.Analytics {
			switch a.Status {
			case Tested:
				ids = append(ids, a.Label())
			case Untested:
				ids = append(ids, a.Label()+" (untested)")
			}
		}
		if len(ids) > 0 {
			fmt.Fprintf(&b, "| %s | %s %s | %s |\n", t.Tactic, t.ID, t.Name, strings.Join(ids, ", "))
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}
