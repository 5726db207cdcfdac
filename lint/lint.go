// Package lint checks stixcel packs without running them (`stixcel lint`): YAML shape, every
// CEL expression parsed and type-checked against the analytic's parameters and built into a
// program exactly as `stixcel run` builds it (celenv: constant regular expressions compiled,
// parameters folded in, the cost estimate), so that lint refuses what run would refuse,
// analytic and channel ids, parameter types and defaults, test files and test parameter overrides, and
// drift between a binding's written_for and the bundle's x_mitre_version.
//
// Findings are diag.Diagnostics positioned in the pack files; diag prints them as text
// (file:line:col: severity: message with a caret line), JSON, or SARIF for CI annotations.
package lint

import (
	"strings"

	"github.com/google/cel-go/cel"

	"github.com/stixcel/stixcel/compiler"
	"github.com/stixcel/stixcel/compiler/attack"
	"github.com/stixcel/stixcel/diag"
	"github.com/stixcel/stixcel/hints"
	"github.com/stixcel/stixcel/pack"
	"github.com/stixcel/stixcel/plan"
)

// Options configure a lint run.
type Options struct {
	// BundlesGiven says the user named the bundles: a binding for an analytic they lack is
	// then an error. With the default seed bundle it is a warning (an error under
	// `lint --strict`) that says which bundle to pass: the one of the ATT&CK domain the
	// binding's directory names (enterprise/, mobile/, ics/), as in the built-in pack.
	BundlesGiven bool
	// Strict makes every warning an error (`lint --strict`; SARIF level error).
	Strict bool
}

// Check lints packs against the analytics of ix.
func Check(ix *attack.Index, packs []*pack.Pack, opts Options) diag.Diagnostics {
	var diags diag.Diagnostics
	var bindings []*pack.Binding
	for _, p := range packs {
		diags = append(diags, p.Diagnostics...)
		bindings = append(bindings, p.Bindings...)
	}
	set, cd := compiler.Compile(ix, compiler.Options{Bindings: bindings})
	diags = append(diags, adjustUnknown(cd, opts)...)
	plans := map[string]*plan.Plan{}
	for _, p := range set.Plans {
		plans[p.ID], plans[p.StixID] = p, p
	}
	for _, p := range packs {
		for _, b := range p.Bindings {
			pl := plans[b.Analytic.Value]
			if pl == nil {
				diags = append(diags, parseOnly(b)...)
			}
			diags = append(diags, checkTests(p, b, pl)...)
		}
	}
	diags.Sort()
	diags = dedupe(diags)
	if opts.Strict {
		for i := range diags {
			if diags[i].Severity == diag.SeverityWarning {
				diags[i].Severity = diag.SeverityError
			}
		}
	}
	return diags
}

// adjustUnknown turns "analytic not loaded" warnings into errors when the user named the
// bundles, and adds a hint when they did not.
func adjustUnknown(diags diag.Diagnostics, opts Options) diag.Diagnostics {
	for i := range diags {
		d := &diags[i]
		if d.Code != diag.CodeUnknownAnalytic || d.Severity != diag.SeverityWarning {
			continue
		}
		if opts.BundlesGiven {
			d.Severity = diag.SeverityError
			d.Msg = strings.TrimSuffix(d.Msg, "; binding ignored")
			if b := bundleFor(d.Pos.File); b != "" {
				d.Msg += " (add --bundle " + b + ")"
			}
		} else {
			d.Msg += " (lint checked syntax only; pass " + bundleFlag(d.Pos.File) + ")"
		}
	}
	return diags
}

// bundleFlag says which --bundle a binding file's analytic needs: the bundle of the ATT&CK
// domain its directory names, as the built-in pack's enterprise/, mobile/ and ics/ do.
func bundleFlag(file string) string {
	if b := bundleFor(file); b != "" {
		return "--bundle " + b + ", the ATT&CK bundle that has it"
	}
	return "--bundle with the ATT&CK bundle that has it"
}

// bundleFor names the release bundle of the ATT&CK domain a binding file's directory names
// ("enterprise-attack-….json"), or "" when no directory names one.
func bundleFor(file string) string {
	if d := hints.BindingDomain(file); d != "" {
		return d + "-attack-….json"
	}
	return ""
}

// parseOnly checks the CEL syntax of a binding whose analytic is not loaded: without the
// analytic there are no parameter types to check against.
func parseOnly(b *pack.Binding) diag.Diagnostics {
	env, err := cel.NewEnv()
	if err != nil {
		return nil
	}
	var diags diag.Diagnostics
	exprs := []pack.String{b.Condition}
	for _, ch := range b.Channels {
		exprs = append(exprs, ch.When)
	}
	for _, src := range exprs {
		if strings.TrimSpace(src.Value) == "" {
			continue
		}
		if _, iss := env.Parse(src.Value); iss != nil && iss.Err() != nil {
			for _, e := range iss.Errors() {
				pos := src.Pos
				if e.Location != nil && e.Location.Line() > 0 {
					pos = src.PosAt(e.Location.Line(), e.Location.Column()+1)
				}
				diags.Errorf(pos, diag.CodeSyntaxError, "analytic %s: %s", b.Analytic.Value, e.Message)
			}
		}
	}
	return diags
}

// checkTests checks each test case: the events file exists and parameter overrides name
// parameters of the plan with values of their types.
func checkTests(p *pack.Pack, b *pack.Binding, pl *plan.Plan) diag.Diagnostics {
	var diags diag.Diagnostics
	for _, tc := range b.Tests {
		if tc.EventsFile.Value != "" {
			if f, _, err := p.OpenEvents(b, tc); err != nil {
				diags.Errorf(tc.EventsFile.Pos, diag.CodeMissingFile, "test %q: %v", tc.Name.Value, err)
			} else {
				f.Close()
			}
		}
		if pl == nil {
			continue
		}
		for _, s := range tc.Params {
			prm := pl.Param(s.Name.Value)
			if prm == nil {
				diags.Errorf(s.Name.Pos, diag.CodeUnknownParam, "test %q: analytic %s has no parameter %s", tc.Name.Value, pl.ID, s.Name.Value)
				continue
			}
			if _, err := prm.Canonical(s.Value); err != nil {
				diags.Errorf(s.ValuePos, diag.CodeTypeError, "test %q: %v", tc.Name.Value, err)
			}
		}
	}
	return diags
}

// dedupe drops repeated identical diagnostics (a sorted list).
func dedupe(diags diag.Diagnostics) diag.Diagnostics {
	out := diags[:0]
	for i, d := range diags {
		if i > 0 && d == diags[i-1] {
			continue
		}
		out = append(out, d)
	}
	return out
}
