// Package tester runs the unit tests that packs ship with their bindings (`stixcel test`), as
// OPA's tester runs a policy's tests, and the regression tests SigmaHQ rules name
// (`stixcel test --sigma`, RunSigma: a rule's info.yml, its evtx_dump events, match_count).
//
// A Runner compiles each binding against an ATT&CK index, then runs each of its test cases:
// the test's events (a JSONL file next to the binding, or inline) go through a fresh
// runtime.Engine holding only that analytic's plan, with the test's parameter overrides
// applied, and the alerts are compared with the test's expectations. The cases of a binding
// whose analytic is not in the loaded bundles are skipped, not run: the built-in pack binds
// enterprise analytics that the embedded seed lacks, and a skip does not fail the run.
// Results stream, one per case in pack and file order, to Reporters: Pretty (text like
// `go test`), JSON, and JUnit XML.
//
// Comparison: each expectation must match its own alert (same analytic, and every field of
// the expected group equal to the alert's, compared as JSON); an alert no expectation
// matches fails the case as well, so `expect: []` means no alert at all. Evaluation errors
// (a missing field, a type mismatch) count as false, as in `stixcel run`, and they fail the
// case: an expression that errors on every event is silent, so a case expecting silence
// would pass over logic that never ran. Options.AllowEvalErrors lets such a case pass
// (Result.EvalErrors still holds the errors).
package tester

import (
	"context"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strings"

	"github.com/stixcel/stixcel/compiler"
	"github.com/stixcel/stixcel/compiler/attack"
	"github.com/stixcel/stixcel/diag"
	"github.com/stixcel/stixcel/event"
	"github.com/stixcel/stixcel/pack"
	"github.com/stixcel/stixcel/plan"
	"github.com/stixcel/stixcel/runtime"
	"github.com/stixcel/stixcel/source"
)

// SourceMapper opens a reader that maps raw events from r with the named source profile
// (a test's `source:`); name is the file name events and rejections cite.
type SourceMapper func(profile string, r io.Reader, name string) (*event.Reader, error)

// BuiltinSources maps raw events with stixcel's built-in source profiles (package source:
// "windows").
func BuiltinSources(profile string, r io.Reader, name string) (*event.Reader, error) {
	p, err := source.Builtin(profile)
	if err != nil {
		return nil, err
	}
	return event.NewReader(r, name, source.NewDecoder(p)), nil
}

// Options configure a Runner. The zero value runs every case.
type Options struct {
	// Run selects the cases whose "ANALYTIC/test name" it matches; nil runs all.
	Run *regexp.Regexp
	// Sources maps the raw events of cases with `source:`; nil means BuiltinSources.
	Sources SourceMapper
	// Engine are options for every runtime.Engine the runner creates.
	Engine []runtime.Option
	// AllowEvalErrors passes cases whose expressions failed to evaluate (counted as false)
	// when their alerts match; by default an evaluation error fails the case.
	AllowEvalErrors bool
	// ExactCount fails a Sigma regression test whose count of matching events is not its
	// match_count; by default, as SigmaHQ's runner, the rule must match some event (none for
	// match_count 0).
	ExactCount bool
}

// Runner runs the tests of packs against one ATT&CK index.
type Runner struct {
	ix   *attack.Index
	opts Options
	// implied are the built-in profiles whose shapes events files without `source:` may
	// have, as `stixcel run` without --source reads them (source.NewImplied).
	implied []*source.Profile
}

// NewRunner returns a Runner compiling bindings against ix.
func NewRunner(ix *attack.Index, opts Options) *Runner {
	if opts.Sources == nil {
		opts.Sources = BuiltinSources
	}
	implied, _ := source.ImpliedBuiltins() // embedded and tested: an error leaves normalized events only
	return &Runner{ix: ix, opts: opts, implied: implied}
}

// Test runs the selected cases of packs against ix and reports each result to the
// reporters: `stixcel test` in one call. The CLI exits 1 unless the summary is OK.
func Test(ctx context.Context, ix *attack.Index, packs []*pack.Pack, opts Options, reporters ...Reporter) (Summary, error) {
	return Report(NewRunner(ix, opts).Run(ctx, packs), reporters...)
}

// suite is one binding with its selected cases and compiled plan.
type suite struct {
	pack  *pack.Pack
	b     *pack.Binding
	cases []*pack.TestCase
	plan  *plan.Plan // nil when err or skip is set
	err   error      // why no case of the binding can run
	skip  string     // why no case of the binding is run, when that is not the pack's fault
}

// Run runs the selected cases of packs and streams one Result per case, in pack, file and
// test order; the channel is closed at the end, or early when ctx is done. Each binding is
// compiled once; its plan is shared by the cases that do not override parameters.
func (r *Runner) Run(ctx context.Context, packs []*pack.Pack) <-chan Result {
	out := make(chan Result)
	go func() {
		defer close(out)
		suites := r.suites(packs)
		r.compile(suites)
		for _, s := range suites {
			for _, tc := range s.cases {
				if ctx.Err() != nil {
					return
				}
				select {
				case out <- r.judgeEvalErrors(r.runCase(s, tc)):
				case <-ctx.Done():
					return
				}
			}
		}
	}()
	return out
}

// judgeEvalErrors fails a case that ran and matched its expectations when some of its
// evaluations failed, unless AllowEvalErrors: an error counts as false, so a case expecting
// silence would pass over a binding that errors on every event. A failing case already lists
// its evaluation errors in its diff.
func (r *Runner) judgeEvalErrors(res Result) Result {
	if r.opts.AllowEvalErrors || len(res.EvalErrors) == 0 || res.Err != nil || res.Skip != "" || res.Fail {
		return res
	}
	var b strings.Builder
	fmt.Fprintf(&b, "the alerts match, but %s failed (each counted as false, so the case proves nothing about them): fix the expressions, or pass --allow-eval-errors",
		plural(int(evaluationsFailed(res.EvalErrors)), "evaluation"))
	for _, e := range res.EvalErrors {
		fmt.Fprintf(&b, "\n%s of %s %s: %s", plural(int(e.Count), "error"), e.Analytic, e.Channel, e.Example)
	}
	res.Fail, res.Diff = true, b.String()
	return res
}

func evaluationsFailed(errs []runtime.EvalErrors) int64 {
	var n int64
	for _, e := range errs {
		n += e.Count
	}
	return n
}

// suites selects the cases to run, binding by binding.
func (r *Runner) suites(packs []*pack.Pack) []*suite {
	var out []*suite
	for _, p := range packs {
		if p == nil {
			continue
		}
		for _, b := range p.Bindings {
			s := &suite{pack: p, b: b}
			for _, tc := range b.Tests {
				if r.opts.Run == nil || r.opts.Run.MatchString(b.Analytic.Value+"/"+tc.Name.Value) {
					s.cases = append(s.cases, tc)
				}
			}
			if len(s.cases) == 0 {
				continue
			}
			if ds := diagnosticsOf(p.Diagnostics, b.File); ds.HasErrors() {
				s.err = fmt.Errorf("binding does not load:\n%w", ds)
			} else {
				s.skip = r.skipReason(b)
			}
			out = append(out, s)
		}
	}
	return out
}

// skipReason says why the binding's cases are skipped: its analytic is not in the loaded
// bundles, which is a matter of what the user loaded, not a fault of the pack. It is empty
// when the cases can run, or when there is no index (an error, not a skip).
func (r *Runner) skipReason(b *pack.Binding) string {
	id := b.Analytic.Value
	if r.ix == nil || id == "" || r.ix.Analytic(id) != nil {
		return ""
	}
	return fmt.Sprintf("analytic %s is not in the loaded bundles (pass --bundle with the ATT&CK bundle that has it)", id)
}

// compile compiles the bindings of suites in as few compilations as possible: each round
// holds at most one binding per analytic (two packs may bind the same analytic, and each
// binding's tests must run against its own logic).
func (r *Runner) compile(suites []*suite) {
	var rounds [][]*suite
	for _, s := range suites {
		if s.err != nil || s.skip != "" {
			continue
		}
		placed := false
		for i, round := range rounds {
			if !bindsAnalytic(round, s.b.Analytic.Value) {
				rounds[i] = append(round, s)
				placed = true
				break
			}
		}
		if !placed {
			rounds = append(rounds, []*suite{s})
		}
	}
	for _, round := range rounds {
		r.compileRound(round)
	}
}

func bindsAnalytic(round []*suite, id string) bool {
	for _, s := range round {
		if s.b.Analytic.Value == id {
			return true
		}
	}
	return false
}

func (r *Runner) compileRound(round []*suite) {
	if r.ix == nil {
		for _, s := range round {
			s.err = errors.New("no ATT&CK index to compile the binding against")
		}
		return
	}
	bindings := make([]*pack.Binding, len(round))
	for i, s := range round {
		bindings[i] = s.b
	}
	set, diags := compiler.Compile(r.ix, compiler.Options{Bindings: bindings})
	for _, s := range round {
		s.plan, s.err = planFor(set, s.b, diagnosticsOf(diags, s.b.File))
	}
}

// planFor picks the binding's plan; it fails when the binding has compile errors or was not
// applied (an analytic missing from the bundles, or drift).
func planFor(set *plan.Set, b *pack.Binding, diags diag.Diagnostics) (*plan.Plan, error) {
	if diags.HasErrors() {
		return nil, fmt.Errorf("binding does not compile:\n%w", diags)
	}
	id := b.Analytic.Value
	for _, p := range set.Plans {
		if p.ID != id && p.StixID != id {
			continue
		}
		if p.Kind != plan.KindDetection {
			return nil, fmt.Errorf("%s: binding for %s not applied (plan is %s)%s", b.Analytic.Pos, id, p.Kind, indented(diags))
		}
		return p, nil
	}
	return nil, fmt.Errorf("%s: analytic %s is not in the loaded bundles", b.Analytic.Pos, id)
}

// diagnosticsOf returns the diagnostics positioned in file.
func diagnosticsOf(diags diag.Diagnostics, file string) diag.Diagnostics {
	var out diag.Diagnostics
	for _, d := range diags {
		if d.Pos.File == file {
			out = append(out, d)
		}
	}
	return out
}

func indented(diags diag.Diagnostics) string {
	if len(diags) == 0 {
		return ""
	}
	return ":\n" + diags.Error()
}
