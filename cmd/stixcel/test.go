package main

import (
	"context"
	"errors"
	"fmt"
	"regexp"

	"github.com/spf13/cobra"

	"github.com/stixcel/stixcel"
	"github.com/stixcel/stixcel/diag"
	"github.com/stixcel/stixcel/internal/outfile"
	"github.com/stixcel/stixcel/pack"
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
	// sigma are Sigma rule files or directories whose regression tests run; sigmaMapping is
	// --sigma-mapping; exactCount is --exact-count.
	sigma        []string
	sigmaMapping string
	exactCount   bool
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
passes such cases). With --sigma, run the regression tests of SigmaHQ rules too: each rule
with regression_tests_path (from the root of the rule's repository, found upward from the
rule) names an info.yml whose tests each list an .evtx, read as run reads it (the evtx_dump
JSON beside it when it is missing) and run through the rule's plan, one alert per matching
event, and the rule must match some event (none for match_count: 0), as SigmaHQ's runner
checks; --exact-count also requires the count to be match_count. A rule that is not planned
fails its tests with the reason. With --sigma and no PACK_DIR (here or in stixcel.yaml), only
the Sigma tests run: run test without --sigma for the built-in pack. Analytics come from
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
	fl.StringArrayVar(&f.sigma, "sigma", nil, "run the regression tests of the Sigma rules in `PATH`, a file or a directory walked for .yml/.yaml (repeatable)")
	fl.StringVar(&f.sigmaMapping, "sigma-mapping", "", "Sigma log source mapping `FILE` (YAML) merged over the built-in one")
	fl.BoolVar(&f.exactCount, "exact-count", false, "fail a Sigma regression test whose count of matching events is not its match_count")
	return cmd
}

func (c *cli) test(ctx context.Context, pp stixcel.PackPaths, f *testFlags) error {
	opts := tester.Options{AllowEvalErrors: f.allowEvalErrors, ExactCount: f.exactCount}
	if f.run != "" {
		re, err := regexp.Compile(f.run)
		if err != nil {
			return inputErr(fmt.Errorf("--run: %w", err))
		}
		opts.Run = re
	}
	in := c.checkedInputs(f.bundles, pp.Dirs, f.noBuiltin)
	if len(f.sigma) > 0 {
		in.NoBuiltin = in.NoBuiltin || len(in.Packs) == 0 // --sigma alone tests the rules alone
		in.Sigma, in.SigmaOptions = f.sigma, stixcel.SigmaOptions{Mapping: f.sigmaMapping}
	}
	l, err := c.load(in)
	if err != nil {
		return err
	}
	pp.Restrict(l)
	c.printDiagnostics(l.Diagnostics())
	results, err := c.testResults(ctx, l, opts)
	if err != nil {
		return err
	}
	reporters := []tester.Reporter{&tester.Pretty{Output: c.stdout, Verbose: f.verbose}}
	var junit *outfile.File
	if f.junit != "" {
		if junit, err = createOutput("--junit", f.junit, c.inputsOf(in.Bundles, in.Packs)); err != nil {
			return err
		}
		defer junit.Abort() // unless committed below
		reporters = append(reporters, &tester.JUnit{Output: junit, Name: "stixcel test"})
	}
	sum, err := tester.Report(results, reporters...)
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

// testResults runs the packs' tests, then the Sigma rules' regression tests when rules were
// loaded. Only the rule files that name a regression test, and the filters, are planned
// (tester.RegressionInputs; lint --sigma checks the others); planning prints what stops the run (errors outside the rule files, such as a
// bad mapping: exit 2) and the Sigma summary; a refused rule fails its own tests.
func (c *cli) testResults(ctx context.Context, l *stixcel.Loaded, opts tester.Options) (<-chan tester.Result, error) {
	runner := tester.NewRunner(l.Index, opts)
	if l.Sigma == nil {
		return runner.Run(ctx, l.AllPacks()), nil
	}
	all := len(l.Sigma.Files)
	l.Sigma.Files = tester.RegressionInputs(l.Sigma.Files)
	fmt.Fprintf(c.stderr, "sigma: %d of %d rule files name a regression test or are filters\n", len(l.Sigma.Files), all)
	set, diags := l.Compile("")
	fatal := notInPacks(l.Blocking(diags, false), l.AllPacks())
	c.printDiagnostics(fatal)
	_ = l.WriteSigmaSummary(c.stderr)
	if fatal.HasErrors() {
		return nil, inputErr(stixcel.ErrorsIn(fatal))
	}
	rules := tester.SigmaRules{Files: l.Sigma.Files, Plans: set.Plans, Diagnostics: diags}
	return tester.Concat(runner.Run(ctx, l.AllPacks()), runner.RunSigma(ctx, rules)), nil
}

// notInPacks are the diagnostics not positioned in a pack's files: the pack runner reports
// those as the errors of their cases.
func notInPacks(diags diag.Diagnostics, packs []*pack.Pack) diag.Diagnostics {
	files := map[string]bool{}
	for _, p := range packs {
		for _, b := range p.Bindings {
			files[b.File] = true
		}
		for _, d := range p.Diagnostics {
			files[d.Pos.File] = true
		}
	}
	var out diag.Diagnostics
	for _, d := range diags {
		if !files[d.Pos.File] {
			out = append(out, d)
		}
	}
	return out
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
