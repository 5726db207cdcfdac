package main

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/stixcel/stixcel"
	"github.com/stixcel/stixcel/compiler"
	"github.com/stixcel/stixcel/compiler/sigma/planner"
	"github.com/stixcel/stixcel/diag"
	"github.com/stixcel/stixcel/plan"
	"github.com/stixcel/stixcel/project"
)

// compileFlags are the inputs shared by compile, run and explain.
type compileFlags struct {
	packs          []string
	params         string
	taxonomy       string
	includeRevoked bool
	noBuiltin      bool
	sigma          sigmaFlags
}

// sigmaFlags name Sigma rules and how they are planned: every command that compiles takes them.
type sigmaFlags struct {
	paths    []string
	mapping  string
	suppress time.Duration
	level    string
}

func (f *sigmaFlags) register(cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.StringArrayVar(&f.paths, "sigma", nil, "Sigma rule `PATH`, a file or a directory walked for .yml/.yaml (repeatable)")
	fl.StringVar(&f.mapping, "sigma-mapping", "", "Sigma log source mapping `FILE` (YAML) merged over the built-in one")
	fl.DurationVar(&f.suppress, "sigma-suppress", planner.DefaultSuppress, "group a Sigma rule's matches per host within this `DURATION` into one alert (0: one alert per match)")
	fl.StringVar(&f.level, "sigma-level", "", "keep only Sigma rules at or above this `LEVEL` ("+strings.Join(plan.Levels, ", ")+")")
}

func (f *compileFlags) register(cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.StringArrayVar(&f.packs, "pack", nil, "pack `DIR` of YAML bindings (repeatable; wins over the built-in pack)")
	fl.StringVar(&f.params, "params", "", "parameter profile `FILE` (YAML)")
	fl.StringVar(&f.taxonomy, "taxonomy", "", "log source taxonomy `FILE` (YAML) replacing the built-in one")
	fl.BoolVar(&f.includeRevoked, "include-revoked", false, "keep revoked and deprecated analytics")
	fl.BoolVar(&f.noBuiltin, "no-builtin", false, "leave out the built-in pack")
	f.sigma.register(cmd)
}

// inputs are the inputs the flags name, with bundles (the embedded seed bundle when none).
func (f *compileFlags) inputs(bundles []string) stixcel.Inputs {
	in := stixcel.Inputs{
		Bundles:        bundles,
		IncludeRevoked: f.includeRevoked,
		Packs:          f.packs,
		NoBuiltin:      f.noBuiltin,
		Profile:        f.params,
		Taxonomy:       f.taxonomy,
	}
	in.Sigma = f.sigma.paths
	in.SigmaOptions = stixcel.SigmaOptions{Mapping: f.sigma.mapping, Suppress: f.sigma.suppress, MinLevel: f.sigma.level}
	return in
}

// checkedInputs are the inputs test and lint check: the project file's packs and the pack
// directories, or the built-in pack when there are none (unless noBuiltin), against bundles,
// loaded by the rule of every command (the embedded seed bundle only when none is named).
func (c *cli) checkedInputs(bundles, dirs []string, noBuiltin bool) stixcel.Inputs {
	dirs = c.project.PacksBefore(dirs)
	return stixcel.Inputs{Bundles: bundles, Packs: dirs, NoBuiltin: noBuiltin || len(dirs) > 0}
}

// useProject feeds the project file (--config's, or the one found from the working
// directory; none with --no-config) to the flags of a command that loads bundles or packs
// (project.File.Apply), saying on stderr which file it uses and that Sigma rules it names
// are not compiled yet. Errors in the file are printed and come back as an exit-2 error.
func (c *cli) useProject(cmd *cobra.Command, _ []string) error {
	fl := cmd.Flags()
	switch {
	case fl.Lookup("bundle") == nil && fl.Lookup("pack") == nil, c.noConfig && c.config == "":
		return nil
	case c.noConfig:
		return inputErr(errors.New("--config and --no-config: give one"))
	}
	f, err := project.Open(c.dir, c.config)
	if bad := (*project.FileError)(nil); errors.As(err, &bad) {
		c.printDiagnostics(bad.Diags)
	}
	if f == nil || err != nil {
		return inputErr(err)
	}
	c.project = f
	fmt.Fprint(c.stderr, f.Using())
	return f.Apply(fl)
}

// compileLoaded loads and compiles in (load), printing the diagnostics to stderr; errors in
// the inputs are exit-2 errors. What was loaded is nil when loading failed.
func (c *cli) compileLoaded(in stixcel.Inputs, stop compiler.Stage) (*stixcel.Loaded, *plan.Set, error) {
	if err := checkSigmaOptions(in.SigmaOptions); err != nil {
		return nil, nil, err
	}
	l, err := c.load(in)
	if err != nil {
		return nil, nil, err
	}
	set, diags := l.Compile(stop)
	c.printDiagnostics(l.SigmaShown(diags))
	_ = l.WriteSigmaSummary(c.stderr)
	return l, set, inputErr(stixcel.ErrorsIn(l.Blocking(diags, false)))
}

// checkSigmaOptions refuses a level outside plan.Levels and a negative suppression.
func checkSigmaOptions(o stixcel.SigmaOptions) error {
	if o.MinLevel != "" && plan.LevelRank(o.MinLevel) < 0 {
		return inputErr(fmt.Errorf("--sigma-level %q: want one of %s", o.MinLevel, strings.Join(plan.Levels, ", ")))
	}
	if o.Suppress < 0 {
		return inputErr(fmt.Errorf("--sigma-suppress %s: want a duration of 0 or more", o.Suppress))
	}
	return nil
}

// load loads in, reading stdin for "-" and printing the bundles' warnings and what was loaded
// to stderr; errors are exit-2 errors.
func (c *cli) load(in stixcel.Inputs) (*stixcel.Loaded, error) {
	in.Stdin, in.Cache = c.stdin, c.cache
	l, err := in.Load()
	if l != nil {
		_ = l.WriteSummary(c.stderr)
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
