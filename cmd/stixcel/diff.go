package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/stixcel/stixcel/compiler/drift"
)

func (c *cli) diffCommand() *cobra.Command {
	var (
		asJSON bool
		packs  []string
	)
	cmd := &cobra.Command{
		Use:   "diff OLD_BUNDLE NEW_BUNDLE",
		Short: "Compare two ATT&CK releases analytic by analytic: channels, mutable elements, strategy, techniques",
		Long: `Compare two ATT&CK releases (a bundle file or a directory of bundles each) analytic by
analytic: the analytics added, removed, revoked and deprecated, and for each analytic in both
what changed in what a binding relies on: its channels (log source, data component and text of
each log source reference, their count and order), its mutable elements, its detection strategy
and the techniques it detects. Versions are not compared: ATT&CK changes analytics without
bumping x_mitre_version.

With --pack, the bindings that drifted: a binding whose written_for fingerprint is that of
its analytic in the new release is up to date (stixcel new --update wrote it against that
release) and is not reported; one with another fingerprint is, with what changed; one
without a fingerprint is reported when its analytic changed. Exit 1 when a binding drifted.

Example: stixcel diff enterprise-attack-18.0.json enterprise-attack-18.1.json --json`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 2 {
				return inputErr(fmt.Errorf("diff takes two bundles, the old release then the new one (got %d); e.g. stixcel diff enterprise-attack-18.0.json enterprise-attack-18.1.json", len(args)))
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			return c.diff(args[0], args[1], packs, asJSON)
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the report as JSON")
	cmd.Flags().StringArrayVar(&packs, "pack", nil, "also report the bindings of pack `DIR` not up to date with the new release, and exit 1 if any (repeatable)")
	return cmd
}

func (c *cli) diff(oldPath, newPath string, packs []string, asJSON bool) error {
	r, err := drift.CompareReleases(oldPath, newPath, c.cache.LoadPaths, c.stdin, c.stderr)
	if err != nil {
		return inputErr(err)
	}
	if len(packs) > 0 {
		if diags, err := r.CheckPacks(packs); err != nil {
			c.printDiagnostics(diags)
			return inputErr(err)
		}
	}
	if err := c.printAs(asJSON, r, r.WriteText); err != nil {
		return err
	}
	if err := r.Drifted(); err != nil {
		return &exitError{code: exitFindings, err: err}
	}
	return nil
}
