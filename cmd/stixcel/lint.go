package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/stixcel/stixcel"
	"github.com/stixcel/stixcel/diag"
	"github.com/stixcel/stixcel/lint"
)

func (c *cli) lintCommand() *cobra.Command {
	var (
		bundles []string
		format  string
		strict  bool
	)
	cmd := &cobra.Command{
		Use:   "lint [PACK_DIR | BINDING.yaml ...]",
		Short: "Check packs or binding files without running them (the built-in pack when none is given)",
		Long: `Check packs without running them: YAML shape (unknown keys are errors), every CEL
expression parsed, type-checked against the analytic's parameters and built as run builds it
(regular expressions, constant conversions, cost), analytic and channel
ids, parameter types and defaults, test files and overrides, and written_for drift. Analytics
come from --bundle (the embedded seed bundle when none is given), as in run and test. A CEL
error is always an error; --strict makes warnings errors too, among them a binding whose
analytic is not in the loaded bundles (only its syntax was checked; the message says which
bundle to pass). A binding file argument lints that binding alone. Exit 1 on any error.`,
		RunE: func(cmd *cobra.Command, args []string) error {
			if format != "text" && format != "json" && format != "sarif" {
				return inputErr(fmt.Errorf("--format %q: want text, json or sarif", format))
			}
			pp, err := packPaths(args)
			if err != nil {
				return err
			}
			l, err := c.load(c.checkedInputs(bundles, pp.Dirs, false))
			if err != nil {
				return err
			}
			pp.Restrict(l)
			diags := lint.Check(l.Index, l.AllPacks(), lint.Options{BundlesGiven: len(bundles) > 0, Strict: strict})
			switch format {
			case "json":
				err = diag.WriteJSON(c.stdout, diags)
			case "sarif":
				err = diag.WriteSARIF(c.stdout, diags, stixcelVersion())
			default:
				err = firstErr(diag.WriteText(c.stdout, diags, readPackFile),
					lint.WriteSummary(c.stderr, diags, l.Index, l.AllPacks(), strict || len(bundles) > 0))
			}
			if err != nil {
				return err
			}
			if diags.HasErrors() {
				return errFindings
			}
			return nil
		},
	}
	addBundleFlag(cmd, &bundles)
	cmd.Flags().StringVar(&format, "format", "text", "output `FORMAT`: text, json or sarif")
	cmd.Flags().BoolVar(&strict, "strict", false, "make warnings errors (exit 1; SARIF level error)")
	return cmd
}

// readPackFile reads a file named in a diagnostic: from disk, else from the built-in pack.
var readPackFile = stixcel.ReadPackFile
