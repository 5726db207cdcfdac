package main

import (
	"context"
	"fmt"
	"maps"

	"github.com/spf13/cobra"

	"github.com/stixcel/stixcel/coverage"
	"github.com/stixcel/stixcel/internal/outfile"
	"github.com/stixcel/stixcel/plan"
	"github.com/stixcel/stixcel/pump"
	"github.com/stixcel/stixcel/tester"
)

type coverageFlags struct {
	compile   compileFlags
	bundles   []string
	events    []string
	source    string
	layer     string
	attack    string
	asJSON    bool
	markdown  bool
	platforms []string
}

func (c *cli) coverageCommand() *cobra.Command {
	var f coverageFlags
	cmd := &cobra.Command{
		Use:   "coverage [EVENTS.jsonl ...] [--bundle B ...] [--pack DIR ...] [--source S] [--platform P] [--layer FILE]",
		Short: "Score ATT&CK techniques by their analytics and Sigma rules; write an ATT&CK Navigator layer",
		Long: `Score each technique of the loaded analytics and Sigma rules (--sigma; a rule covers the
techniques of its attack.tNNNN tags) by its best analytic or rule: a detection plan whose
binding's tests, or rule's regression tests, pass (100), a detection plan without passing tests
(70), a selector plan (30), an inert analytic (0). The tests of the packs (the built-in pack and
--pack) and the rules' regression tests (as test --sigma runs them) are run to tell.
Prints a table per tactic; --layer writes an ATT&CK Navigator layer (format 4.5) with a legend
and each technique's analytics in its comment and metadata; --json prints the report.
--platform keeps the analytics of the platforms named (the layer filters on them); --layer
may not name one of the inputs.

Given telemetry (JSONL files as arguments or --events; raw logs with --source), also which analytics the telemetry can feed:
a channel is observed when an event of its log source matches its derived selector, and an
analytic is fed when every channel is.

Example: stixcel coverage --bundle enterprise-attack.json sysmon.jsonl --source windows --layer layer.json`,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkEventFiles(args); err != nil {
				return err
			}
			f.events = append(f.events, args...)
			return c.coverage(cmd.Context(), &f)
		},
	}
	f.compile.register(cmd)
	addBundleFlag(cmd, &f.bundles)
	fl := cmd.Flags()
	fl.StringArrayVar(&f.events, "events", nil, "telemetry `FILE` (JSONL) to check which analytics it feeds (repeatable)")
	fl.StringVar(&f.source, "source", "", "map the --events with source profile `NAME|FILE.yaml`")
	fl.StringVar(&f.layer, "layer", "", "write an ATT&CK Navigator layer to `FILE`")
	fl.StringVar(&f.attack, "attack-version", "18", "the ATT&CK `VERSION` the layer names")
	fl.StringSliceVar(&f.platforms, "platform", nil, "only analytics for platform `NAME` (Windows, Linux, macOS, ...; any case; repeatable or comma-separated)")
	fl.BoolVar(&f.asJSON, "json", false, "print the report as JSON")
	fl.BoolVar(&f.markdown, "markdown", false, "print the techniques the detection plans cover as a Markdown table (the list in analytics/README.md)")
	return cmd
}

func (c *cli) coverage(ctx context.Context, f *coverageFlags) error {
	l, set, err := c.compileLoaded(f.compile.inputs(f.bundles), "")
	if set == nil {
		return err
	}
	plans, platforms, err := coverage.OnPlatforms(set.Plans, f.platforms)
	if err != nil {
		return inputErr(fmt.Errorf("--platform: %w", err))
	}
	inputs := c.inputsOf(f.events, f.bundles, f.compile.packs, files(f.compile.params, f.compile.taxonomy, sourceFile(f.source)))
	var layer *outfile.File
	if f.layer != "" { // before the tests and the telemetry run
		if layer, err = createOutput("--layer", f.layer, inputs); err != nil {
			return err
		}
		defer layer.Abort() // unless committed below
	}
	in := coverage.Input{Plans: plans, Platforms: platforms, Tested: tester.PassedAnalytics(ctx, l.Index, l.AllPacks())}
	if l.Sigma != nil {
		maps.Copy(in.Tested, tester.PassedRules(ctx, tester.SigmaRules{Files: l.Sigma.Files, Plans: set.Plans}))
	}
	if len(f.events) > 0 {
		if in.Feeds, err = c.feeds(ctx, &plan.Set{Schema: set.Schema, Plans: plans}, f); err != nil {
			return err
		}
	}
	report := coverage.Build(in)
	if layer != nil {
		if err := report.Layer("stixcel coverage", f.attack).Write(layer); err != nil {
			return inputErr(fmt.Errorf("--layer: %w", err))
		}
		if err := layer.Commit(); err != nil {
			return inputErr(fmt.Errorf("--layer: %w", err))
		}
	}
	switch {
	case f.asJSON:
		return writeJSON(c.stdout, report)
	case f.markdown:
		return report.WriteMarkdown(c.stdout)
	}
	return report.WriteText(c.stdout)
}

// feeds runs the telemetry through the plans' derived selectors (coverage.Telemetry).
func (c *cli) feeds(ctx context.Context, set *plan.Set, f *coverageFlags) (map[string]coverage.Feed, error) {
	profile, err := loadSourceProfile(f.source)
	if err != nil {
		return nil, inputErr(err)
	}
	decoder, err := decoderOf(profile)
	if err != nil {
		return nil, inputErr(err)
	}
	opened, err := pump.Open(ctx, f.events, pump.OpenOptions{Stdin: c.stdin})
	if err != nil {
		return nil, inputErr(err)
	}
	defer opened.Close()
	feeds, sum, err := coverage.Telemetry(ctx, set, opened.Inputs, decoder)
	if err != nil {
		return nil, inputErr(err)
	}
	st := sum.Stats
	fmt.Fprintf(c.stderr, "telemetry: %s: %d events, %d rejected\n", sum.ReadPhrase(), st.Processed, st.RejectedTotal())
	return feeds, ctx.Err()
}
