package main

import (
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/stixcel/stixcel"
	"github.com/stixcel/stixcel/diag"
	"github.com/stixcel/stixcel/lint"
)

func (c *cli) lintCommand() *cobra.Command {
	var (
		bundles      []string
		format       string
		strict       bool
		sigma        []string
		sigmaMapping string
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
bundle to pass). A binding file argument lints that binding alone. With --sigma, lint Sigma
rules too: every finding of planning them, positioned (a construct stixcel does not compile,
a rule that can never match: errors, the rule is refused; a log source no mapping covers, a
technique tag the bundles lack, a target left out: warnings), then a line of what became of
the rules; with --sigma and no PACK_DIR (here or in stixcel.yaml) only the rules are linted.
Exit 1 on any error.`,
		RunE: func(cmd *cobra.Command, args []string) error {
			if format != "text" && format != "json" && format != "sarif" {
				return inputErr(fmt.Errorf("--format %q: want text, json or sarif", format))
			}
			pp, err := packPaths(args)
			if err != nil {
				return err
			}
			in := c.checkedInputs(bundles, pp.Dirs, false)
			if len(sigma) > 0 {
				in.NoBuiltin = len(in.Packs) == 0 // --sigma alone lints the rules alone
				in.Sigma, in.SigmaOptions = sigma, stixcel.SigmaOptions{Mapping: sigmaMapping}
			}
			l, err := c.load(in)
			if err != nil {
				return err
			}
			pp.Restrict(l)
			diags := lint.Check(l.Index, l.AllPacks(), lint.Options{BundlesGiven: len(bundles) > 0, Strict: strict})
			var sigmaDiags diag.Diagnostics
			if l.Sigma != nil {
				_, compiled := l.Compile("")
				if bad := lint.Sigma(l.Blocking(compiled, false), lint.SigmaInputs{Paths: sigma, Mapping: sigmaMapping}, false); bad.HasErrors() {
					c.printDiagnostics(bad) // a --sigma path or mapping that does not load: exit 2, as on every command
					return inputErr(stixcel.ErrorsIn(bad))
				}
				sigmaDiags = lint.Sigma(compiled, lint.SigmaInputs{Paths: sigma, Files: l.Sigma.Files, Mapping: sigmaMapping}, strict)
				diags = append(diags, sigmaDiags...)
				diags.Sort()
			}
			switch format {
			case "json":
				err = diag.WriteJSON(c.stdout, diags)
			case "sarif":
				err = diag.WriteSARIF(c.stdout, diags, stixcelVersion())
			default:
				err = firstErr(writeLintText(c.stdout, diags, l.Sigma != nil),
					lint.WriteSummary(c.stderr, diags, l.Index, l.AllPacks(), strict || len(bundles) > 0))
				if l.Sigma != nil {
					err = firstErr(err, lint.WriteSigmaSummary(c.stderr, l.Sigma.Stats, sigmaDiags, l.Sigma.Files))
				}
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
	cmd.Flags().StringArrayVar(&sigma, "sigma", nil, "lint the Sigma rules in `PATH`, a file or a directory walked for .yml/.yaml (repeatable)")
	cmd.Flags().StringVar(&sigmaMapping, "sigma-mapping", "", "Sigma log source mapping `FILE` (YAML) merged over the built-in one")
	return cmd
}

// writeLintText writes the findings as text; with Sigma rules every one of them, past
// diag.WriteText's cap (SigmaHQ's directories give hundreds of warnings, and an error must
// not hide behind them).
func writeLintText(w io.Writer, diags diag.Diagnostics, all bool) error {
	if !all {
		return diag.WriteText(w, diags, readPackFile)
	}
	for i := 0; i < len(diags); i += diag.MaxDiagnostics {
		if err := diag.WriteText(w, diags[i:min(i+diag.MaxDiagnostics, len(diags))], readPackFile); err != nil {
			return err
		}
	}
	return nil
}

// readPackFile reads a file named in a diagnostic: from disk, else from the built-in pack.
var readPackFile = stixcel.ReadPackFile
