package main

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/stixcel/stixcel"
	"github.com/stixcel/stixcel/diag"
	"github.com/stixcel/stixcel/lint"
)

// version is stixcel's version as reported in SARIF output.
const version = "0.1.0-dev"

func (c *cli) lintCommand() *cobra.Command {
	var (
		bundles []string
		format  string
	)
	cmd := &cobra.Command{
		Use:   "lint [PACK_DIR ...]",
		Short: "Check packs without running them (the built-in pack when no directory is given)",
		Long: `Check packs without running them: YAML shape (unknown keys are errors), every CEL
expression parsed, type-checked against the analytic's parameters and built as run builds it
(regular expressions, constant conversions, cost), analytic and channel
ids, parameter types and defaults, test files and overrides, and written_for drift. Analytics
come from the embedded seed bundle and --bundle. Exit 1 on any error.`,
		RunE: func(cmd *cobra.Command, args []string) error {
			if format != "text" && format != "json" && format != "sarif" {
				return inputErr(fmt.Errorf("--format %q: want text, json or sarif", format))
			}
			l, err := c.load(checkedInputs(bundles, args, false))
			if err != nil {
				return err
			}
			diags := lint.Check(l.Index, l.AllPacks(), lint.Options{BundlesGiven: len(bundles) > 0})
			switch format {
			case "json":
				err = diag.WriteJSON(c.stdout, diags)
			case "sarif":
				err = diag.WriteSARIF(c.stdout, diags, version)
			default:
				err = diag.WriteText(c.stdout, diags, readPackFile)
				fmt.Fprintf(c.stderr, "%d errors, %d warnings\n", countErrors(diags), len(diags)-countErrors(diags))
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
	cmd.Flags().StringArrayVar(&bundles, "bundle", nil, "ATT&CK bundle `FILE|DIR` holding the bound analytics (repeatable; added to the embedded seed)")
	cmd.Flags().StringVar(&format, "format", "text", "output `FORMAT`: text, json or sarif")
	return cmd
}

// readPackFile reads a file named in a diagnostic: from disk, else from the built-in pack.
func readPackFile(name string) ([]byte, error) {
	if data, err := os.ReadFile(name); err == nil {
		return data, nil
	}
	return fs.ReadFile(stixcel.BuiltinPack(), filepath.ToSlash(name))
}
