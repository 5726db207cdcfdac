package main

import (
	"encoding/json"
	"fmt"
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
			} else if e := p.WriteText(c.stdout); e != nil {
				return e
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
