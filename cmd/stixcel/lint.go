package main

import (
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/stixcel/stixcel"
	"github.com/stixcel/stixcel/diag"
	"github.com/stixcel/stixcel/hints"
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
			pa, err := parsePackArgs(args)
			if err != nil {
				return err
			}
			l, err := c.load(c.checkedInputs(bundles, pa.dirs, false))
			if err != nil {
				return err
			}
			pa.restrict(l)
			diags := lint.Check(l.Index, l.AllPacks(), lint.Options{BundlesGiven: len(bundles) > 0})
			if strict {
				warningsAsErrors(diags)
			}
			switch format {
			case "json":
				err = diag.WriteJSON(c.stdout, diags)
			case "sarif":
				err = diag.WriteSARIF(c.stdout, diags, stixcelVersion())
			default:
				err = diag.WriteText(c.stdout, diags, readPackFile)
				fmt.Fprintf(c.stderr, "%d errors, %d warnings\n", countErrors(diags), len(diags)-countErrors(diags))
				writeSyntaxOnlyHint(c.stderr, l, strict || len(bundles) > 0)
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

// writeSyntaxOnlyHint says, after the counts, which bindings were checked for syntax only
// because their analytic is not loaded, and which bundle to pass: a lint that passes over
// them checked less than it seems.
// isError says the findings are errors already (--strict, or bundles the user named).
func writeSyntaxOnlyHint(w io.Writer, l *stixcel.Loaded, isError bool) {
	waiting := hints.WaitingBindings(l.AllPacks(), func(id string) bool { return l.Index.Analytic(id) != nil })
	if len(waiting) == 0 {
		return
	}
	ids := make([]string, 0, len(waiting))
	for _, b := range waiting {
		ids = append(ids, b.Analytic.Value)
	}
	more := ""
	if len(ids) > hints.MaxHintIDs {
		ids, more = ids[:hints.MaxHintIDs], fmt.Sprintf(" and %d more", len(ids)-hints.MaxHintIDs)
	}
	what := fmt.Sprintf("%d bindings were checked for syntax only, their analytics not loaded", len(waiting))
	if len(waiting) == 1 {
		what = "1 binding was checked for syntax only, its analytic not loaded"
	}
	consequence := " (lint --strict makes this an error)"
	if isError {
		consequence = ""
	}
	fmt.Fprintf(w, "hint: %s (%s%s): pass %s%s\n", what, strings.Join(ids, ", "), more, hints.BundleFlagsFor(waiting), consequence)
}

// warningsAsErrors raises every warning to an error, for lint --strict.
func warningsAsErrors(diags diag.Diagnostics) {
	for i := range diags {
		if diags[i].Severity == diag.SeverityWarning {
			diags[i].Severity = diag.SeverityError
		}
	}
}

// readPackFile reads a file named in a diagnostic: from disk, else from the built-in pack.
func readPackFile(name string) ([]byte, error) {
	if data, err := os.ReadFile(name); err == nil {
		return data, nil
	}
	return fs.ReadFile(stixcel.BuiltinPack(), filepath.ToSlash(name))
}
