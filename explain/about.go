package explain

import (
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/stixcel/stixcel/analytics"
	"github.com/stixcel/stixcel/catalog"
	"github.com/stixcel/stixcel/compiler"
	"github.com/stixcel/stixcel/compiler/attack"
	"github.com/stixcel/stixcel/internal/termsafe"
	"github.com/stixcel/stixcel/plan"
)

// Stage returns the compiler stage named name ("" for every stage), or an error listing the
// stages.
func Stage(name string) (compiler.Stage, error) {
	st := compiler.Stage(name)
	if st != "" && !slices.Contains(compiler.Stages(), st) {
		return "", fmt.Errorf("unknown stage %q (want one of %s)", name, StageNames())
	}
	return st, nil
}

// CheckTrace refuses --events (events: files to trace) with what it cannot go with: a
// technique id (a trace is of one analytic) or a stage (the plan must be complete to run);
// --source (source) maps the events, so it needs them.
func CheckTrace(id string, events bool, stage, source string) error {
	switch {
	case !events && source != "":
		return errors.New("--source maps the raw events of --events: give --events FILE too")
	case !events:
		return nil
	case IsTechniqueID(id):
		return fmt.Errorf("--events traces one analytic, not technique %s: stixcel explain %s lists its analytics", id, id)
	case stage != "":
		return fmt.Errorf("--events runs the complete plan: leave out --stage %s", stage)
	}
	return nil
}

// StageNames lists the compiler's stages in order: "decode, resolve, …".
func StageNames() string {
	var names []string
	for _, s := range compiler.Stages() {
		names = append(names, string(s))
	}
	return strings.Join(names, ", ")
}

// NotLoaded is the error of an analytic id that is not among the loaded plans; seedOnly says
// no bundle was named, so the error says which to pass.
func NotLoaded(id string, seedOnly bool) error {
	return fmt.Errorf("analytic %s is not in the loaded bundles%s", id, seedOnlyHint(seedOnly))
}

// NoTechnique is the error of a technique id that no loaded plan detects (see NotLoaded).
func NoTechnique(id string, seedOnly bool) error {
	return fmt.Errorf("no analytic of the loaded bundles detects technique %s%s", id, seedOnlyHint(seedOnly))
}

func seedOnlyHint(seedOnly bool) string {
	if !seedOnly {
		return ""
	}
	return " (only the embedded seed bundle " + analytics.SeedName + " is loaded; pass --bundle with the ATT&CK bundle that has it, such as enterprise-attack-….json)"
}

// WriteTechnique lists the plans of technique id (OfTechnique; any letter case), one line each: id, kind,
// techniques and detection strategy (as search finds it: by name when ix has it), escaped
// for a terminal (termsafe).
func WriteTechnique(w io.Writer, id string, plans []*plan.Plan, ix *attack.Index) error {
	hits := catalog.Find(plans, ix, catalog.Query{})
	var b strings.Builder
	scope := strings.ToUpper(id)
	if !strings.Contains(id, ".") {
		scope += " and its sub-techniques"
	}
	what := "analytics"
	if len(hits) == 1 {
		what = "analytic"
	}
	if rules := rulesAmong(hits); rules > 0 {
		fmt.Fprintf(&b, "%s: %s and %s (stixcel explain ANALYTIC_ID|RULE for one)\n", scope, plural(len(hits)-rules, "analytic"), plural(rules, "Sigma rule"))
	} else {
		fmt.Fprintf(&b, "%s: %d %s (stixcel explain ANALYTIC_ID for one)\n", scope, len(hits), what)
	}
	for _, h := range hits {
		if h.IsRule() {
			fmt.Fprintf(&b, "  %-7s %-9s %-10s %s\n", h.ID, "sigma", h.TechniqueIDs(), h.Name)
			continue
		}
		fmt.Fprintf(&b, "  %-7s %-9s %-10s %s\n", h.ID, h.Kind, h.TechniqueIDs(), h.Strategy)
	}
	_, err := io.WriteString(w, termsafe.Text(b.String())) // names from the bundles
	return err
}

// rulesAmong counts the Sigma rules among the hits.
func rulesAmong(hits []catalog.Hit) int {
	n := 0
	for _, h := range hits {
		if h.IsRule() {
			n++
		}
	}
	return n
}

// WriteAbout writes what a plan does not carry: the analytic's detection strategy by name
// and its description, wrapped, escaped for a terminal (termsafe); nothing for a nil
// analytic.
func WriteAbout(w io.Writer, a *attack.Analytic) error {
	if a == nil {
		return nil
	}
	strategy := orNone(a.StrategyFromURL) + " (not in the loaded bundles)"
	if a.Strategy != nil {
		strategy = strings.TrimSpace(a.Strategy.ID + "  " + a.Strategy.Name)
	}
	text := fmt.Sprintf("\ndetection strategy:\n  %s\n\ndescription:\n%s\n", strategy, wrap(orNone(a.Description), "  ", 96))
	_, err := io.WriteString(w, termsafe.Text(text)) // the bundles wrote it
	return err
}

// wrap breaks text into lines of at most width characters (a longer word stands alone), each
// starting with indent; paragraphs are kept.
func wrap(text, indent string, width int) string {
	var out []string
	for _, para := range strings.Split(strings.TrimSpace(text), "\n") {
		line := indent
		for _, word := range strings.Fields(para) {
			if line != indent && len(line)+1+len(word) > width {
				out = append(out, line)
				line = indent
			}
			if line != indent {
				line += " "
			}
			line += word
		}
		out = append(out, line)
	}
	return strings.Join(out, "\n")
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}
