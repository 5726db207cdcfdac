package main

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/stixcel/stixcel/compiler"
	"github.com/stixcel/stixcel/plan"
)

func (c *cli) explainCommand() *cobra.Command {
	var (
		flags  compileFlags
		stage  string
		asJSON bool
	)
	cmd := &cobra.Command{
		Use:   "explain ANALYTIC_ID [BUNDLE|DIR ...]",
		Short: "Print one compiled plan for people: channels, selectors, parameters, correlation",
		Args:  cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			st := compiler.Stage(stage)
			if st != "" && !validStage(st) {
				return inputErr(fmt.Errorf("unknown stage %q (want one of %s)", stage, stageNames()))
			}
			set, err := c.compileInputs(args[1:], &flags, st)
			if set == nil {
				return err
			}
			p := findPlan(set, args[0])
			if p == nil {
				return inputErr(fmt.Errorf("analytic %s is not in the loaded bundles", args[0]))
			}
			if asJSON {
				enc := json.NewEncoder(c.stdout)
				enc.SetIndent("", "  ")
				enc.SetEscapeHTML(false)
				if e := enc.Encode(p); e != nil {
					return e
				}
			} else {
				printPlan(c.stdout, p)
			}
			return err
		},
	}
	flags.register(cmd)
	cmd.Flags().StringVar(&stage, "stage", "", "stop after compiler `STAGE` ("+stageNames()+")")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the plan as JSON")
	return cmd
}

func validStage(s compiler.Stage) bool {
	for _, st := range compiler.Stages() {
		if st == s {
			return true
		}
	}
	return false
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

// printPlan is the human rendering of a plan.
func printPlan(w io.Writer, p *plan.Plan) {
	fmt.Fprintf(w, "%s  %s  (version %s, modified %s)\n", p.ID, p.Name, p.Version, p.Modified)
	fmt.Fprintf(w, "  kind:        %s\n", p.Kind)
	fmt.Fprintf(w, "  strategy:    %s\n", orNone(p.DetectionStrategy))
	fmt.Fprintf(w, "  techniques:  %s\n", orNone(techniqueList(p.Techniques)))
	fmt.Fprintf(w, "  domains:     %s\n", orNone(strings.Join(p.Domains, ", ")))
	fmt.Fprintf(w, "  platforms:   %s\n", orNone(strings.Join(p.Platforms, ", ")))
	fmt.Fprintf(w, "\nchannels (%d):\n", len(p.Channels))
	for _, ch := range p.Channels {
		printChannel(w, ch)
	}
	fmt.Fprintf(w, "\nparameters (%d):\n", len(p.Params))
	for _, prm := range p.Params {
		printParam(w, prm)
	}
	cor := p.Correlation
	if cor.Condition == "" && len(cor.GroupBy) == 0 {
		fmt.Fprintf(w, "\ncorrelation: none (each matching event stands alone)\n")
		return
	}
	window := p.Window()
	if cor.WindowParam != "" {
		window += " (" + cor.WindowParam + ")"
	}
	fmt.Fprintf(w, "\ncorrelation:\n  group by:  %s\n  window:    %s\n  condition: %s\n",
		orNone(strings.Join(cor.GroupBy, ", ")), orNone(window), indent(orNone(cor.Condition), "             "))
}

func printChannel(w io.Writer, ch *plan.Channel) {
	dc := strings.TrimSpace(ch.DataComponent.ID + " " + ch.DataComponent.Name)
	if dc == "" {
		dc = ch.DataComponent.StixID
	}
	fmt.Fprintf(w, "  %s  %s  [%s]  %s\n", ch.ID, ch.LogSource, dc, ch.Origin)
	fmt.Fprintf(w, "      channel:   %s\n", ch.Channel)
	if ch.Selector != "" {
		fmt.Fprintf(w, "      selector:  %s\n", ch.Selector)
	} else if ch.Origin != plan.OriginBound {
		fmt.Fprintf(w, "      selector:  none (%s)\n", ch.Reason)
	}
	if ch.Predicate != "" {
		fmt.Fprintf(w, "      predicate: %s\n", indent(ch.Predicate, "                 "))
	}
	if len(ch.SeriesBy) > 0 {
		fmt.Fprintf(w, "      series by: %s\n", strings.Join(ch.SeriesBy, ", "))
	}
}

func printParam(w io.Writer, prm *plan.Param) {
	val := "no value"
	if prm.Value != nil {
		b, _ := json.Marshal(prm.Value)
		val = "= " + string(b)
	}
	fmt.Fprintf(w, "  %s  %s %s  (%s)\n", prm.Name, prm.Type, val, prm.Source)
	if prm.Description != "" {
		fmt.Fprintf(w, "      %s\n", prm.Description)
	}
}

func techniqueList(ts []plan.Technique) string {
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
