package main

import (
	"context"
	"errors"
	"fmt"
	"regexp"

	"github.com/spf13/cobra"

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
}

func (c *cli) testCommand() *cobra.Command {
	var f testFlags
	cmd := &cobra.Command{
		Use:   "test [PACK_DIR ...]",
		Short: "Run the tests of packs (the built-in pack when no directory is given)",
		Long: `Run every tests: entry of every binding: compile the analytic with its binding, feed
the test's events through the runtime and compare the alerts with expect. Analytics come from
--bundle (the embedded seed bundle when none is given), as in run and lint. Exit 1 when a case
fails, when no case ran, or when a case was skipped (its analytic is not loaded) unless
--allow-skip.`,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkPackDirs(args); err != nil {
				return err
			}
			return c.test(cmd.Context(), args, &f)
		},
	}
	fl := cmd.Flags()
	addBundleFlag(cmd, &f.bundles)
	fl.StringVar(&f.run, "run", "", "run only cases whose ANALYTIC/name matches `REGEX`")
	fl.StringVar(&f.junit, "junit", "", "also write JUnit XML to `FILE`")
	fl.BoolVarP(&f.verbose, "verbose", "v", false, "list passing cases too")
	fl.BoolVar(&f.noBuiltin, "no-builtin", false, "leave out the built-in pack (tested when no PACK_DIR is given)")
	fl.BoolVar(&f.allowSkip, "allow-skip", false, "pass a run in which cases were skipped because their analytic is not loaded (some case must still run)")
	return cmd
}

func (c *cli) test(ctx context.Context, dirs []string, f *testFlags) error {
	opts := tester.Options{}
	if f.run != "" {
		re, err := regexp.Compile(f.run)
		if err != nil {
			return inputErr(fmt.Errorf("--run: %w", err))
		}
		opts.Run = re
	}
	l, err := c.load(c.checkedInputs(f.bundles, dirs, f.noBuiltin))
	if err != nil {
		return err
	}
	c.printDiagnostics(l.Diagnostics())
	reporters := []tester.Reporter{&tester.Pretty{Output: c.stdout, Verbose: f.verbose}}
	var junit *outfile.File
	if f.junit != "" {
		if junit, err = createOutput("--junit", f.junit, c.inputsOf(f.bundles, dirs)); err != nil {
			return err
		}
		defer junit.Abort() // unless committed below
		reporters = append(reporters, &tester.JUnit{Output: junit, Name: "stixcel test"})
	}
	if ctx == nil {
		ctx = context.Background()
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
	waiting := waitingBindings(l.AllPacks(), func(id string) bool { return l.Index.Analytic(id) != nil })
	return testVerdict(sum, f.allowSkip, waiting)
}

// testVerdict is the exit of a test run: findings (exit 1) when a case failed or could not
// run, when no case ran, or when a case was skipped (its binding among waiting, whose
// analytics are not loaded) unless allowSkip: a CI run must check what it claims to.
func testVerdict(sum tester.Summary, allowSkip bool, waiting []*pack.Binding) error {
	switch {
	case !sum.OK():
		return errFindings
	case sum.Total == 0:
		return &exitError{code: exitFindings, err: errors.New("no test case ran: none found")}
	case sum.Todo > 0 && !allowSkip:
		return &exitError{code: exitFindings, err: fmt.Errorf("%d of %d test cases are marked todo: fill them in and remove todo, or --allow-skip",
			sum.Todo, sum.Total)}
	case sum.Total == sum.Todo:
		return &exitError{code: exitFindings, err: fmt.Errorf("no test case ran: all %d are marked todo", sum.Total)}
	case sum.Total == sum.Skipped+sum.Todo:
		return &exitError{code: exitFindings, err: fmt.Errorf("no test case ran: all %d skipped, their analytics not loaded; pass %s",
			sum.Total, bundleFlagsFor(waiting))}
	case sum.Skipped > 0 && !allowSkip:
		return &exitError{code: exitFindings, err: fmt.Errorf("%d of %d test cases skipped, their analytics not loaded: pass %s, or --allow-skip",
			sum.Skipped, sum.Total, bundleFlagsFor(waiting))}
	}
	return nil
}
