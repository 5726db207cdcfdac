package main

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/stixcel/stixcel/coverage"
	"github.com/stixcel/stixcel/event"
	"github.com/stixcel/stixcel/internal/outfile"
	"github.com/stixcel/stixcel/plan"
	"github.com/stixcel/stixcel/pump"
	"github.com/stixcel/stixcel/runtime"
	"github.com/stixcel/stixcel/source"
	"github.com/stixcel/stixcel/tester"
)

type coverageFlags struct {
	compile  compileFlags
	bundles  []string
	events   []string
	source   string
	layer    string
	attack   string
	asJSON   bool
	markdown bool
}

func (c *cli) coverageCommand() *cobra.Command {
	var f coverageFlags
	cmd := &cobra.Command{
		Use:   "coverage [EVENTS.jsonl ...] [--bundle B ...] [--pack DIR ...] [--source S] [--layer FILE]",
		Short: "Score ATT&CK techniques by their analytics; write an ATT&CK Navigator layer",
		Long: `Score each technique of the loaded analytics by its best analytic: a detection plan whose
binding's tests pass (100), a detection plan without passing tests (70), a selector plan (30),
an inert analytic (0). The tests of the packs (the built-in pack and --pack) are run to tell.
Prints a table per tactic; --layer writes an ATT&CK Navigator layer (format 4.5) with a legend
and each technique's analytics in its comment and metadata; --json prints the report.

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
	fl.BoolVar(&f.asJSON, "json", false, "print the report as JSON")
	fl.BoolVar(&f.markdown, "markdown", false, "print the techniques the detection plans cover as a Markdown table (the README's list)")
	return cmd
}

func (c *cli) coverage(ctx context.Context, f *coverageFlags) error {
	if ctx == nil {
		ctx = context.Background()
	}
	l, set, err := c.compileLoaded(f.compile.inputs(f.bundles), "")
	if set == nil {
		return err
	}
	in := coverage.Input{Plans: set.Plans, Tested: tester.PassedAnalytics(ctx, l.Index, l.AllPacks())}
	if len(f.events) > 0 {
		if in.Feeds, err = c.feeds(ctx, set, f); err != nil {
			return err
		}
	}
	report := coverage.Build(in)
	if f.layer != "" {
		if err := writeLayer(f.layer, report.Layer("stixcel coverage", f.attack)); err != nil {
			return inputErr(err)
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

// feeds runs the telemetry through every plan's derived selectors alone (each plan as a hunt
// source, its predicates and correlation left out) and counts, per analytic, the channels an
// event matched.
func (c *cli) feeds(ctx context.Context, set *plan.Set, f *coverageFlags) (map[string]coverage.Feed, error) {
	eng, err := runtime.New(selectorsOnly(set), runtime.WithHunt(true))
	if err != nil {
		return nil, inputErr(err)
	}
	profile, err := loadSourceProfile(f.source)
	if err != nil {
		return nil, inputErr(err)
	}
	seen := map[string]map[string]bool{}
	events := map[string]int{}
	emit := func(o runtime.Output) {
		if h, ok := o.(*runtime.Hunt); ok {
			if seen[h.Analytic] == nil {
				seen[h.Analytic] = map[string]bool{}
			}
			seen[h.Analytic][h.Channel] = true
			events[h.Analytic]++
		}
	}
	if err := c.readTelemetry(ctx, f.events, profile, eng, emit); err != nil {
		return nil, err
	}
	eng.Flush(emit)
	out := map[string]coverage.Feed{}
	for id, chans := range seen {
		out[id] = coverage.Feed{Observed: len(chans), Events: events[id]}
	}
	return out, nil
}

// readTelemetry merges the files by event time, as run does, and runs them through eng.
func (c *cli) readTelemetry(ctx context.Context, files []string, profile *source.Profile, eng *runtime.Engine, emit func(runtime.Output)) error {
	opened, err := pump.Open(ctx, files, pump.OpenOptions{Stdin: c.stdin})
	if err != nil {
		return inputErr(err)
	}
	defer opened.Close()
	sum, err := pump.Run(ctx, opened.Inputs, pump.Options{Decoder: decoderOf(profile), Merge: event.MergeOptions{Lateness: event.DefaultLateness}}, pump.Handler{
		Event: func(ctx context.Context, ev *event.Event) error { return eng.Process(ctx, ev, emit) },
	})
	if err != nil {
		return inputErr(err)
	}
	st := sum.Stats
	fmt.Fprintf(c.stderr, "telemetry: read %d lines from %d files: %d events, %d rejected\n", st.Read, len(files), st.Processed, st.RejectedTotal())
	return ctx.Err()
}

// selectorsOnly is every plan with channels reduced to their derived selectors, as hunt
// sources: what a channel can observe, without what a binding adds.
func selectorsOnly(set *plan.Set) *plan.Set {
	out := &plan.Set{Schema: set.Schema}
	for _, p := range set.Plans {
		q := *p
		q.Kind, q.Hunt, q.Correlation = plan.KindSelector, true, plan.Correlation{}
		q.Channels = nil
		for _, ch := range p.Channels {
			if ch.Selector == "" {
				continue
			}
			cc := *ch
			cc.Predicate, cc.Selects, cc.SeriesBy = "", plan.SelectsContent, nil
			q.Channels = append(q.Channels, &cc)
		}
		if len(q.Channels) > 0 {
			out.Plans = append(out.Plans, &q)
		}
	}
	return out
}

func writeLayer(path string, layer coverage.Layer) error {
	data, err := json.MarshalIndent(layer, "", "  ")
	if err != nil {
		return err
	}
	return outfile.WriteFile(path, append(data, '\n'))
}
