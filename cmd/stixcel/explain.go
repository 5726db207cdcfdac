package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/stixcel/stixcel"
	"github.com/stixcel/stixcel/compiler"
	"github.com/stixcel/stixcel/compiler/attack"
	"github.com/stixcel/stixcel/event"
	"github.com/stixcel/stixcel/explain"
	"github.com/stixcel/stixcel/internal/termsafe"
	"github.com/stixcel/stixcel/plan"
	"github.com/stixcel/stixcel/source"
)

// explainFlags are explain's flags.
type explainFlags struct {
	compile compileFlags
	bundles []string
	stage   string
	asJSON  bool
	events  []string // --events: trace these files (- is stdin) through the plan
	source  string   // --source: the profile mapping raw events of --events
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
--bundle; with none, the embedded seed bundle is used.

With --events FILE, say why each event of FILE did or did not alert: per event (in event-time
order, as run takes a batch) and per channel, whether its log source matched, whether its
selector and its bound predicate held (or failed to evaluate, with the CEL error); then, for
an event that matched, which channels (cN) were true in its group's window, whether the
condition held and an alert opened; last the alerts, those run gives on the same events.
Events are normalized JSONL, or raw logs mapped by --source as in run.`,
		Example: "  stixcel explain AN1828\n  stixcel explain T1003.001 --bundle enterprise-attack-18.1.json\n  stixcel explain AN1828 --events events.jsonl",
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
	cmd.Flags().BoolVar(&f.asJSON, "json", false, "print the plan (or the technique's plans, or the --events trace) as JSON")
	cmd.Flags().StringArrayVar(&f.events, "events", nil, "say why each event of `FILE` did or did not alert (repeatable; - is stdin)")
	cmd.Flags().StringVar(&f.source, "source", "", "map the raw events of --events with source profile `NAME|FILE.yaml` (built-in: "+strings.Join(source.Builtins(), ", ")+")")
	return cmd
}

// explain prints the plan of the analytic id, or lists the plans of the technique id.
func (c *cli) explain(id string, bundles []string, f *explainFlags) error {
	st := compiler.Stage(f.stage)
	if st != "" && !validStage(st) {
		return inputErr(fmt.Errorf("unknown stage %q (want one of %s)", f.stage, stageNames()))
	}
	if err := checkTraceFlags(id, f); err != nil {
		return err
	}
	l, set, err := c.compileLoaded(f.compile.inputs(bundles), st)
	if set == nil {
		return err
	}
	if explain.IsTechniqueID(id) {
		return firstErr(c.explainTechnique(set, l.Index, strings.ToUpper(id), len(bundles) == 0, f.asJSON), err)
	}
	p := explain.Find(set, id)
	if p == nil {
		return inputErr(fmt.Errorf("analytic %s is not in the loaded bundles%s", id, seedOnlyHint(len(bundles) == 0)))
	}
	if len(f.events) > 0 {
		return firstErr(c.explainEvents(p, f), err)
	}
	if f.asJSON {
		return firstErr(writeJSON(c.stdout, p), err)
	}
	if e := p.WriteText(c.stdout); e != nil {
		return e
	}
	return firstErr(writeAbout(termsafe.NewWriter(c.stdout), l.Index.Analytic(p.StixID)), err)
}

// checkTraceFlags refuses --events with what it cannot go with: a technique (trace one
// analytic) or a stage (the plan must be complete to run); --source needs --events.
func checkTraceFlags(id string, f *explainFlags) error {
	switch {
	case len(f.events) == 0 && f.source != "":
		return inputErr(errors.New("--source maps the raw events of --events: give --events FILE too"))
	case len(f.events) == 0:
		return nil
	case explain.IsTechniqueID(id):
		return inputErr(fmt.Errorf("--events traces one analytic, not technique %s: stixcel explain %s lists its analytics", id, id))
	case f.stage != "":
		return inputErr(fmt.Errorf("--events runs the complete plan: leave out --stage %s", f.stage))
	}
	return nil
}

// explainEvents traces the --events files through p: why each event did or did not alert.
func (c *cli) explainEvents(p *plan.Plan, f *explainFlags) error {
	var dec event.Decoder
	if f.source != "" {
		profile, err := loadSourceProfile(f.source)
		if err != nil {
			return inputErr(err)
		}
		dec = source.NewDecoder(profile)
	}
	var readers []*event.Reader
	for _, name := range f.events {
		r, closeFile, err := c.openEvents(name)
		if err != nil {
			return err
		}
		defer closeFile()
		readers = append(readers, event.NewReader(r, name, dec))
	}
	tr, err := explain.Events(p, readers)
	if err != nil {
		return inputErr(err)
	}
	if f.asJSON {
		return writeJSON(c.stdout, tr)
	}
	return tr.WriteText(c.stdout)
}

// openEvents opens an --events file, or stdin for "-".
func (c *cli) openEvents(name string) (io.Reader, func(), error) {
	if name == "-" {
		return c.stdin, func() {}, nil
	}
	file, err := os.Open(name)
	if err != nil {
		return nil, nil, inputErr(fmt.Errorf("--events: %w", err))
	}
	return file, func() { file.Close() }, nil
}

// explainTechnique lists the plans whose analytics detect technique id, or its
// sub-techniques when id names none.
func (c *cli) explainTechnique(set *plan.Set, ix *attack.Index, id string, seedOnly, asJSON bool) error {
	plans := explain.OfTechnique(set, id)
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
	out := termsafe.NewWriter(c.stdout) // names from the bundles
	fmt.Fprintf(out, "%s: %d %s (stixcel explain ANALYTIC_ID for one)\n", scope, len(plans), plural(len(plans), "analytic", "analytics"))
	for _, p := range plans {
		fmt.Fprintf(out, "  %-7s %-9s %-10s %s\n", p.ID, p.Kind, techniqueIDs(p.Techniques), strategyText(p, ix.Analytic(p.StixID)))
	}
	return nil
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
