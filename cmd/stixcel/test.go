package main

import (
	"context"
	"fmt"
	"regexp"

	"github.com/spf13/cobra"

	"github.com/stixcel/stixcel/internal/outfile"
	"github.com/stixcel/stixcel/tester"
)

type testFlags struct {
	bundles   []string
	run       string
	junit     string
	verbose   bool
	noBuiltin bool
}

func (c *cli) testCommand() *cobra.Command {
	var f testFlags
	cmd := &cobra.Command{
		Use:   "test [PACK_DIR ...]",
		Short: "Run the tests of packs (the built-in pack when no directory is given)",
		Long: `Run every tests: entry of every binding: compile the analytic with its binding, feed
the test's events through the runtime and compare the alerts with expect. Analytics come from
the embedded seed bundle and --bundle. Exit 1 when a case fails.`,
		RunE: func(cmd *cobra.Command, args []string) error {
			return c.test(cmd.Context(), args, &f)
		},
	}
	fl := cmd.Flags()
	fl.StringArrayVar(&f.bundles, "bundle", nil, "ATT&CK bundle `FILE|DIR` holding the bound analytics (repeatable; added to the embedded seed)")
	fl.StringVar(&f.run, "run", "", "run only cases whose ANALYTIC/name matches `REGEX`")
	fl.StringVar(&f.junit, "junit", "", "also write JUnit XML to `FILE`")
	fl.BoolVarP(&f.verbose, "verbose", "v", false, "list passing cases too")
	fl.BoolVar(&f.noBuiltin, "no-builtin", false, "leave out the built-in pack (tested when no PACK_DIR is given)")
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
	l, err := c.load(checkedInputs(f.bundles, dirs, f.noBuiltin))
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
	if !sum.OK() {
		return errFindings
	}
	return nil
}
