package main

import (
	"bufio"
	"fmt"
	"slices"

	"github.com/spf13/cobra"

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
			set, err := c.compileInputs(all, &flags, "")
			if err != nil {
				return err
			}
			c.printKinds(set)
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
	f, err := createOutput("-o", out, inputs)
	if err != nil {
		return err
	}
	w := bufio.NewWriter(f)
	err = set.Write(w)
	if err == nil {
		err = w.Flush()
	}
	if err == nil {
		err = f.Commit()
	}
	if err != nil {
		f.Abort()
		return inputErr(fmt.Errorf("-o: %w", err))
	}
	return nil
}

// printKinds summarises the compiled plans on stderr.
func (c *cli) printKinds(set *plan.Set) {
	kinds := map[plan.Kind]int{}
	refs, derived, bound, hunts := 0, 0, 0, 0
	for _, p := range set.Plans {
		kinds[p.Kind]++
		if p.Hunt {
			hunts++
		}
		for _, ch := range p.Channels {
			refs++
			switch {
			case ch.Origin == plan.OriginBound:
				bound++
			case ch.Selector != "":
				derived++
			}
		}
	}
	share := 0.0
	if refs > 0 {
		share = 100 * float64(derived+bound) / float64(refs)
	}
	fmt.Fprintf(c.stderr, "compiled %d plans (%d detection, %d selector of which %d hunt sources, %d inert); %d/%d channels with logic (%.1f%%: %d derived, %d bound)\n",
		len(set.Plans), kinds[plan.KindDetection], kinds[plan.KindSelector], hunts, kinds[plan.KindInert],
		derived+bound, refs, share, derived, bound)
}
