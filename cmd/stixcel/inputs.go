package main

import (
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/stixcel/stixcel"
	"github.com/stixcel/stixcel/compiler"
	"github.com/stixcel/stixcel/compiler/attack"
	"github.com/stixcel/stixcel/compiler/channel"
	"github.com/stixcel/stixcel/diag"
	"github.com/stixcel/stixcel/pack"
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

// compileInputs loads bundles (the embedded seed when none is given), packs, profile and
// taxonomy, and compiles them. Diagnostics are printed to stderr; errors in the inputs are
// returned as exit-2 errors.
func (c *cli) compileInputs(bundles []string, f *compileFlags, stop compiler.Stage) (*plan.Set, error) {
	ix, err := c.loadIndex(bundles, f)
	if err != nil {
		return nil, err
	}
	opts := compiler.Options{StopAfter: stop}
	var diags diag.Diagnostics
	opts.Builtin, opts.Bindings, diags = c.loadPacks(f)
	if f.params != "" {
		prof, pd := loadProfile(f.params)
		diags = append(diags, pd...)
		opts.Profile = prof
	}
	if f.taxonomy != "" {
		tax, err := loadTaxonomy(f.taxonomy)
		if err != nil {
			return nil, inputErr(err)
		}
		opts.Taxonomy = tax
	}
	set, cd := compiler.Compile(ix, opts)
	diags = append(diags, cd...)
	c.printDiagnostics(diags)
	if diags.HasErrors() {
		return set, inputErr(fmt.Errorf("%d error(s) in the inputs", countErrors(diags)))
	}
	return set, nil
}

// loadIndex loads the named bundles, or the embedded seed bundle when there are none.
func (c *cli) loadIndex(bundles []string, f *compileFlags) (*attack.Index, error) {
	if len(bundles) == 0 {
		return c.loadSources(nil, f)
	}
	sources, err := attack.ReadPaths(bundles, c.stdin)
	if err != nil {
		return nil, inputErr(err)
	}
	return c.loadSources(sources, f)
}

// loadIndexWithSeed loads the embedded seed bundle and the named bundles: test and lint
// check the built-in pack, whose AN1828 binding is written for the seed, next to whatever
// the user's bundles hold (for one id, the newer modified wins).
func (c *cli) loadIndexWithSeed(bundles []string) (*attack.Index, error) {
	sources, err := attack.ReadPaths(bundles, c.stdin)
	if err != nil {
		return nil, inputErr(err)
	}
	return c.loadSources(append(sources, seedSource()), &compileFlags{})
}

func seedSource() attack.Source {
	return attack.Source{Name: stixcel.SeedBundleName, Data: stixcel.SeedBundle()}
}

func (c *cli) loadSources(sources []attack.Source, f *compileFlags) (*attack.Index, error) {
	if len(sources) == 0 {
		sources = []attack.Source{seedSource()}
	}
	ix, warns, err := attack.Load(sources, attack.Options{IncludeRevoked: f.includeRevoked, Stdin: c.stdin})
	if err != nil {
		return nil, inputErr(err)
	}
	for _, w := range warns {
		if w.Pos.File == stixcel.SeedBundleName {
			continue // the embedded seed's known gaps (it has no data component objects) are not the user's to act on
		}
		fmt.Fprintf(c.stderr, "warning: %s\n", w)
	}
	fmt.Fprintf(c.stderr, "loaded %s\n", ix.Stats)
	return ix, nil
}

// loadPacks loads the built-in pack (unless --no-builtin) and the user's pack directories.
func (c *cli) loadPacks(f *compileFlags) (builtin, user []*pack.Binding, diags diag.Diagnostics) {
	if !f.noBuiltin {
		builtin, diags = pack.LoadDir(stixcel.BuiltinPack(), stixcel.BuiltinPackRoot)
	}
	for _, dir := range f.packs {
		bs, ds := pack.LoadOSDir(dir)
		user, diags = append(user, bs...), append(diags, ds...)
	}
	return builtin, user, diags
}

// packDirs loads the named pack directories for test and lint, or the built-in pack when
// there are none.
func packDirs(dirs []string) []*pack.Pack {
	if len(dirs) == 0 {
		return []*pack.Pack{pack.FromFS(stixcel.BuiltinPack(), stixcel.BuiltinPackRoot)}
	}
	packs := make([]*pack.Pack, len(dirs))
	for i, d := range dirs {
		packs[i] = pack.FromDir(d)
	}
	return packs
}

func loadProfile(path string) (*pack.Profile, diag.Diagnostics) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, diag.Diagnostics{{Pos: diag.Pos{File: path}, Code: diag.CodeIO, Severity: diag.SeverityError, Msg: err.Error()}}
	}
	return pack.ParseProfile(path, data)
}

func loadTaxonomy(path string) (*channel.Taxonomy, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return channel.ParseTaxonomy(path, data)
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
