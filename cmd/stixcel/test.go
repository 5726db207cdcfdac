package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/stixcel/stixcel"
	"github.com/stixcel/stixcel/diag"
	"github.com/stixcel/stixcel/hints"
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
			pa, err := parsePackArgs(args)
			if err != nil {
				return err
			}
			return c.test(cmd.Context(), pa, &f)
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

func (c *cli) test(ctx context.Context, pa packArgs, f *testFlags) error {
	dirs := pa.dirs
	opts := tester.Options{AllowEvalErrors: f.allowEvalErrors}
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
	pa.restrict(l)
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
	waiting := hints.WaitingBindings(l.AllPacks(), func(id string) bool { return l.Index.Analytic(id) != nil })
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
			sum.Total, hints.BundleFlagsFor(waiting))}
	case sum.Skipped > 0 && !allowSkip:
		return &exitError{code: exitFindings, err: fmt.Errorf("%d of %d test cases skipped, their analytics not loaded: pass %s, or --allow-skip",
			sum.Skipped, sum.Total, hints.BundleFlagsFor(waiting))}
	}
	return nil
}

// packArgs are the PACK_DIR and BINDING.yaml arguments of test and lint. A binding file
// stands for its directory loaded as a pack, restricted to the files named in it (its
// tests' events are read relative to it, as in the whole pack).
type packArgs struct {
	dirs []string
	// only maps a directory of dirs to the binding files named in it; a directory given
	// as such is absent (all of its bindings).
	only map[string][]string
}

// parsePackArgs sorts arguments into pack directories and binding files. A bundle is refused
// with "did you mean --bundle"; another file must be a YAML binding.
func parsePackArgs(args []string) (packArgs, error) {
	pa := packArgs{only: map[string][]string{}}
	whole := map[string]bool{}
	for _, a := range args {
		if looksLikeBundle(a) {
			return pa, errBundleArg(a, "a pack directory")
		}
		dir, file := a, ""
		if st, err := os.Stat(a); err == nil && !st.IsDir() {
			if ext := strings.ToLower(filepath.Ext(a)); ext != ".yaml" && ext != ".yml" {
				return pa, inputErr(fmt.Errorf("%s is a file but not a YAML binding: want a pack directory or a binding file (.yaml, .yml)", a))
			}
			dir, file = filepath.Dir(a), filepath.Clean(a)
		}
		key := filepath.Clean(dir)
		if _, seen := pa.only[key]; !seen && !whole[key] {
			pa.dirs = append(pa.dirs, dir)
		}
		if file == "" {
			whole[key] = true
			delete(pa.only, key)
		} else if !whole[key] {
			pa.only[key] = append(pa.only[key], file)
		}
	}
	return pa, nil
}

// restrict keeps, in the loaded packs that stand for binding files (by their root, among
// the project file's packs too), the bindings and diagnostics of those files alone; a second
// pack with the same root keeps nothing, so that no binding is loaded twice.
func (pa packArgs) restrict(l *stixcel.Loaded) {
	seen := map[string]bool{}
	for _, p := range l.Packs {
		root := filepath.Clean(filepath.FromSlash(p.Root))
		files, ok := pa.only[root]
		if !ok {
			continue
		}
		if seen[root] {
			p.Bindings, p.Diagnostics = nil, nil
			continue
		}
		seen[root] = true
		named := func(f string) bool { return slices.Contains(files, filepath.Clean(f)) }
		p.Bindings = slices.DeleteFunc(p.Bindings, func(b *pack.Binding) bool { return !named(b.File) })
		p.Diagnostics = slices.DeleteFunc(p.Diagnostics, func(d diag.Diagnostic) bool { return d.Pos.File != "" && !named(d.Pos.File) })
	}
}
