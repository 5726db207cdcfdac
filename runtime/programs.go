package runtime

import (
	"context"
	"math"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/google/cel-go/cel"
	celast "github.com/google/cel-go/common/ast"
	"github.com/stixcel/stixcel/celenv"
	"github.com/stixcel/stixcel/event"
	"github.com/stixcel/stixcel/internal/jsonl"
	"github.com/stixcel/stixcel/plan"
	"github.com/stixcel/stixcel/runtime/internal/special"
)

// programCache shares environments, checked expressions and programs between the plans of a
// set that declare the same parameter types: ATT&CK plans repeat selectors such as
// `event.EventCode in [1]`, and a cel.Program is stateless, so one compilation serves them
// all. A channel program that folds parameters is shared by plans with the same values.
// The pure steps (environments, checks, cost estimates) are in steps; the other maps are
// used by one goroutine, the one compiling plans in order (see build.go).
type programCache struct {
	steps   *buildSteps
	progs   map[string]cel.Program
	checked map[string]*checkedExpr
	slots   *event.Slots // event fields the channel programs read
	// patterns are the constant patterns of the programs, compiled once.
	patterns *special.Patterns
	maxIter  int             // comprehension iterations an evaluation may run
	done     context.Context // cancelled: stops an evaluation at its first interrupt check
	plain    bool            // no specializer: plain cel-go programs (tests compare both)
	// noCostCheck skips the estimate check (tests: the runtime limit alone).
	noCostCheck bool
	// ahead, when set: the pure steps are listed there, to be taken on build goroutines
	// before the plans are compiled in order; no program is made and no slot numbered.
	ahead *aheadSteps
	// deferred: program requests are queued in pending, planned on build goroutines once
	// every plan is compiled (planPending), instead of when requested.
	deferred bool
	pending  []*pendingProgram
	// needs derives what channel expressions need of events' strings (need.go), kept by
	// expression key (and parameter values, for expressions that read them).
	needs     needs
	needCache map[string]need
	noNeeds   bool                              // without a candidate index: no needs derived
	onLearned func(key string, ce *checkedExpr) // tests (config.learned)
}

// checkedExpr is a type-checked channel expression and what the runtime learned from it.
type checkedExpr struct {
	ast *cel.Ast
	// form, when set, is the artifact's parsed form the expression is read from, instead of
	// ast: parse is its tree, not yet checked, which the check keeps (celenv.CheckKeepsTree),
	// and need what it needs (buildSteps.lazyForm); its programs check and plan it when first
	// evaluated (lazyProgram).
	form        *plan.ParsedExpr
	parse       celast.Expr
	need        need
	route       *route // non-nil when the expression is a plain route test
	specializer *special.Specializer
	special     bool // the specializer may rewrite it
	loops       bool // it has a comprehension
}

// keyedEnv is an environment with the cache key of its declarations.
type keyedEnv struct {
	*cel.Env
	key string
}

func newProgramCache() *programCache {
	return &programCache{steps: newBuildSteps(), progs: map[string]cel.Program{},
		checked: map[string]*checkedExpr{}, slots: event.NewSlots(), patterns: special.NewPatterns(),
		maxIter: DefaultMaxIterations, done: cancelledContext(),
		needs: needs{patterns: map[string]patternLits{}}, needCache: map[string]need{}}
}

// aheadOnly is a cache for the ahead pass: it lists the pure steps of pc that the plans
// ask for, and is safe for concurrent use.
func (pc *programCache) aheadOnly() *programCache {
	return &programCache{steps: pc.steps, noCostCheck: pc.noCostCheck, ahead: newAheadSteps()}
}

func (pc *programCache) channelEnv(params []*plan.Param) (*keyedEnv, error) {
	return pc.steps.env(celenv.ChannelEnvKey(params), func() (*cel.Env, error) { return celenv.ChannelEnv(params) })
}

func (pc *programCache) conditionEnv(params []*plan.Param, ids []string) (*keyedEnv, error) {
	return pc.steps.env(celenv.ConditionEnvKey(params, ids), func() (*cel.Env, error) { return celenv.ConditionEnv(params, ids) })
}

// compile compiles a boolean CEL expression once per environment, refusing it when its
// estimated cost is too high; empty text gives a nil program (and so does the ahead pass).
func (pc *programCache) compile(env *keyedEnv, text string, cp *compiledPlan) (cel.Program, error) {
	if text == "" {
		return nil, nil
	}
	key := env.key + "\x00" + text
	ast, _, err := pc.checkWithCost(env, key, text, false, cp)
	if err != nil || pc.ahead != nil {
		return nil, err
	}
	return pc.program(key, env.Env, ast.NativeRep())
}

// checkWithCost takes the pure steps of compiling an expression (its key: environment and
// text): its check, and its cost estimate with cp's parameters. The ahead pass lists them
// and goes on: nil, no error.
func (pc *programCache) checkWithCost(env *keyedEnv, key, text string, channel bool, cp *compiledPlan) (*cel.Ast, int, error) {
	steps := func() (*cel.Ast, int, error) {
		ast, err := pc.steps.check(env, text, channel)
		if err != nil {
			return nil, 0, err
		}
		maxString, err := pc.checkCost(env.Env, ast, key, cp)
		return ast, maxString, err
	}
	if pc.ahead != nil {
		pc.ahead.add(text, "cost\x00"+key+"\x00"+cp.paramsKey, "check\x00"+key, channel, func() { _, _, _ = steps() })
		return nil, 0, nil
	}
	return steps()
}

// checkChannel is checkWithCost of a channel expression, unless the artifact's parsed form
// of key is checked when first evaluated (buildSteps.lazyForm): then ast is nil, and lazy
// what was read from the form. The ahead pass decodes the form, or
// takes the check and the cost when it is not one to check lazily.
func (pc *programCache) checkChannel(env *keyedEnv, key, text string, cp *compiledPlan) (ast *cel.Ast, lazy *lazyParse, maxString int, err error) {
	if pc.ahead != nil {
		steps, noCost := pc.steps, pc.noCostCheck
		pc.ahead.add(text, "cost\x00"+key+"\x00"+cp.paramsKey, "check\x00"+key, true, func() {
			if steps.lazyForm(key) == nil {
				ast, err := steps.check(env, text, true)
				if err == nil && !noCost {
					_, _ = steps.cost(env.Env, ast, key, cp)
				}
			}
		})
		return nil, nil, 0, nil
	}
	if lazy := pc.steps.lazyForm(key); lazy != nil {
		maxString, err := pc.checkCost(env.Env, nil, key, cp) // the form's verdict
		return nil, lazy, maxString, err
	}
	ast, maxString, err = pc.checkWithCost(env, key, text, true, cp)
	return ast, nil, maxString, err
}

// channelProgram is a compiled selector or predicate: its program (nil when absent), what
// the route index can decide of it, and the longest event string at which its estimated cost
// stays affordable (celenv.MaxStringSize).
type channelProgram struct {
	prg       cel.Program
	route     *route
	maxString int
	need      need // what it needs of the event's strings to hold; nil: unknown
}

// compileChannel compiles a channel selector or predicate with the specializer, folding the
// plan's parameters. Empty text gives a nil program.
func (pc *programCache) compileChannel(env *keyedEnv, text string, cp *compiledPlan) (channelProgram, error) {
	if text == "" {
		return channelProgram{maxString: math.MaxInt}, nil
	}
	prg, route, maxString, err := pc.compileChannelText(env, text, cp)
	if err != nil || pc.ahead != nil {
		return channelProgram{}, err
	}
	return channelProgram{prg: prg, route: route, maxString: maxString, need: pc.need(env.key+"\x00"+text, cp)}, nil
}

// need is what the checked channel expression of key needs of an event's strings, with
// cp's parameters (a quantifier over a parameter list read unrolled), once per expression
// and parameter values.
func (pc *programCache) need(key string, cp *compiledPlan) need {
	if pc.noNeeds {
		return nil
	}
	ce := pc.checked[key]
	if ce.form != nil {
		return ce.need // read ahead from its parse, which reads no parameter
	}
	native := ce.ast.NativeRep()
	reads := celenv.ReadsParams(native.Expr())
	if reads {
		key += "\x00" + cp.paramsKey
	}
	if n, ok := pc.needCache[key]; ok {
		return n
	}
	expr := native.Expr()
	if reads && ce.loops {
		if unrolled := celenv.Unroll(native, cp.paramVals, pc.maxIter); unrolled != nil {
			expr = unrolled.Expr()
		}
	}
	pc.needs.params = nil
	if reads {
		pc.needs.params = cp.paramVals
	}
	n := pc.needs.of(expr)
	pc.needCache[key] = n
	return n
}

func (pc *programCache) compileChannelText(env *keyedEnv, text string, cp *compiledPlan) (cel.Program, *route, int, error) {
	ckey := env.key + "\x00" + text
	ast, lazy, maxString, err := pc.checkChannel(env, ckey, text, cp)
	if err != nil || pc.ahead != nil {
		return nil, nil, 0, err
	}
	ce := pc.learned(ckey, ast, lazy)
	if ce.form != nil {
		var opts []cel.ProgramOption
		key := ckey
		if ce.special && !pc.plain {
			opts, key = []cel.ProgramOption{cel.CustomDecoratorV2(ce.specializer.Decorate)}, "special\x00"+ckey
		}
		return pc.lazyProgram(key, env.Env, ce.form, opts...), ce.route, maxString, nil
	}
	if !ce.special || pc.plain {
		prg, err := pc.program(ckey, env.Env, ce.ast.NativeRep())
		return prg, ce.route, maxString, err
	}
	// Parameters are folded in by celenv, as the compiler's check folds them, before the
	// specializer sees the constants (`x in params.List` becomes a set lookup).
	opts := []cel.ProgramOption{cel.CustomDecoratorV2(ce.specializer.Decorate)}
	key := "special\x00" + ckey
	if ce.specializer.ReadsParams() {
		opts = append([]cel.ProgramOption{celenv.ParamsAsConstants(ce.ast.NativeRep().Expr(), cp.paramVals)}, opts...)
		key += "\x00" + cp.paramsKey
		if prg, ok := pc.unrolledProgram(env, ckey, ce, cp, opts); ok {
			return prg, ce.route, maxString, nil
		}
	}
	prg, err := pc.program(key, env.Env, ce.ast.NativeRep(), opts...)
	return prg, ce.route, maxString, err
}

// learned is what the runtime learns from the checked channel expression of key, once: its
// route, and its specializer, which numbers the slots of the fields it reads (in order). A
// form checked when first evaluated is learned from its parse, whose tree the check keeps,
// with what was read from it ahead (lazy).
func (pc *programCache) learned(key string, ast *cel.Ast, lazy *lazyParse) *checkedExpr {
	if ce, ok := pc.checked[key]; ok {
		return ce
	}
	var ce *checkedExpr
	var expr celast.Expr
	if lazy != nil { // no comprehension
		expr = lazy.expr
		ce = &checkedExpr{parse: expr, form: lazy.form, route: lazy.route, need: lazy.need}
	} else {
		expr = ast.NativeRep().Expr()
		ce = &checkedExpr{ast: ast, route: deriveRoute(expr), loops: celenv.HasComprehension(ast.NativeRep())}
	}
	ce.specializer, ce.special = special.New(expr, pc.slots, pc.patterns)
	pc.checked[key] = ce
	if pc.onLearned != nil {
		pc.onLearned(key, ce)
	}
	return ce
}

// conditionChannels is celenv.ConditionChannels of condition, taken once; the ahead pass
// lists it and goes on: nil, no error.
func (pc *programCache) conditionChannels(condition string, ids []string) (map[string]bool, error) {
	if pc.ahead != nil {
		pc.ahead.add(condition, "channels\x00"+condition+"\x00"+strings.Join(ids, ","), "", false, func() {
			_, _ = pc.steps.conditionChannels(condition, ids)
		})
		return nil, nil
	}
	return pc.steps.conditionChannels(condition, ids)
}

// unrolledProgram is the channel program with its quantifiers over the plan's parameter
// lists unrolled (celenv.Unroll) and the constants this makes folded (celenv.FoldConstants),
// so that each element's test is a specialized node; ok is false when the expression has no
// such quantifier. When cel-go refuses to plan the unrolled program (a folded constant it
// checks while planning, such as an invalid pattern built from an element), the program as
// written, with writtenOpts, is used instead: it fails on that constant when evaluated, as
// lint expects.
func (pc *programCache) unrolledProgram(env *keyedEnv, ckey string, ce *checkedExpr, cp *compiledPlan,
	writtenOpts []cel.ProgramOption) (cel.Program, bool) {
	if !ce.loops {
		return nil, false
	}
	key := "unrolled\x00" + ckey + "\x00" + cp.paramsKey
	if prg, ok := pc.progs[key]; ok {
		return prg, prg != nil
	}
	unrolled := celenv.Unroll(ce.ast.NativeRep(), cp.paramVals, pc.maxIter)
	if unrolled == nil {
		pc.progs[key] = nil
		return nil, false
	}
	spec, ok := special.New(unrolled.Expr(), pc.slots, pc.patterns)
	if !ok {
		pc.progs[key] = nil
		return nil, false
	}
	opts := []cel.ProgramOption{celenv.ParamsAsConstants(unrolled.Expr(), cp.paramVals),
		celenv.FoldConstants(), cel.CustomDecoratorV2(spec.Decorate)}
	if pc.deferred {
		p := &pendingProgram{env: env.Env, ast: unrolled, opts: opts,
			instead: &pendingProgram{env: env.Env, ast: ce.ast.NativeRep(), opts: writtenOpts}}
		pc.pending = append(pc.pending, p)
		pc.progs[key] = p
		return p, true
	}
	prg, err := pc.newProgram(env.Env, unrolled, opts...)
	if err != nil {
		prg, err = pc.newProgram(env.Env, ce.ast.NativeRep(), writtenOpts...)
	}
	if err != nil {
		return nil, false // the program as written fails to plan: its error comes from the caller
	}
	pc.progs[key] = prg
	return prg, true
}

func (pc *programCache) program(key string, env *cel.Env, ast *celast.AST, opts ...cel.ProgramOption) (cel.Program, error) {
	if prg, ok := pc.progs[key]; ok {
		return prg, nil
	}
	if pc.deferred {
		p := &pendingProgram{env: env, ast: ast, opts: opts}
		pc.pending = append(pc.pending, p)
		pc.progs[key] = p
		return p, nil
	}
	prg, err := pc.newProgram(env, ast, opts...)
	if err != nil {
		return nil, err
	}
	pc.progs[key] = prg
	return prg, nil
}

// maxCopyDepth is the deepest parse copyParsed copies: cel-go refuses to load a tree deeper
// than 250 levels, which its parser may still give.
const maxCopyDepth = 200

// copyParsed copies a parsed expression, not yet checked, through its protobuf form: several
// times cheaper than parsing the text again, with the same tree, positions and source.
func copyParsed(parsed *cel.Ast) (*cel.Ast, bool) {
	if celast.ExceedsDepth(parsed.NativeRep(), maxCopyDepth) {
		return nil, false
	}
	pe, err := cel.AstToParsedExpr(parsed)
	if err != nil || pe.GetExpr() == nil {
		return nil, false
	}
	return cel.ParsedExprToAstWithSource(pe, parsed.Source()), true
}

// parallel calls f(0) .. f(n-1) on at most workers goroutines (one: in order, on this one).
func parallel(workers, n int, f func(i int)) {
	if workers <= 1 || n <= 1 {
		for i := range n {
			f(i)
		}
		return
	}
	var wg sync.WaitGroup
	var next atomic.Int64
	for range min(workers, n) {
		wg.Go(func() {
			for i := int(next.Add(1) - 1); i < n; i = int(next.Add(1) - 1) {
				f(i)
			}
		})
	}
	wg.Wait()
}

// newProgram plans a checked expression with celenv.NewProgram, the build the compiler and
// lint check against; one with a comprehension gets the iteration budget (the others cannot
// loop).
func (pc *programCache) newProgram(env *cel.Env, ast *celast.AST, opts ...cel.ProgramOption) (cel.Program, error) {
	return newProgram(pc.done, pc.maxIter, env, ast, opts...)
}

func newProgram(done context.Context, maxIter int, env *cel.Env, ast *celast.AST, opts ...cel.ProgramOption) (cel.Program, error) {
	prg, err := celenv.PlanProgram(env, ast, maxIter, opts...)
	if err != nil {
		return nil, err
	}
	if celenv.HasComprehension(ast) {
		prg = &limitedProgram{Program: prg, done: done, maxIter: maxIter}
	}
	return prg, nil
}

// checkCost refuses an expression whose estimated cost exceeds celenv.MaxCost, with the
// sizes of the plan's parameter values, and returns the longest event string at which it
// stays affordable; results are kept per expression and parameter values.
func (pc *programCache) checkCost(env *cel.Env, ast *cel.Ast, exprKey string, cp *compiledPlan) (int, error) {
	if pc.noCostCheck {
		return math.MaxInt, nil
	}
	return pc.steps.cost(env, ast, exprKey, cp)
}

// costVerdict is what checkCost finds of an expression with parameter values params (the
// plan's JSON form).
func costVerdict(env *cel.Env, ast *cel.Ast, params map[string]any) (int, error) {
	maxString, err := celenv.CheckCostMaxString(env, ast, params)
	if err != nil {
		return 0, err
	}
	return affordableUpTo(maxString), nil
}

// affordableUpTo is the longest event string an expression is evaluated on, given
// celenv.MaxStringSize: any line's when it affords the longest line read.
func affordableUpTo(maxString int) int {
	if maxString >= jsonl.MaxLineBytes {
		return math.MaxInt
	}
	return maxString
}
