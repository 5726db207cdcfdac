package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/stixcel/stixcel"
	"github.com/stixcel/stixcel/compiler"
	"github.com/stixcel/stixcel/diag"
	"github.com/stixcel/stixcel/plan"
)

// compileFlags are the inputs shared by compile, run and explain.
type compileFlags struct {
	packs          []string
	params         string
	taxonomy       string
	includeRevoked bool
	noBuiltin      bool
}

func (f *compileFlags) register(cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.StringArrayVar(&f.packs, "pack", nil, "pack `DIR` of YAML bindings (repeatable; wins over the built-in pack)")
	fl.StringVar(&f.params, "params", "", "parameter profile `FILE` (YAML)")
	fl.StringVar(&f.taxonomy, "taxonomy", "", "log source taxonomy `FILE` (YAML) replacing the built-in one")
	fl.BoolVar(&f.includeRevoked, "include-revoked", false, "keep revoked and deprecated analytics")
	fl.BoolVar(&f.noBuiltin, "no-builtin", false, "leave out the built-in pack")
}

// inputs are the inputs the flags name, with bundles (the embedded seed bundle when none).
func (f *compileFlags) inputs(bundles []string) stixcel.Inputs {
	return stixcel.Inputs{
		Bundles:        bundles,
		IncludeRevoked: f.includeRevoked,
		Packs:          f.packs,
		NoBuiltin:      f.noBuiltin,
		Profile:        f.params,
		Taxonomy:       f.taxonomy,
	}
}

// checkedInputs are the inputs test and lint check: the pack directories, or the built-in
// pack when there are none (unless noBuiltin), against bundles, loaded by the rule of every
// command (the embedded seed bundle only when none is named).
func checkedInputs(bundles, dirs []string, noBuiltin bool) stixcel.Inputs {
	return stixcel.Inputs{Bundles: bundles, Packs: dirs, NoBuiltin: noBuiltin || len(dirs) > 0}
}

// compileInputs loads and compiles the inputs the flags name. Diagnostics are printed to
// stderr; errors in the inputs are returned as exit-2 errors.
func (c *cli) compileInputs(bundles []string, f *compileFlags, stop compiler.Stage) (*plan.Set, error) {
	_, set, err := c.compileLoaded(f.inputs(bundles), stop)
	return set, err
}

// compileLoaded is compileInputs for in, also returning what was loaded (nil when loading
// failed).
func (c *cli) compileLoaded(in stixcel.Inputs, stop compiler.Stage) (*stixcel.Loaded, *plan.Set, error) {
	l, err := c.load(in)
	if err != nil {
		return nil, nil, err
	}
	set, diags := l.Compile(stop)
	c.printDiagnostics(diags)
	if diags.HasErrors() {
		return l, set, inputErr(fmt.Errorf("%d error(s) in the inputs", countErrors(diags)))
	}
	return l, set, nil
}

// load loads in, reading stdin for "-" and printing the bundles' warnings and what was loaded
// to stderr; errors are exit-2 errors.
func (c *cli) load(in stixcel.Inputs) (*stixcel.Loaded, error) {
	in.Stdin, in.Cache = c.stdin, c.cache
	l, err := in.Load()
	if l != nil {
		for _, w := range l.Warnings {
			fmt.Fprintf(c.stderr, "warning: %s\n", w)
		}
		fmt.Fprintf(c.stderr, "loaded %s\n", l.Index.Stats)
	}
	if err != nil {
		return nil, inputErr(err)
	}
	return l, nil
}

// printDiagnostics writes each diagnostic as "file:line:col: severity: message" with a caret
// line under the position, sorted.
func (c *cli) printDiagnostics(diags diag.Diagnostics) {
	diags.Sort()
	_ = diag.WriteText(c.stderr, diags, readPackFile)
}

func countErrors(diags diag.Diagnostics) int {
	n := 0
	for _, d := range diags {
		if d.Severity == diag.SeverityError {
			n++
		}
	}
	return n
}
