package plan

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/stixcel/stixcel/internal/termsafe"
)

// WriteText writes the plan for people, as `stixcel explain` prints it: the analytic and
// its context, each channel with its log source, data component, channel text and selector
// (or why there is none) and predicate, each parameter with its type, value and source, and
// the correlation. Control characters and bidi controls in what bundles and packs wrote are
// printed as visible escapes (internal/termsafe). It returns the first write error.
func (p *Plan) WriteText(w io.Writer) error {
	tw := &textWriter{w: w}
	if p.Rule != nil {
		tw.rule(p)
	} else {
		tw.printf("%s  %s  (version %s, modified %s)\n", p.ID, p.Name, p.Version, p.Modified)
	}
	tw.printf("  kind:        %s\n", p.Kind)
	if p.Level != "" {
		tw.printf("  level:       %s\n", p.Level)
	}
	tw.printf("  strategy:    %s\n", orNone(p.DetectionStrategy))
	tw.printf("  techniques:  %s\n", orNone(techniqueList(p.Techniques)))
	tw.printf("  domains:     %s\n", orNone(strings.Join(p.Domains, ", ")))
	tw.printf("  platforms:   %s\n", orNone(strings.Join(p.Platforms, ", ")))
	for i, a := range p.Analytics {
		label := "  analytics:   "
		if i > 0 {
			label = "               "
		}
		tw.printf("%s%s  %s  %s\n", label, a.ID, a.DetectionStrategy, a.DetectionStrategyName)
	}
	for i, r := range p.References {
		label := "  references:  "
		if i > 0 {
			label = "               "
		}
		tw.printf("%s%s\n", label, r)
	}
	tw.printf("\nchannels (%d):\n", len(p.Channels))
	for _, ch := range p.Channels {
		tw.channel(ch)
	}
	tw.printf("\nparameters (%d):\n", len(p.Params))
	for _, prm := range p.Params {
		tw.param(prm)
	}
	tw.correlation(p)
	return tw.err
}

// rule writes a Sigma plan's heading: the rule's title and id, file, status and authors.
func (t *textWriter) rule(p *Plan) {
	r := p.Rule
	t.printf("%s  %s  (Sigma rule, modified %s)\n", p.ID, r.Title, orNone(p.Modified))
	t.printf("  file:        %s\n", r.Path)
	if r.Type != "" {
		t.printf("  correlation: %s\n", r.Type)
	}
	if r.Status != "" {
		t.printf("  status:      %s\n", r.Status)
	}
	if r.Author != "" {
		t.printf("  author:      %s\n", r.Author)
	}
	if len(r.FalsePositives) > 0 {
		t.printf("  false pos.:  %s\n", strings.Join(r.FalsePositives, "; "))
	}
}

// textWriter keeps the first write error, so that WriteText reads as the text it writes.
type textWriter struct {
	w   io.Writer
	err error
}

func (t *textWriter) printf(format string, args ...any) {
	if t.err == nil {
		_, t.err = io.WriteString(t.w, termsafe.Text(fmt.Sprintf(format, args...)))
	}
}

func (t *textWriter) channel(ch *Channel) {
	dc := strings.TrimSpace(ch.DataComponent.ID + " " + ch.DataComponent.Name)
	if dc == "" {
		dc = ch.DataComponent.StixID
	}
	t.printf("  %s  %s  [%s]  %s\n", ch.ID, ch.LogSource, dc, ch.Origin)
	t.printf("      channel:   %s\n", ch.Channel)
	if ch.Selector != "" {
		t.printf("      selector:  %s\n", ch.Selector)
	} else if !ch.HasLogic() {
		t.printf("      selector:  none (%s)\n", ch.Reason)
	}
	if ch.Predicate != "" {
		t.printf("      predicate: %s\n", indent(ch.Predicate, "                 "))
	}
	if len(ch.SeriesBy) > 0 {
		t.printf("      series by: %s\n", strings.Join(ch.SeriesBy, ", "))
	}
	if len(ch.GroupBy) > 0 {
		t.printf("      group by:  %s\n", strings.Join(ch.GroupBy, ", "))
	}
}

func (t *textWriter) param(prm *Param) {
	val := "no value"
	if prm.Value != nil {
		b, _ := json.Marshal(prm.Value)
		val = "= " + string(b)
	}
	t.printf("  %s  %s %s  (%s)\n", prm.Name, prm.Type, val, prm.Source)
	if prm.Description != "" {
		t.printf("      %s\n", prm.Description)
	}
}

func (t *textWriter) correlation(p *Plan) {
	cor := p.Correlation
	if cor.Condition == "" && len(cor.GroupBy) == 0 {
		t.printf("\ncorrelation: none (each matching event stands alone)\n")
		return
	}
	window := p.Window()
	if cor.WindowParam != "" {
		window += " (" + cor.WindowParam + ")"
	}
	t.printf("\ncorrelation:\n  group by:  %s\n  window:    %s\n  condition: %s\n",
		orNone(strings.Join(cor.GroupBy, ", ")), orNone(window), indent(orNone(cor.Condition), "             "))
}

func techniqueList(ts []Technique) string {
	parts := make([]string, len(ts))
	for i, t := range ts {
		parts[i] = strings.TrimSpace(t.ID + " " + t.Name)
	}
	return strings.Join(parts, "; ")
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}

func indent(s, prefix string) string {
	return strings.ReplaceAll(strings.TrimSpace(s), "\n", "\n"+prefix)
}
