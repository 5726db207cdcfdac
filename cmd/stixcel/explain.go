package main

import (
	"encoding/json"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/stixcel/stixcel"
	"github.com/stixcel/stixcel/compiler"
	"github.com/stixcel/stixcel/compiler/attack"
	"github.com/stixcel/stixcel/plan"
)

// explainFlags are explain's flags.
type explainFlags struct {
	compile compileFlags
	bundles []string
	stage   string
	asJSON  bool
}

func (c *cli) explainCommand() *cobra.Command {
	var f explainFlags
	cmd := &cobra.Command{
		Use:   "explain ANALYTIC_ID|TECHNIQUE_ID [BUNDLE|DIR ...] [--bundle B ...]",
		Short: "Print one compiled plan for people, or the analytics of a technique",
		Long: `Print one compiled plan for people: the analytic's description and detection strategy,
each channel's log source, selector and predicate, the parameters and the correlation. Given a
technique id (T1003.001), list the analytics that detect it; a technique without a
sub-technique (T1003) also matches its sub-techniques. Bundles are arguments after the id or
--bundle; with none, the embedded seed bundle is used.`,
		Example: "  stixcel explain AN1828\n  stixcel explain T1003.001 --bundle enterprise-attack-18.1.json",
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				return errMissingArg("the ANALYTIC_ID or TECHNIQUE_ID to explain",
					"stixcel explain AN1828, or stixcel explain T1003.001 --bundle enterprise-attack.json")
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			return c.explain(args[0], slices.Concat(args[1:], f.bundles), &f)
		},
	}
	f.compile.register(cmd)
	addBundleFlag(cmd, &f.bundles)
	cmd.Flags().StringVar(&f.stage, "stage", "", "stop after compiler `STAGE` ("+stageNames()+")")
	cmd.Flags().BoolVar(&f.asJSON, "json", false, "print the plan (or the technique's plans) as JSON")
	return cmd
}

// explain prints the plan of the analytic id, or lists the plans of the technique id.
func (c *cli) explain(id string, bundles []string, f *explainFlags) error {
	st := compiler.Stage(f.stage)
	if st != "" && !validStage(st) {
		return inputErr(fmt.Errorf("unknown stage %q (want one of %s)", f.stage, stageNames()))
	}
	l, set, err := c.compileLoaded(f.compile.inputs(bundles), st)
	if set == nil {
		return err
	}
	if techniqueID.MatchString(id) {
		return firstErr(c.explainTechnique(set, l.Index, strings.ToUpper(id), len(bundles) == 0, f.asJSON), err)
	}
	p := findPlan(set, id)
	if p == nil {
		return inputErr(fmt.Errorf("analytic %s is not in the loaded bundles%s", id, seedOnlyHint(len(bundles) == 0)))
	}
	if f.asJSON {
		return firstErr(writeJSON(c.stdout, p), err)
	}
	if e := p.WriteText(c.stdout); e != nil {
		return e
	}
	return firstErr(writeAbout(c.stdout, l.Index.Analytic(p.StixID)), err)
}

// techniqueID matches an ATT&CK technique or sub-technique id: T1003, T1003.001.
var techniqueID = regexp.MustCompile(`^[Tt]\d{4}(\.\d{3})?$`)

// explainTechnique lists the plans whose analytics detect technique id, or its
// sub-techniques when id names none.
func (c *cli) explainTechnique(set *plan.Set, ix *attack.Index, id string, seedOnly, asJSON bool) error {
	plans := plansOfTechnique(set, id)
	if len(plans) == 0 {
		return inputErr(fmt.Errorf("no analytic of the loaded bundles detects technique %s%s", id, seedOnlyHint(seedOnly)))
	}
	if asJSON {
		return writeJSON(c.stdout, plans)
	}
	scope := id
	if !strings.Contains(id, ".") {
		scope += " and its sub-techniques"
	}
	fmt.Fprintf(c.stdout, "%s: %d %s (stixcel explain ANALYTIC_ID for one)\n", scope, len(plans), plural(len(plans), "analytic", "analytics"))
	for _, p := range plans {
		fmt.Fprintf(c.stdout, "  %-7s %-9s %-10s %s\n", p.ID, p.Kind, techniqueIDs(p.Techniques), strategyText(p, ix.Analytic(p.StixID)))
	}
	return nil
}

// plansOfTechnique returns the plans one of whose techniques is id or, for an id without a
// sub-technique, one of its sub-techniques; in the set's order.
func plansOfTechnique(set *plan.Set, id string) []*plan.Plan {
	var out []*plan.Plan
	for _, p := range set.Plans {
		if slices.ContainsFunc(p.Techniques, func(t plan.Technique) bool { return techniqueMatches(t.ID, id) }) {
			out = append(out, p)
		}
	}
	return out
}

// techniqueMatches reports whether technique has the id want: the same id, or a
// sub-technique of want when want names no sub-technique.
func techniqueMatches(technique, want string) bool {
	technique = strings.ToUpper(technique)
	return technique == want || (!strings.Contains(want, ".") && strings.HasPrefix(technique, want+"."))
}

func techniqueIDs(ts []plan.Technique) string {
	ids := make([]string, len(ts))
	for i, t := range ts {
		ids[i] = t.ID
	}
	return strings.Join(ids, ", ")
}

// strategyText names the plan's detection strategy: "DET0363 Detection of ...", or its id
// alone when the loaded bundles lack the strategy object.
func strategyText(p *plan.Plan, a *attack.Analytic) string {
	if a != nil && a.Strategy != nil && a.Strategy.Name != "" {
		return a.Strategy.ID + " " + a.Strategy.Name
	}
	return orNone(p.DetectionStrategy)
}

// writeAbout prints what the plan does not carry: the analytic's description and its
// detection strategy by name.
func writeAbout(w io.Writer, a *attack.Analytic) error {
	if a == nil {
		return nil
	}
	strategy := orNone(a.StrategyFromURL) + " (not in the loaded bundles)"
	if a.Strategy != nil {
		strategy = strings.TrimSpace(a.Strategy.ID + "  " + a.Strategy.Name)
	}
	_, err := fmt.Fprintf(w, "\ndetection strategy:\n  %s\n\ndescription:\n%s\n", strategy, wrap(orNone(a.Description), "  ", 96))
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

// seedOnlyHint is appended to "not in the loaded bundles" when no bundle was named.
func seedOnlyHint(seedOnly bool) string {
	if !seedOnly {
		return ""
	}
	return " (only the embedded seed bundle " + stixcel.SeedBundleName + " is loaded; pass --bundle with the ATT&CK bundle that has it, such as enterprise-attack-….json)"
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

// firstErr returns the first non-nil error.
func firstErr(errs ...error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}

func validStage(s compiler.Stage) bool {
	return slices.Contains(compiler.Stages(), s)
}

func stageNames() string {
	stages := compiler.Stages()
	names := make([]string, len(stages))
	for i, s := range stages {
		names[i] = string(s)
	}
	return strings.Join(names, ", ")
}

func findPlan(set *plan.Set, id string) *plan.Plan {
	for _, p := range set.Plans {
		if strings.EqualFold(p.ID, id) || p.StixID == id {
			return p
		}
	}
	return nil
}
