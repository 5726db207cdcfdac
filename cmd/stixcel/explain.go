package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/stixcel/stixcel/explain"
	"github.com/stixcel/stixcel/plan"
	"github.com/stixcel/stixcel/pump"
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
		Use:   "explain ANALYTIC_ID|RULE|TECHNIQUE_ID [BUNDLE|DIR ...] [--bundle B ...]",
		Short: "Print one compiled plan for people, or the analytics and Sigma rules of a technique",
		Long: `Print one compiled plan for people: the analytic's description and detection strategy,
each channel's log source, selector and predicate, the parameters and the correlation. A Sigma
rule of --sigma, named by its id or its title, prints as its rule (title, file, status, level,
author, false positives, references) with the ATT&CK analytics it links to, then its channels.
Given a technique id (T1003.001), list the analytics (and rules) that detect it; a technique
without a sub-technique (T1003) also matches its sub-techniques. Bundles are arguments after the id or
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
			return c.explain(cmd.Context(), args[0], slices.Concat(args[1:], f.bundles), &f)
		},
	}
	f.compile.register(cmd)
	addBundleFlag(cmd, &f.bundles)
	cmd.Flags().StringVar(&f.stage, "stage", "", "stop after compiler `STAGE` ("+explain.StageNames()+")")
	cmd.Flags().BoolVar(&f.asJSON, "json", false, "print the plan (or the technique's plans, or the --events trace) as JSON")
	cmd.Flags().StringArrayVar(&f.events, "events", nil, "say why each event of `FILE` did or did not alert (repeatable; - is stdin)")
	cmd.Flags().StringVar(&f.source, "source", "", "map the raw events of --events with source profile `NAME|FILE.yaml` (built-in: "+strings.Join(source.Builtins(), ", ")+")")
	return cmd
}

// explain prints the plan of the analytic id, or lists the plans of the technique id.
func (c *cli) explain(ctx context.Context, id string, bundles []string, f *explainFlags) error {
	st, err := explain.Stage(f.stage)
	if err != nil {
		return inputErr(err)
	}
	if err := explain.CheckTrace(id, len(f.events) > 0, f.stage, f.source); err != nil {
		return inputErr(err)
	}
	l, set, err := c.compileLoaded(f.compile.inputs(bundles), st)
	if set == nil {
		return err
	}
	p, plans, lerr := explain.Lookup(set, id, len(bundles) == 0)
	switch {
	case lerr != nil:
		return inputErr(lerr)
	case p == nil:
		return firstErr(c.printAs(f.asJSON, plans, func(w io.Writer) error { return explain.WriteTechnique(w, id, plans, l.Index) }), err)
	case len(f.events) > 0:
		return firstErr(c.explainEvents(ctx, p, f), err)
	case f.asJSON:
		return firstErr(writeJSON(c.stdout, p), err)
	}
	if e := p.WriteText(c.stdout); e != nil {
		return e
	}
	return firstErr(explain.WriteAbout(c.stdout, l.Index.Analytic(p.StixID)), err)
}

// explainEvents traces the --events files through p: why each event did or did not alert.
func (c *cli) explainEvents(ctx context.Context, p *plan.Plan, f *explainFlags) error {
	profile, err := loadSourceProfile(f.source)
	if err != nil {
		return inputErr(err)
	}
	decoder, err := decoderOf(profile)
	if err != nil {
		return inputErr(err)
	}
	opened, err := pump.Open(ctx, f.events, pump.OpenOptions{Stdin: c.stdin})
	if err != nil {
		return inputErr(fmt.Errorf("--events: %w", err))
	}
	defer opened.Close()
	tr, err := explain.Events(ctx, p, opened.Inputs, decoder)
	if err != nil {
		return inputErr(err)
	}
	return c.printAs(f.asJSON, tr, tr.WriteText)
}

// printAs writes v to stdout as JSON, or for people with text.
func (c *cli) printAs(asJSON bool, v any, text func(io.Writer) error) error {
	if asJSON {
		return writeJSON(c.stdout, v)
	}
	return text(c.stdout)
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
