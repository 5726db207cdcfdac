package runtime

import (
	"context"
	"fmt"
	goruntime "runtime"
	"sort"
	"strings"
	"sync"

	"github.com/google/cel-go/cel"
	celast "github.com/google/cel-go/common/ast"
	"github.com/google/cel-go/common/types/ref"

	"github.com/stixcel/stixcel/celenv"
	"github.com/stixcel/stixcel/event"
	"github.com/stixcel/stixcel/plan"
)

// Building the engine, in order or ahead on every core.
//
// compilePlan is the one description of how a plan's programs are built. Most of its work
// is pure, a function of its inputs alone: binding the plan's parameters, building the
// environments, parsing, type checking and estimating the cost of each expression, finding
// the channels a condition references. Those steps go through buildSteps, which takes each
// once per distinct input, on whichever goroutine first asks, and is safe for concurrent
// use. What depends on order is cheap: the numbering of event fields (event.Slots, in the
// order plans, channels and expressions first read them), the sharing of programs between
// plans (programCache), and the first error in set order. So with several goroutines New
// builds in three passes:
//
//  1. Ahead, on every core: compilePlanParts runs for every plan with a programCache that
//     lists the pure steps it asks for instead of taking them (programCache.ahead), and its
//     plans are dropped; then the steps are taken on every core, each text's on one
//     goroutine, the longest texts first (aheadSteps.run).
//  2. In order, on one goroutine: the plans are compiled in set order exactly as on one
//     goroutine, finding the pure steps taken; this numbers the slots and shares programs,
//     and program planning is queued (pendingProgram).
//  3. planPending plans the queued programs on every core; then each plan's placeholders
//     are replaced by its programs.
//
// On one goroutine only pass 2 runs, planning each program when it is requested. The engine
// therefore does not depend on the number of build goroutines. Errors neither: when any
// pass fails, the set is compiled again on one goroutine (buildWorkers 1), whose first error
// in set order is the one New returns, worded as always.
//
// Most channel expressions of an artifact are never evaluated on a given input (the routing
// and the candidate index skip them: 307 of SigmaHQ's and the enterprise plans' 4,357
// programs on the OTRF datasets), so the artifact's parsed forms are checked and planned
// only when first evaluated (buildSteps.lazyForm, lazyProgram): the build reads what it
// derives before any evaluation (routes, needs, slots, specializers) from the form's parse,
// whose tree the check keeps (celenv.CheckKeepsTree), and the ahead pass decodes the forms
// instead of checking them. Text, and forms of other shapes, are built as above.

// compileSet compiles the plans of set that run (plan.Runs; a null plan is an error), in
// set order, and returns them with the slots of the event fields they read.
func compileSet(set *plan.Set, cfg *config) ([]*compiledPlan, *event.Slots, error) {
	workers := cfg.buildWorkers
	if workers <= 0 {
		workers = goruntime.GOMAXPROCS(0)
	}
	plans, slots, err := compileSetOn(set, cfg, workers)
	if err != nil && workers > 1 {
		return compileSetOn(set, cfg, 1) // the first error in set order, as always worded
	}
	return plans, slots, err
}

func compileSetOn(set *plan.Set, cfg *config, workers int) ([]*compiledPlan, *event.Slots, error) {
	cache := newProgramCache()
	cache.plain, cache.maxIter, cache.noCostCheck = cfg.plainCEL, cfg.maxIterations, cfg.noCostCheck
	cache.noNeeds, cache.steps.eagerForms, cache.onLearned = cfg.noCandidates, cfg.eagerForms, cfg.learned
	cache.steps.noCostCheck, cache.steps.noNeeds = cache.noCostCheck, cache.noNeeds
	var runnable []int
	for i, p := range set.Plans {
		if p == nil || plan.Runs(p.Kind, p.Hunt, cfg.hunt) {
			runnable = append(runnable, i)
		}
	}
	cache.steps.storeForms(set, runnable)
	plans := make([]*compiledPlan, 0, len(runnable))
	for start := 0; start < len(runnable); start += buildChunk {
		chunk := runnable[start:min(start+buildChunk, len(runnable))]
		var err error
		if plans, err = compileChunk(set, chunk, cache, workers, plans); err != nil {
			return nil, nil, err
		}
	}
	for _, cp := range plans {
		cp.condition = resolved(cp.condition)
		for _, c := range cp.channels {
			c.selector, c.predicate = resolved(c.selector), resolved(c.predicate)
		}
	}
	return plans, cache.slots, nil
}

// buildChunk is how many plans are built ahead together: what their parse trees and checked
// expressions hold in memory at once. Building the whole set ahead held every tree until the
// end (the enterprise plans and SigmaHQ's Windows rules peaked over 0.8 GB for a 115 MB engine).
const buildChunk = 256

// compileChunk compiles the plans of set at chunk (indexes, in set order) after plans: ahead on
// every core, then in order, then their programs planned on every core; then the chunk's parse
// trees and checks are let go (programCache.forget). With one worker only the in-order pass
// runs, planning each program when requested.
func compileChunk(set *plan.Set, chunk []int, cache *programCache, workers int, plans []*compiledPlan) ([]*compiledPlan, error) {
	if workers > 1 {
		lister := cache.aheadOnly()
		parallel(workers, len(chunk), func(k int) {
			_, _ = compilePlanParts(chunk[k], set.Plans[chunk[k]], lister) // errors come in order
		})
		lister.ahead.run(workers, cache.steps)
		cache.deferred = true
	}
	for _, i := range chunk {
		cp, err := compilePlan(i, set.Plans[i], cache)
		if err != nil {
			return nil, err
		}
		cp.position = len(plans)
		plans = append(plans, cp)
	}
	if err := cache.planPending(workers); err != nil {
		return nil, err
	}
	cache.forget()
	return plans, nil
}

// forget lets go of what the plans built so far no longer need: the parse trees and checked
// expressions (a later plan with the same text checks it again, giving the same result, and
// finds its program shared), and the trees the planned programs were made from.
func (pc *programCache) forget() {
	for _, p := range pc.pending {
		p.env, p.ast, p.opts, p.instead = nil, nil, nil, nil
	}
	pc.pending = nil
	clear(pc.checked)
	pc.steps.forgetTrees()
}

// forgetTrees drops the parses and checks taken, which hold parse trees; the other steps keep
// small results.
func (s *buildSteps) forgetTrees() {
	s.mu.Lock()
	defer s.mu.Unlock()
	clear(s.parses)
	clear(s.checks)
	clear(s.lazy)
}

// aheadSteps are the steps the ahead pass lists, by text: the steps of one text run in turn
// on one goroutine, so that its checks share one parse without waiting for each other.
type aheadSteps struct {
	mu    sync.Mutex
	texts map[string]*textSteps
	jobs  []*textSteps
	seen  map[string]bool // steps and checks listed, by key
}

type textSteps struct {
	text   string
	steps  []func()
	checks int // checks that take the text's parse (channel expressions)
	work   int
}

func newAheadSteps() *aheadSteps {
	return &aheadSteps{texts: map[string]*textSteps{}, seen: map[string]bool{}}
}

// add lists step, of text, once per key. It checks the expression of checkKey, if not
// empty, taking the text's parse when parses is set.
func (a *aheadSteps) add(text, key, checkKey string, parses bool, step func()) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.seen[key] {
		return
	}
	a.seen[key] = true
	t, ok := a.texts[text]
	if !ok {
		t = &textSteps{text: text}
		a.texts[text] = t
		a.jobs = append(a.jobs, t)
	}
	t.steps = append(t.steps, step)
	t.work += len(text)
	if checkKey != "" && !a.seen[checkKey] {
		a.seen[checkKey] = true
		t.work += len(text)
		if parses {
			t.checks++
		}
	}
}

// run takes the listed steps on workers goroutines, the longest texts first so that the
// goroutines end together; each parse is copied for all but the last check that takes it.
func (a *aheadSteps) run(workers int, steps *buildSteps) {
	sort.SliceStable(a.jobs, func(i, j int) bool { return a.jobs[i].work > a.jobs[j].work })
	for _, t := range a.jobs {
		if t.checks > 0 {
			steps.expectChecks(t.text, t.checks)
		}
	}
	parallel(workers, len(a.jobs), func(i int) {
		for _, step := range a.jobs[i].steps {
			step()
		}
	})
}

// buildSteps are the pure steps of building plans, each taken once per distinct input (its
// key) and kept, error included; they are safe for concurrent use.
type buildSteps struct {
	mu     sync.Mutex
	bound  map[int]func() (boundParams, error)        // by index in the set
	envs   map[string]func() (*keyedEnv, error)       // by environment key
	parses map[string]*parsedText                     // channel texts, by text
	checks map[string]func() (*cel.Ast, error)        // by expression key (environment and text)
	costs  map[string]func() (int, error)             // by expression key and parameter values
	conds  map[string]func() (map[string]bool, error) // by condition and channel ids
	// stored are the parsed forms the artifact carries whose digest matches their
	// environment and text, by expression key; read-only once the build starts.
	stored map[string]*plan.ParsedExpr
	// lazy are the parses of the stored forms checked when first evaluated, by expression
	// key (lazyForm); eagerForms checks every form while building (tests compare both).
	lazy        map[string]func() (*lazyParse, error)
	eagerForms  bool
	noCostCheck bool // programCache.noCostCheck
	noNeeds     bool // programCache.noNeeds
}

func newBuildSteps() *buildSteps {
	return &buildSteps{bound: map[int]func() (boundParams, error){}, envs: map[string]func() (*keyedEnv, error){},
		parses: map[string]*parsedText{}, checks: map[string]func() (*cel.Ast, error){},
		costs: map[string]func() (int, error){}, conds: map[string]func() (map[string]bool, error){},
		lazy: map[string]func() (*lazyParse, error){}}
}

// once is the result of do for key in m: do runs once per key, on the first goroutine that
// asks; the others wait for its result.
func once[K comparable, T any](s *buildSteps, m map[K]func() (T, error), key K, do func() (T, error)) (T, error) {
	s.mu.Lock()
	result, ok := m[key]
	if !ok {
		result = sync.OnceValues(do)
		m[key] = result
	}
	s.mu.Unlock()
	return result()
}

// bind is bindParams of the plan at index in the set.
func (s *buildSteps) bind(index int, p *plan.Plan) (boundParams, error) {
	return once(s, s.bound, index, func() (boundParams, error) { return bindParams(p.Params) })
}

// env is the environment of key, built once.
func (s *buildSteps) env(key string, build func() (*cel.Env, error)) (*keyedEnv, error) {
	return once(s, s.envs, key, func() (*keyedEnv, error) {
		env, err := build()
		if err != nil {
			return nil, err
		}
		return &keyedEnv{Env: env, key: key}, nil
	})
}

// check type-checks a CEL expression that must give a bool, as celenv.CompileBool does for
// the compiler and lint, once per environment. A channel expression is parsed once for all
// the environments it is checked in (parsing is most of the cost); a text without a parse
// is parsed again.
func (s *buildSteps) check(env *keyedEnv, text string, channel bool) (*cel.Ast, error) {
	key := env.key + "\x00" + text
	return once(s, s.checks, key, func() (*cel.Ast, error) {
		if form := s.stored[key]; form != nil {
			if ast, err := checkForm(env.Env, form); err == nil {
				return ast, nil
			}
		}
		if channel {
			if parsed := s.takeParse(text); parsed != nil {
				ast, _, err := celenv.CheckBool(env.Env, parsed)
				return ast, err
			}
		}
		ast, _, err := celenv.CompileBool(env.Env, text)
		return ast, err
	})
}

// parsedText is a channel expression parsed by the channel environment, for the checks that
// take it: cel-go's checker rewrites the tree it checks, so each check has its own. A check
// takes the parse after a copy of it is left for the next (copyParsed), unless it is the
// last one expected.
type parsedText struct {
	mu     sync.Mutex
	parsed bool
	tree   *cel.Ast // nil: none left (the text did not parse, or was too deep to copy)
	left   int      // checks still expected; 0: unknown
}

// expectChecks tells how many checks will take the parse of text.
func (s *buildSteps) expectChecks(text string, n int) {
	s.parsedText(text).left = n
}

func (s *buildSteps) parsedText(text string) *parsedText {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, ok := s.parses[text]
	if !ok {
		p = &parsedText{}
		s.parses[text] = p
	}
	return p
}

// takeParse is a parse of text of the check's own; nil when there is none.
func (s *buildSteps) takeParse(text string) *cel.Ast {
	p := s.parsedText(text)
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.parsed {
		p.parsed = true
		parser, err := s.env(celenv.ChannelEnvKey(nil), func() (*cel.Env, error) { return celenv.ChannelEnv(nil) })
		if err == nil {
			if ast, iss := parser.Parse(text); iss.Err() == nil {
				p.tree = ast
			}
		}
	}
	tree := p.tree
	if tree == nil {
		return nil
	}
	if p.left == 1 {
		p.tree = nil // the last check expected
	} else if next, ok := copyParsed(tree); ok {
		p.tree = next
	} else {
		p.tree = nil
	}
	p.left = max(p.left-1, 0)
	return tree
}

// cost is costVerdict of the expression of key with the parameters of cp, once per distinct
// parameter values.
func (s *buildSteps) cost(env *cel.Env, ast *cel.Ast, exprKey string, cp *compiledPlan) (int, error) {
	return once(s, s.costs, exprKey+"\x00"+cp.paramsKey, func() (int, error) {
		if form := s.stored[exprKey]; form != nil && form.MaxString > 0 {
			return affordableUpTo(form.MaxString), nil
		}
		return costVerdict(env, ast, cp.paramsJSON)
	})
}

// lazyParse is the parse of an artifact's form that is checked when first evaluated, with
// what the build reads from its tree before any evaluation that depends on nothing else (so
// it is read ahead, on every core): its route, and its need (nil without a candidate index).
// The field slots are numbered later, in order (programCache.learned).
type lazyParse struct {
	expr  celast.Expr
	form  *plan.ParsedExpr
	route *route
	need  need
}

// lazyForm is the parse of the stored form of the channel expression of key when its check
// and its program may wait for its first evaluation; nil otherwise. It may when the form
// decodes, its tree is one the check keeps (celenv.CheckKeepsTree: the routes, needs and
// slots read from the parse are those of the checked expression), and its cost verdict is
// stored (or not wanted): `stixcel compile` checked and planned the expression of this text
// in this environment, under this stixcel's declarations (storeForms). The tree is read from
// the form's encoding (celenv.DecodeTree), once, and only read: the programs decode the form
// again (celenv.DecodeParsed) to check it.
func (s *buildSteps) lazyForm(key string) *lazyParse {
	form := s.stored[key]
	if s.eagerForms || form == nil || (form.MaxString <= 0 && !s.noCostCheck) {
		return nil
	}
	lp, _ := once(s, s.lazy, key, func() (*lazyParse, error) {
		expr, ok := celenv.DecodeTree(form.Expr)
		if !ok || !celenv.CheckKeepsTree(expr) {
			return nil, nil
		}
		lp := &lazyParse{expr: expr, form: form, route: deriveRoute(expr)}
		if !s.noNeeds { // no parameter: the tree reads only event (CheckKeepsTree)
			lp.need = (&needs{patterns: map[string]patternLits{}}).of(expr)
		}
		return lp, nil
	})
	return lp
}

// checkForm type-checks the parsed form of an expression as check does its text; an error
// (a damaged form: one the checker refuses, or panics on) sends the caller to the text.
func checkForm(env *cel.Env, form *plan.ParsedExpr) (ast *cel.Ast, err error) {
	parsed, err := celenv.DecodeParsed(form.Expr)
	if err != nil {
		return nil, err
	}
	defer func() {
		if r := recover(); r != nil {
			ast, err = nil, fmt.Errorf("parsed form: %v", r)
		}
	}()
	ast, _, err = celenv.CheckBool(env, parsed)
	return ast, err
}

// storeForms keeps the parsed forms of the channels of set's plans at runnable (indexes)
// whose digests match their environment and text, when the artifact was checked against
// this stixcel's declarations (plan.Set.CELEnv); an edited text, or a form from another
// stixcel, is compiled from its text.
func (s *buildSteps) storeForms(set *plan.Set, runnable []int) {
	if set.CELEnv == "" || set.CELEnv != celenv.Fingerprint() {
		return
	}
	s.stored = map[string]*plan.ParsedExpr{}
	for _, i := range runnable {
		p := set.Plans[i]
		if p == nil {
			continue
		}
		envKey := celenv.ChannelEnvKey(p.Params)
		for _, ch := range p.Channels {
			if ch == nil || ch.Parsed == nil {
				continue
			}
			s.storeForm(envKey, ch.Selector, ch.Parsed.Selector)
			s.storeForm(envKey, ch.Predicate, ch.Parsed.Predicate)
		}
	}
}

func (s *buildSteps) storeForm(envKey, text string, form *plan.ParsedExpr) {
	if form == nil || text == "" {
		return
	}
	key := envKey + "\x00" + text
	if _, done := s.stored[key]; done {
		return
	}
	if form.Digest == celenv.ExprDigest(envKey, text) {
		s.stored[key] = form
	} else {
		s.stored[key] = nil // edited: compiled from its text
	}
}

// conditionChannels is celenv.ConditionChannels, once per condition and channel ids.
func (s *buildSteps) conditionChannels(condition string, ids []string) (map[string]bool, error) {
	return once(s, s.conds, condition+"\x00"+strings.Join(ids, ","), func() (map[string]bool, error) {
		return celenv.ConditionChannels(condition, ids)
	})
}

// pendingProgram is a program requested while plans are compiled in order with
// programCache.deferred set; planPending plans it.
type pendingProgram struct {
	cel.Program
	env  *cel.Env
	ast  *celast.AST
	opts []cel.ProgramOption
	err  error
	// instead is planned when this program cannot be (an unrolled program: the program
	// as written, see programCache.unrolledProgram).
	instead *pendingProgram
}

// planPending plans the queued programs on workers goroutines; the first error in request
// order is returned.
func (pc *programCache) planPending(workers int) error {
	parallel(workers, len(pc.pending), func(i int) {
		p := pc.pending[i]
		p.Program, p.err = pc.newProgram(p.env, p.ast, p.opts...)
		if p.err != nil && p.instead != nil {
			p.Program, p.err = pc.newProgram(p.instead.env, p.instead.ast, p.instead.opts...)
		}
	})
	for _, p := range pc.pending {
		if p.err != nil {
			return p.err
		}
	}
	return nil
}

// resolved is the program planned for a placeholder, or prg itself.
func resolved(prg cel.Program) cel.Program {
	if p, ok := prg.(*pendingProgram); ok {
		return p.Program
	}
	return prg
}

// lazyProgram is a channel program whose artifact form is type-checked and planned when it is
// first evaluated, on whichever goroutine first evaluates it (the others wait for it); later
// evaluations go straight to the program. Most of an artifact's programs are never
// evaluated on a given input (the routing and the candidate index skip them), so start-up
// no longer checks and plans them all. Its form was checked and planned by `stixcel
// compile`; should it fail here all the same (an artifact edited by hand), each evaluation
// fails with that error, counted as the channel's evaluation error.
type lazyProgram struct {
	once  sync.Once
	build func() (cel.Program, error)
	prg   cel.Program
	err   error
}

func (p *lazyProgram) Eval(input any) (ref.Val, *cel.EvalDetails, error) {
	if p.once.Do(p.plan); p.err != nil {
		return nil, nil, p.err
	}
	return p.prg.Eval(input)
}

func (p *lazyProgram) ContextEval(ctx context.Context, input any) (ref.Val, *cel.EvalDetails, error) {
	if p.once.Do(p.plan); p.err != nil {
		return nil, nil, p.err
	}
	return p.prg.ContextEval(ctx, input)
}

func (p *lazyProgram) ConcurrentEval(ctx context.Context, input any) <-chan cel.EvalResult {
	if p.once.Do(p.plan); p.err != nil {
		out := make(chan cel.EvalResult, 1)
		out <- cel.EvalResult{Err: p.err}
		close(out)
		return out
	}
	return p.prg.ConcurrentEval(ctx, input)
}

func (p *lazyProgram) plan() {
	defer func() {
		if r := recover(); r != nil {
			p.prg, p.err = nil, fmt.Errorf("not evaluated: the artifact's parsed form of this expression: %v", r)
		}
	}()
	p.prg, p.err = p.build()
	p.build = nil
}

// lazyProgram is the program of key, planned with opts from the artifact's form when first
// evaluated (lazyProgram).
func (pc *programCache) lazyProgram(key string, env *cel.Env, form *plan.ParsedExpr, opts ...cel.ProgramOption) cel.Program {
	if prg, ok := pc.progs[key]; ok {
		return prg
	}
	done, maxIter := pc.done, pc.maxIter
	prg := &lazyProgram{build: func() (cel.Program, error) {
		parsed, err := celenv.DecodeParsed(form.Expr)
		if err != nil {
			return nil, fmt.Errorf("not evaluated: the artifact's parsed form of this expression: %w", err)
		}
		ast, _, err := celenv.CheckBool(env, parsed)
		if err != nil {
			return nil, fmt.Errorf("not evaluated: the artifact's parsed form of this expression does not type-check: %w", err)
		}
		prg, err := newProgram(done, maxIter, env, ast.NativeRep(), opts...)
		if err != nil {
			return nil, fmt.Errorf("not evaluated: the artifact's parsed form of this expression does not plan: %w", err)
		}
		return prg, nil
	}}
	pc.progs[key] = prg
	return prg
}
