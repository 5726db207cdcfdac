package stixcel

import (
	"io"

	"github.com/stixcel/stixcel/compiler"
	"github.com/stixcel/stixcel/compiler/attack"
	"github.com/stixcel/stixcel/compiler/channel"
	"github.com/stixcel/stixcel/diag"
	"github.com/stixcel/stixcel/internal/bounded"
	"github.com/stixcel/stixcel/pack"
	"github.com/stixcel/stixcel/plan"
)

// Inputs name what stixcel compiles, as the CLI's flags do. The zero value is the built-in
// pack over the embedded seed bundle.
type Inputs struct {
	// Bundles are ATT&CK bundle files or directories of them, "-" for Stdin (see
	// attack.ReadPaths), or SeedBundleName for the embedded seed bundle. The one rule of
	// every command: what Bundles name is loaded, and the embedded seed bundle only when they
	// name none (or name it). For one id, the newer modified wins.
	Bundles []string
	// IncludeRevoked keeps revoked and deprecated analytics.
	IncludeRevoked bool
	// Stdin is read for a bundle named "-"; nil means os.Stdin.
	Stdin io.Reader
	// Packs are pack directories of the operating system. Their bindings win over the
	// built-in pack's, later directories over earlier ones, for the same analytic.
	Packs []string
	// NoBuiltin leaves out the built-in pack.
	NoBuiltin bool
	// Profile is a parameter profile file (YAML); "" for none.
	Profile string
	// Taxonomy is a log source taxonomy file (YAML) replacing the built-in one; "" keeps it.
	Taxonomy string
	// Sigma are Sigma rule files or directories of them (walked for .yml and .yaml), planned
	// beside the analytics (see SigmaOptions).
	Sigma []string
	// SigmaOptions say how the rules are planned: the mapping file, grouping, level.
	SigmaOptions SigmaOptions
	// Cache, when set, keeps what loading and compiling built for later loads of the same
	// inputs (see Cache); nil loads and compiles every time.
	Cache *Cache
}

// Loaded is what Inputs.Load read, ready to compile.
type Loaded struct {
	// Index holds the analytics of the bundles; Index.Stats counts what was loaded.
	Index *attack.Index
	// Warnings are the bundles' loading warnings, except the embedded seed bundle's: its
	// known gaps (it has no data component objects) are not the user's to act on.
	Warnings []attack.Warning
	// Builtin is the built-in pack; nil with NoBuiltin.
	Builtin *pack.Pack
	// Packs are the user's pack directories, in order.
	Packs []*pack.Pack
	// Profile is the parameter profile; nil without one, or when it could not be read (see
	// Diagnostics).
	Profile *pack.Profile
	// Taxonomy replaces the built-in log source taxonomy; nil keeps it.
	Taxonomy *channel.Taxonomy

	// Sigma holds the Sigma rule files read and the mapping they are planned with.
	Sigma *SigmaLoaded

	profileDiags diag.Diagnostics
	// cache, when set, is Inputs.Cache; builtinOnly says the compilation depends on nothing
	// but the index and the built-in pack, so the cache may keep it.
	cache       *Cache
	builtinOnly bool
	// seedOnly says the index is the embedded seed bundle alone.
	seedOnly bool
}

// Load reads the inputs in order: bundles, packs, profile, taxonomy. Problems in the packs
// and the profile are diagnostics positioned in their files (see Loaded.Diagnostics); an
// unreadable or malformed bundle or taxonomy is an error, attack's or channel's own, which
// names the file. When the bundles load but the taxonomy does not, Load returns what it
// loaded together with the error, so that the caller can still report on the bundles.
func (in Inputs) Load() (*Loaded, error) {
	l, err := in.loadBundles()
	if err != nil {
		return nil, err
	}
	in.loadPacks(l)
	l.Sigma = in.loadSigma()
	l.cache, l.builtinOnly = in.Cache, len(in.Packs) == 0 && in.Profile == "" && in.Taxonomy == "" && l.Sigma == nil
	if in.Profile != "" {
		l.Profile, l.profileDiags = loadProfile(in.Profile)
	}
	if in.Taxonomy != "" {
		if l.Taxonomy, err = loadTaxonomy(in.Taxonomy); err != nil {
			return l, err
		}
	}
	return l, nil
}

// Compile loads the inputs and compiles them through every stage: Load, then
// Loaded.Compile.
func (in Inputs) Compile() (*plan.Set, diag.Diagnostics, error) {
	l, err := in.Load()
	if err != nil {
		return nil, nil, err
	}
	set, diags := l.Compile("")
	return set, diags, nil
}

// loadBundles loads Bundles: the embedded seed bundle where they name it, or when they name
// no bundle at all.
func (in Inputs) loadBundles() (*Loaded, error) {
	paths, seed := withoutSeed(in.Bundles)
	sources, err := attack.ReadPaths(paths, in.Stdin)
	if err != nil {
		return nil, err
	}
	if seed || len(in.Bundles) == 0 {
		sources = append(sources, attack.Source{Name: SeedBundleName, Data: SeedBundle()})
	}
	ix, warns, err := in.Cache.load(sources, attack.Options{IncludeRevoked: in.IncludeRevoked, Stdin: in.Stdin})
	if err != nil {
		return nil, err
	}
	l := &Loaded{Index: ix, seedOnly: len(paths) == 0}
	for _, w := range warns {
		if w.Pos.File != SeedBundleName {
			l.Warnings = append(l.Warnings, w)
		}
	}
	return l, nil
}

// withoutSeed returns bundles without SeedBundleName, and whether it was there.
func withoutSeed(bundles []string) ([]string, bool) {
	paths := make([]string, 0, len(bundles))
	for _, b := range bundles {
		if b != SeedBundleName {
			paths = append(paths, b)
		}
	}
	return paths, len(paths) < len(bundles)
}

// loadPacks loads the built-in pack (unless NoBuiltin) and the user's pack directories.
func (in Inputs) loadPacks(l *Loaded) {
	if !in.NoBuiltin {
		l.Builtin = pack.FromFS(BuiltinPack(), BuiltinPackRoot)
	}
	for _, dir := range in.Packs {
		l.Packs = append(l.Packs, pack.FromDir(dir))
	}
}

// loadProfile reads a parameter profile; an unreadable file is a diagnostic, like a
// malformed one.
func loadProfile(path string) (*pack.Profile, diag.Diagnostics) {
	data, err := bounded.ReadFile(path, bounded.MaxYAMLSize, "YAML", nil)
	if err != nil {
		return nil, diag.Diagnostics{{Pos: diag.Pos{File: path}, Code: diag.CodeIO, Severity: diag.SeverityError, Msg: err.Error()}}
	}
	return pack.ParseProfile(path, data)
}

// loadTaxonomy reads a log source taxonomy.
func loadTaxonomy(path string) (*channel.Taxonomy, error) {
	data, err := bounded.ReadFile(path, bounded.MaxYAMLSize, "YAML", nil)
	if err != nil {
		return nil, err
	}
	return channel.ParseTaxonomy(path, data)
}

// AllPacks returns the built-in pack, when it was loaded, followed by the user's packs.
func (l *Loaded) AllPacks() []*pack.Pack {
	if l.Builtin == nil {
		return l.Packs
	}
	return append([]*pack.Pack{l.Builtin}, l.Packs...)
}

// Diagnostics returns the findings of loading the packs (the built-in pack first) and the
// profile.
func (l *Loaded) Diagnostics() diag.Diagnostics {
	var diags diag.Diagnostics
	for _, p := range l.AllPacks() {
		diags = append(diags, p.Diagnostics...)
	}
	return append(diags, l.profileDiags...)
}

// Compile compiles the loaded analytics with the packs' bindings (the built-in pack's as
// compiler.Options.Builtin), the profile and the taxonomy, stopping after stage stop (""
// runs them all). The diagnostics, sorted, are those of loading and of compiling.
func (l *Loaded) Compile(stop compiler.Stage) (*plan.Set, diag.Diagnostics) {
	if l.cache != nil && l.builtinOnly {
		key := setKey{ix: l.Index, noBuiltin: l.Builtin == nil, stop: stop}
		return l.cache.compile(key, func() (*plan.Set, diag.Diagnostics) { return l.compile(stop) })
	}
	return l.compile(stop)
}

func (l *Loaded) compile(stop compiler.Stage) (*plan.Set, diag.Diagnostics) {
	opts := compiler.Options{Profile: l.Profile, Taxonomy: l.Taxonomy, StopAfter: stop}
	if l.Builtin != nil {
		opts.Builtin = l.Builtin.Bindings
	}
	for _, p := range l.Packs {
		opts.Bindings = append(opts.Bindings, p.Bindings...)
	}
	set, cd := compiler.Compile(l.Index, opts)
	diags := append(l.Diagnostics(), cd...)
	if l.Sigma != nil && (stop == "" || stop == compiler.Stages()[len(compiler.Stages())-1]) {
		diags = append(diags, l.Sigma.plan(set, !l.seedOnly)...)
	}
	diags.Sort()
	return set, diags
}
