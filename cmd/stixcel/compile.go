package main

import (
	"fmt"
	"slices"

	"github.com/spf13/cobra"

	"github.com/stixcel/stixcel/compiler/parsed"
	"github.com/stixcel/stixcel/internal/outfile"
	"github.com/stixcel/stixcel/plan"
)

func (c *cli) compileCommand() *cobra.Command {
	var (
		flags   compileFlags
		bundles []string
		out     string
	)
	cmd := &cobra.Command{
		Use:   "compile [BUNDLE|DIR|- ...] [--bundle B ...]",
		Short: "Compile ATT&CK analytics (and pack bindings) into a plan artifact",
		Long: `Compile every x-mitre-analytic of the given ATT&CK bundles (arguments and --bundle alike)
into a plan: derived CEL selectors per log source reference, typed parameters from mutable
elements, and the logic of pack bindings. With no bundle, the embedded seed bundle is used.
Writes JSON to stdout or -o.`,
		RunE: func(cmd *cobra.Command, args []string) error {
			all := slices.Concat(args, bundles)
			_, set, err := c.compileLoaded(flags.inputs(all), "")
			if err != nil {
				return err
			}
			fmt.Fprintln(c.stderr, set.Summary())
			parsed.Attach(set) // so that loading the artifact skips parsing and cost estimation
			return c.writeSet(set, out, c.inputsOf(all, flags.packs, files(flags.params, flags.taxonomy)))
		},
	}
	flags.register(cmd)
	addBundleFlag(cmd, &bundles)
	cmd.Flags().StringVarP(&out, "output", "o", "", "write plans to `FILE` instead of stdout")
	return cmd
}

// writeSet writes the plans to stdout, or to the file out: atomically (a failed write leaves
// the previous plans whole) and never over one of inputs.
func (c *cli) writeSet(set *plan.Set, out string, inputs *outfile.Inputs) error {
	if out == "" || out == "-" {
		return set.Write(c.stdout)
	}
	if err := outfile.Write(out, inputs, set.Write); err != nil {
		return inputErr(fmt.Errorf("-o: %w", err))
	}
	return nil
}
