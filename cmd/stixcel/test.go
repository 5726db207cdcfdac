package main

import (
	"context"
	"errors"
	"fmt"
	"regexp"

	"github.com/spf13/cobra"

	"github.com/stixcel/stixcel"
	"github.com/stixcel/stixcel/internal/outfile"
	"github.com/stixcel/stixcel/tester"
)

type testFlags struct {
	bundles   []string
	run       string
	junit     string
	verbose   bool
	noBuiltin bool
	allowSkip bool
	// allowEvalErrors passes cases whose expressions failed to evaluate.
	allowEvalErrors bool
}

func (c *cli) testCommand() *cobra.Command {
	var f testFlags
	cmd := &cobra.Command{
		Use:   "test [PACK_DIR | BINDING.yaml ...]",
		Short: "Run the tests of packs or binding files (the built-in pack when none is given)",
		Long: `Run every tests: entry of every binding: compile the analytic with its binding, feed
the test's events through the runtime and compare the alerts with expect. An expression that
fails to evaluate (a type mismatch, a missing field) counts as false, as in run, and fails its
case: a case expecting silence proves nothing about logic that never ran (--allow-eval-errors
passes such cases). Analytics come from
--bundle (the embedded seed bundle when none is given), as in run and lint. Exit 1 when a case
fails, when no case ran, or when a case was skipped (its analytic is not loaded) unless
--allow-skip. A binding file argument runs that binding's tests alone.`,
		RunE: func(cmd *cobra.Command, args []string) error {
			pp, err := packPaths(args)
			if err != nil {
				return err
			}
			return c.test(cmd.Context(), pp, &f)
		},
	}
	fl := cmd.Flags()
	addBundleFlag(cmd, &f.bundles)
	fl.StringVar(&f.run, "run", "", "run only cases whose ANALYTIC/name matches `REGEX`")
	fl.StringVar(&f.junit, "junit", "", "also write JUnit XML to `FILE`")
	fl.BoolVarP(&f.verbose, "verbose", "v", false, "list passing cases too")
	fl.BoolVar(&f.noBuiltin, "no-builtin", false, "leave out the built-in pack (tested when no PACK_DIR is given)")
	fl.BoolVar(&f.allowEvalErrors, "allow-eval-errors", false, "pass cases whose alerts match although some evaluations failed (counted as false); by default an evaluation error fails the case")
	fl.BoolVar(&f.allowSkip, "allow-skip", false, "pass a run in which cases were skipped because their analytic is not loaded (some case must still run)")
	return cmd
}

func (c *cli) test(ctx context.Context, pp stixcel.PackPaths, f *testFlags) error {
	opts := tester.Options{AllowEvalErrors: f.allowEvalErrors}
	if f.run != "" {
		re, err := regexp.Compile(f.run)
		if err != nil {
			return inputErr(fmt.Errorf("--run: %w", err))
		}
		opts.Run = re
	}
	in := c.checkedInputs(f.bundles, pp.Dirs, f.noBuiltin)
	l, err := c.load(in)
	if err != nil {
		return err
	}
	pp.Restrict(l)
	c.printDiagnostics(l.Diagnostics())
	reporters := []tester.Reporter{&tester.Pretty{Output: c.stdout, Verbose: f.verbose}}
	var junit *outfile.File
	if f.junit != "" {
		if junit, err = createOutput("--junit", f.junit, c.inputsOf(in.Bundles, in.Packs)); err != nil {
			return err
		}
		defer junit.Abort() // unless committed below
		reporters = append(reporters, &tester.JUnit{Output: junit, Name: "stixcel test"})
	}
	sum, err := tester.Test(ctx, l.Index, l.AllPacks(), opts, reporters...)
	if err != nil {
		return inputErr(err)
	}
	if junit != nil {
		if err := junit.Commit(); err != nil {
			return inputErr(fmt.Errorf("--junit: %w", err))
		}
	}
	switch err := sum.Verdict(f.allowSkip, l.Index, l.AllPacks()); {
	case errors.Is(err, tester.ErrFailed):
		return errFindings
	case err != nil:
		return &exitError{code: exitFindings, err: err}
	}
	return nil
}

// packPaths reads the PACK_DIR and BINDING.yaml arguments of test and lint
// (stixcel.ParsePackPaths); a bundle among them gets "did you mean --bundle".
func packPaths(args []string) (stixcel.PackPaths, error) {
	for _, a := range args {
		if looksLikeBundle(a) {
			return stixcel.PackPaths{}, errBundleArg(a, "a pack directory")
		}
	}
	pp, err := stixcel.ParsePackPaths(args)
	if err != nil {
		return pp, inputErr(err)
	}
	return pp, nil
}
