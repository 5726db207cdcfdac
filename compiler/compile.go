// Package compiler turns ATT&CK analytics into stixcel plans.
//
// Compilation runs in named stages, as OPA's compiler does: decode (load bundles, package
// attack) → resolve (analytic → detection strategy → techniques, data components) → bind typed
// params (mutable elements, pack params, profile values) → emit CEL (derived selectors, pack
// predicates and conditions) → check (every expression parsed and type-checked with cel-go) →
// build plan. Output is deterministic: the same inputs give byte-identical plans.
package compiler

import (
	"fmt"
	"slices"
	"sort"

	"github.com/google/cel-go/cel"

	"github.com/stixcel/stixcel/celenv"
	"github.com/stixcel/stixcel/compiler/attack"
	"github.com/stixcel/stixcel/compiler/channel"
	"github.com/stixcel/stixcel/compiler/drift"
	"github.com/stixcel/stixcel/diag"
	"github.com/stixcel/stixcel/pack"
	"github.com/stixcel/stixcel/plan"
)

// Options configure a compilation. The zero value compiles analytics alone with the default
// taxonomy.
type Options struct {
	// Builtin are the built-in pack's bindings: they apply to the analytics that are loaded
	// and are quietly left out for the others (the pack covers more than any one bundle).
	Builtin []*pack.Binding
	// Bindings are the user's pack bindings; they win over Builtin, later ones over earlier
	// ones, for the same analytic. A binding whose analytic is not loaded is a warning.
	Bindings []*pack.Binding
	// Profile sets organisation values for parameters; nil for none.
	Profile *pack.Profile
	// Taxonomy maps log sources to selector fields; nil means channel.DefaultTaxonomy().
	Taxonomy *channel.Taxonomy
	// StopAfter ends compilation after the named stage (see Stages); "" runs them all.
	StopAfter Stage
}

// Stage names a compiler stage.
type Stage string

// The stages, in order.
const (
	StageResolve Stage = "resolve" // metadata, strategy, techniques, data components
	StageParams  Stage = "params"  // typed parameters from mutable elements, pack and profile
	StageEmit    Stage = "emit"    // selectors, predicates, correlation
	StageCheck   Stage = "check"   // cel-go parse and type-check of every expression
)

// stages lists the stages in the order they run.
var stages = [...]Stage{StageResolve, StageParams, StageEmit, StageCheck}

// Stages returns the stages in the order they run; the slice is the caller's to change.
func Stages() []Stage { return append([]Stage(nil), stages[:]...) }

// Compile builds one plan per analytic in the index. Diagnostics carry positions in pack and
// profile files; a plan whose binding has errors keeps its derived channels and is marked with
// the errors, so one bad binding does not stop the rest.
func Compile(ix *attack.Index, opts Options) (*plan.Set, diag.Diagnostics) {
	c := newCompilation(ix, opts)
	set := &plan.Set{Schema: plan.Schema, Plans: make([]*plan.Plan, 0, len(ix.Analytics))}
	for _, a := range ix.Analytics {
		set.Plans = append(set.Plans, c.analytic(a))
	}
	c.checkUnusedBindings()
	c.checkProfileNames()
	sort.SliceStable(set.Plans, func(i, j int) bool { return set.Plans[i].ID < set.Plans[j].ID })
	c.diags.Sort()
	return set, c.diags
}

// compilation is the state of one Compile call.
type compilation struct {
	ix       *attack.Index
	opts     Options
	tax      *channel.Taxonomy
	bindings map[string]*pack.Binding // by analytic id or STIX id
	used     map[*pack.Binding]bool
	builtin  map[*pack.Binding]bool
	profile  *profileIndex
	diags    diag.Diagnostics
	baseEnv  *cel.Env          // selector environment, shared by every plan
	checked  map[string]string // selector → checker message ("" when it checks)
	// selectorTests caches what each distinct selector tests (classify).
	selectorTests map[string]selectorTests
	// techniques maps technique ids to their names and tactics, built on first use.
	techniques map[string]plan.Technique
	// fields caches EventFields by expression: the corpus repeats its derived selectors.
	fields map[string][]string
}

func newCompilation(ix *attack.Index, opts Options) *compilation {
	c := &compilation{
		ix:       ix,
		opts:     opts,
		tax:      opts.Taxonomy,
		bindings: map[string]*pack.Binding{},
		used:     map[*pack.Binding]bool{},
		checked:  map[string]string{},
		fields:   map[string][]string{},
		builtin:  map[*pack.Binding]bool{},

		selectorTests: map[string]selectorTests{},
	}
	for _, b := range opts.Builtin {
		c.builtin[b] = true
	}
	if c.tax == nil {
		c.tax = channel.DefaultTaxonomy()
	}
	for _, b := range append(append([]*pack.Binding(nil), opts.Builtin...), opts.Bindings...) {
		c.bindings[b.Analytic.Value] = b
	}
	c.profile = indexProfile(opts.Profile)
	return c
}

func (c *compilation) reached(s Stage) bool {
	if c.opts.StopAfter == "" {
		return true
	}
	for _, st := range stages {
		if st == s {
			return true
		}
		if st == c.opts.StopAfter {
			return false
		}
	}
	return true
}

// analytic runs every stage for one analytic.
func (c *compilation) analytic(a *attack.Analytic) *plan.Plan {
	p := resolve(a)
	b := c.bindingFor(a)
	before := len(c.diags)
	if b != nil {
		c.used[b] = true
		c.checkWrittenFor(a, b)
		c.resolveBindingTechniques(p, a, b)
	}
	if c.reached(StageParams) {
		c.bindParams(p, a, b)
	}
	if c.reached(StageEmit) {
		c.emit(p, a, b)
	}
	if c.reached(StageCheck) {
		c.check(p, b)
	}
	if b != nil && c.diags[before:].HasErrors() {
		c.rejectBinding(p, a, b, before)
	}
	c.evidenceFields(p)
	p.Kind = kindOf(p)
	if c.reached(StageCheck) {
		c.classify(p)
	}
	return p
}

// rejectBinding leaves a binding with errors out of its plan, which falls back to its derived
// selectors. When the binding was written for another version of the analytic, its errors
// are expected drift, not authoring mistakes: they become warnings under one headline, so the
// built-in pack never breaks the compilation of an older or newer bundle. A CEL error
// (syntax, type, cost, program) in a user's binding stays an error all the same: what does
// not compile must fail CI, whatever the binding was written for.
func (c *compilation) rejectBinding(p *plan.Plan, a *attack.Analytic, b *pack.Binding, before int) {
	unbind(p)
	if !drifted(a, b) {
		return
	}
	if c.builtin[b] {
		c.diags = c.diags[:before] // the built-in pack's details are ours to fix, not the user's
	}
	for i := before; i < len(c.diags); i++ {
		if !staysError(c.diags[i].Code) {
			c.diags[i].Severity = diag.SeverityWarning
		}
	}
	c.diags.Warnf(b.Analytic.Pos, diag.CodeBindingDrift,
		"analytic %s: binding written for version %s does not fit version %s in %s; not applied (plan %s stays %s)",
		a.ID, b.WrittenFor.Value, a.Version, a.File, p.ID, kindOf(p))
}

// staysError reports whether an error in a drifted user binding stays an error: a CEL
// expression that does not compile, or a channel that moved since the binding was written
// (until a person has reviewed it).
func staysError(code string) bool {
	switch code {
	case diag.CodeSyntaxError, diag.CodeTypeError, diag.CodeCost, diag.CodeProgram, diag.CodeChannelMoved:
		return true
	}
	return false
}

// drifted reports whether the analytic changed since the binding was written: by
// fingerprint in written_for's long form, by version in its short form.
func drifted(a *attack.Analytic, b *pack.Binding) bool {
	if b.Fingerprint.Value != "" {
		return b.Fingerprint.Value != drift.Fingerprint(a)
	}
	return b.WrittenFor.Value != "" && b.WrittenFor.Value != a.Version
}

func (c *compilation) bindingFor(a *attack.Analytic) *pack.Binding {
	if b, ok := c.bindings[a.ID]; ok {
		return b
	}
	return c.bindings[a.StixID]
}

// checkUnusedBindings reports bindings whose analytic is not in the loaded bundles.
func (c *compilation) checkUnusedBindings() {
	for _, b := range c.opts.Bindings {
		if c.used[b] || c.bindings[b.Analytic.Value] != b {
			continue
		}
		c.diags.Warnf(b.Analytic.Pos, diag.CodeUnknownAnalytic,
			"analytic %s is not in the loaded bundles; binding ignored", b.Analytic.Value)
	}
}

// kindOf classifies a compiled plan (docs/artifact.md, "Kinds").
func kindOf(p *plan.Plan) plan.Kind {
	kind := plan.KindInert
	for _, ch := range p.Channels {
		switch {
		case ch.Origin == plan.OriginBound:
			return plan.KindDetection
		case ch.Selector != "":
			kind = plan.KindSelector
		}
	}
	if p.Correlation.Condition != "" {
		return plan.KindDetection
	}
	return kind
}

func chanID(i int) string { return fmt.Sprintf("c%d", i+1) }

// evidenceFields sets each channel's Fields: the event fields its selector, predicate and
// series_by read, which alerts show of each contributing event. An expression that does not
// parse (reported by check) adds none.
func (c *compilation) evidenceFields(p *plan.Plan) {
	for _, ch := range p.Channels {
		fields := []string{}
		for _, expr := range []string{ch.Selector, ch.Predicate} {
			for _, f := range c.exprFields(expr) {
				if !slices.Contains(fields, f) {
					fields = append(fields, f)
				}
			}
		}
		for _, f := range ch.SeriesBy {
			if !slices.Contains(fields, f) {
				fields = append(fields, f)
			}
		}
		ch.Fields = fields
	}
}

// exprFields is celenv.EventFields, once per distinct expression.
func (c *compilation) exprFields(expr string) []string {
	if f, ok := c.fields[expr]; ok {
		return f
	}
	f, err := celenv.EventFields(expr)
	if err != nil {
		f = nil
	}
	c.fields[expr] = f
	return f
}
