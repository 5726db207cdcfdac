package main

import (
	"errors"
	"fmt"
	"path/filepath"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/stixcel/stixcel"
	"github.com/stixcel/stixcel/compiler"
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

// checkedInputs are the inputs test and lint check: the project file's packs and the pack
// directories, or the built-in pack when there are none (unless noBuiltin), against bundles,
// loaded by the rule of every command (the embedded seed bundle only when none is named).
func (c *cli) checkedInputs(bundles, dirs []string, noBuiltin bool) stixcel.Inputs {
	if c.project != nil {
		dirs = append(append([]string(nil), c.project.Packs...), dirs...)
	}
	return stixcel.Inputs{Bundles: bundles, Packs: dirs, NoBuiltin: noBuiltin || len(dirs) > 0}
}

// useProject finds the project file of a command that loads bundles or packs (one with
// --bundle or --pack) and feeds it to the command's flags: its lists go before the
// --bundle and --pack values (flags add), its single values fill --params, --taxonomy and
// --source where they were not given (flags override). With --plans (a compiled artifact)
// only --source is filled. It says on stderr which file it uses, and that Sigma rules it
// names are not compiled yet.
func (c *cli) useProject(cmd *cobra.Command, _ []string) error {
	fl := cmd.Flags()
	if fl.Lookup("bundle") == nil && fl.Lookup("pack") == nil {
		return nil
	}
	f, err := c.findProject()
	if f == nil || err != nil {
		return err
	}
	c.project = f
	fmt.Fprintf(c.stderr, "using %s (%s)\n", filepath.Base(f.Path), f.Path)
	if msg := f.NotCompiled(); msg != "" {
		fmt.Fprintln(c.stderr, "note:", msg)
	}
	if err := fillFlag(fl, "source", f.Source); err != nil {
		return err
	}
	if fl.Changed("plans") {
		return nil
	}
	for _, err := range []error{
		prependFlag(fl, "bundle", f.Bundles), prependFlag(fl, "pack", f.Packs),
		fillFlag(fl, "params", f.Params), fillFlag(fl, "taxonomy", f.Taxonomy),
	} {
		if err != nil {
			return err
		}
	}
	return nil
}

// findProject reads the project file that --config names, or the one found from the working
// directory; nil with --no-config or when there is none. Errors in the file are printed and
// come back as an exit-2 error.
func (c *cli) findProject() (*project.File, error) {
	path := c.config
	switch {
	case c.noConfig && path != "":
		return nil, inputErr(errors.New("--config and --no-config: give one"))
	case c.noConfig:
		return nil, nil
	case path != "" && !filepath.IsAbs(path):
		path = filepath.Join(c.dir, path)
	case path == "":
		found, err := project.Find(c.dir)
		if err != nil {
			return nil, inputErr(fmt.Errorf("looking for %s: %w", project.Name, err))
		}
		if found == "" {
			return nil, nil
		}
		path = found
	}
	f, err := project.Load(path)
	var diags diag.Diagnostics
	if errors.As(err, &diags) {
		c.printDiagnostics(diags)
		return nil, inputErr(fmt.Errorf("%s: %d error(s) in the project file", path, countErrors(diags)))
	}
	if err != nil {
		return nil, inputErr(fmt.Errorf("project file: %w", err))
	}
	return f, nil
}

// prependFlag puts values before the values of cmd's list flag name, if it has one.
func prependFlag(fl *pflag.FlagSet, name string, values []string) error {
	flag := fl.Lookup(name)
	if flag == nil || len(values) == 0 {
		return nil
	}
	list, ok := flag.Value.(pflag.SliceValue)
	if !ok {
		return nil
	}
	return list.Replace(append(append([]string(nil), values...), list.GetSlice()...))
}

// fillFlag sets cmd's flag name to value unless it was given or value is "".
func fillFlag(fl *pflag.FlagSet, name, value string) error {
	if value == "" || fl.Lookup(name) == nil || fl.Changed(name) {
		return nil
	}
	return fl.Set(name, value)
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
