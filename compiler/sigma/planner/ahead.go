package planner

import (
	"runtime"
	"sync"
	"sync/atomic"

	"github.com/google/cel-go/cel"

	"github.com/stixcel/stixcel/celenv"
	"github.com/stixcel/stixcel/compiler/sigma"
	sigmacel "github.com/stixcel/stixcel/compiler/sigma/cel"
	"github.com/stixcel/stixcel/compiler/sigma/filter"
	"github.com/stixcel/stixcel/compiler/sigma/mapping"
)

// Checking ahead, on every core.
//
// Most of planning's time is CEL's: each detection is compiled to CEL (sigmacel.Compile,
// which checks the cost of long ones), parsed, type-checked, costed and planned (check), and
// the fields it reads are listed from the same parse. They are
// functions of the rule and target, or of the expression's text, so they are taken ahead,
// on every core, for every target of every detection rule, and kept (by rule, and by text in
// a memo), before the rules are planned in order as always: the in-order pass finds them
// done.
// The plans, the diagnostics and their order are those of planning on one goroutine.

// memo keeps a function's results by text, each computed once, on whichever goroutine
// first asks; it is safe for concurrent use.
type memo[T any] struct {
	mu   sync.Mutex
	done map[string]func() T
	f    func(text string) T
}

func newMemo[T any](f func(text string) T) *memo[T] {
	return &memo[T]{done: map[string]func() T{}, f: f}
}

func (m *memo[T]) get(text string) T {
	m.mu.Lock()
	result, ok := m.done[text]
	if !ok {
		result = sync.OnceValue(func() T { return m.f(text) })
		m.done[text] = result
	}
	m.mu.Unlock()
	return result()
}

// celMemo is what planning asks of CEL, kept: by text, and by rule for its compilation.
type celMemo struct {
	checks *memo[checked]  // checkText's verdict and fields, by the text of selector && (detection)
	fields *memo[[]string] // celenv.EventFields, nil on a parse error
	// compiled are the detections compiled ahead, by decoded rule, per target.
	compiledMu sync.Mutex
	compiled   map[*sigma.Rule][]compiledTarget
}

func newCELMemo(env *cel.Env) *celMemo {
	return &celMemo{
		compiled: map[*sigma.Rule][]compiledTarget{},
		checks:   newMemo(func(text string) checked { return checkText(env, text) }),
		fields: newMemo(func(text string) []string {
			fs, err := celenv.EventFields(text)
			if err != nil {
				return nil
			}
			return fs
		}),
	}
}

// checked is what checkText finds of a channel's selector && (detection).
type checked struct {
	msg string // "" when it passes
	// fields are the event fields it reads, in first-read order: those of the selector
	// then those of the detection (celenv.FieldsOf of the text parsed once for both);
	// shadowed when a comprehension rebinds `event` (the planner then asks each part).
	fields   []string
	shadowed bool
}

// checkText type-checks, costs and plans expr as the runtime will, and lists the fields it
// reads.
func checkText(env *cel.Env, expr string) checked {
	parsed, iss := env.Parse(expr)
	if err := iss.Err(); err != nil {
		return checked{msg: err.Error()}
	}
	var c checked
	c.fields, c.shadowed = celenv.FieldsOf(parsed) // before checking, which may rewrite the tree
	ast, _, err := celenv.CheckBool(env, parsed)
	if err == nil {
		err = celenv.CheckCost(env, ast, nil)
	}
	if err == nil {
		err = celenv.CheckProgram(env, ast, nil)
	}
	if err != nil {
		return checked{msg: err.Error()}
	}
	return c
}

// ahead takes the CEL steps of every target of every detection rule on every core: what
// rule and detection will ask, found the way they find it; errors are left to them.
func (p *planning) ahead(rules []decoded, filters []*filter.Filter) {
	var next atomic.Int64
	var wg sync.WaitGroup
	for range min(runtime.GOMAXPROCS(0), len(rules)) {
		wg.Go(func() {
			for i := int(next.Add(1) - 1); i < len(rules); i = int(next.Add(1) - 1) {
				p.aheadRule(rules[i], filters)
			}
		})
	}
	wg.Wait()
}

func (p *planning) aheadRule(d decoded, filters []*filter.Filter) {
	r, err := filter.Apply(d.rule, filters)
	if err != nil {
		return
	}
	ls := r.LogSource
	targets, ok := p.opts.Mapping.Lookup(ls.Product.Value, ls.Category.Value, ls.Service.Value)
	if !ok {
		return
	}
	compiled := make([]compiledTarget, len(targets))
	for i, t := range targets {
		expr, err := sigmacel.Compile(r, t)
		compiled[i] = compiledTarget{expr: expr, err: err}
		if err != nil {
			continue
		}
		sel := sigmacel.Selector(t)
		if c := p.cel.checks.get(sel + " && (" + expr + ")"); c.msg == "" && c.shadowed {
			p.cel.fields.get(sel)
			p.cel.fields.get(expr)
		}
	}
	p.cel.compiledMu.Lock()
	p.cel.compiled[d.rule] = compiled
	p.cel.compiledMu.Unlock()
}

// compiledTarget is sigmacel.Compile's result for one target of a rule.
type compiledTarget struct {
	expr string
	err  error
}

// compile is sigmacel.Compile of rule r (the decoded rule orig with the filters applied) on
// the i'th of its targets t, taken ahead when it was.
func (p *planning) compile(orig, r *sigma.Rule, i int, t mapping.Target) (string, error) {
	p.cel.compiledMu.Lock()
	compiled := p.cel.compiled[orig]
	p.cel.compiledMu.Unlock()
	if i < len(compiled) {
		return compiled[i].expr, compiled[i].err
	}
	return sigmacel.Compile(r, t)
}
