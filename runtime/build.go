package runtime

import (
	goruntime "runtime"
	"sort"
	"strings"
	"sync"

	"github.com/google/cel-go/cel"
	celast "github.com/google/cel-go/common/ast"

	"github.com/stixcel/stixcel/celenv"
	"github.com/stixcel/stixcel/event"
	"github.com/stixcel/stixcel/plan"
)

// Building the engine on several goroutines.
//
// Compiling a plan set is mostly pure work per distinct expression: parsing (ANTLR), type
// checking, cost estimation and program planning, which cel-go does on a cel.Env that is
// safe for concurrent use. What depends on order is cheap: the numbering of event fields
// (event.Slots, in the order plans, channels and expressions first read them), the sharing
// of environments, checks and programs between plans (programCache), and the first error
// in set order. So New builds in three steps:
//
//  1. buildAhead, on every core: binds each plan's parameters, builds the environments,
//     parses and checks every distinct expression (environment and text) and estimates its
//     cost with each distinct set of parameter values it is compiled with; it also finds
//     which channels each distinct condition references (each check from its own parse:
//     the checker rewrites the tree, see checkBool). Each result is a pure function of
//     its inputs, made by the same calls the sequential build makes (an expression's checks
//     are made in the order the sequential build makes them, see buildAhead).
//  2. The plans are compiled in set order on one goroutine exactly as without step 1,
//     taking step 1's results where the sequential build would compute them, and queueing
//     program planning (pendingProgram): this numbers the slots and shares programs as the
//     sequential build does.
//  3. planPending plans the queued programs on every core; then each plan's placeholders
//     are replaced by its programs.
//
// The engine therefore does not depend on the number of build goroutines. Errors neither:
// when any step fails, the set is compiled again sequentially (buildWorkers 1), whose first
// error in set order is the one New returns, worded as always.

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
	var runnable []int
	var parse []*plan.Plan
	for i, p := range set.Plans {
		if p == nil || plan.Runs(p.Kind, p.Hunt, cfg.hunt) {
			runnable = append(runnable, i)
		}
		if p != nil && plan.Runs(p.Kind, p.Hunt, cfg.hunt) {
			parse = append(parse, p)
		}
	}
	if workers > 1 {
		cache.buildAhead(set.Plans, runnable, channelTexts(parse), workers)
		cache.deferred = true
	} else if err := cache.parseAhead(parse, 1); err != nil {
		return nil, nil, err
	}
	plans := make([]*compiledPlan, 0, len(runnable))
	for _, i := range runnable {
		cp, err := compilePlan(i, set.Plans[i], cache)
		if err != nil {
			return nil, nil, err
		}
		cp.position = len(plans)
		plans = append(plans, cp)
	}
	if err := cache.planPending(workers); err != nil {
		return nil, nil, err
	}
	for _, cp := range plans {
		cp.condition = resolved(cp.condition)
		for _, c := range cp.channels {
			c.selector, c.predicate = resolved(c.selector), resolved(c.predicate)
		}
	}
	return plans, cache.slots, nil
}

// aheadResults is what buildAhead computed for the sequential pass; a nil one holds nothing.
// Only successes are kept: a failing step is left to the sequential build, which fails.
type aheadResults struct {
	bound    map[int]boundParams        // by index in the set
	checked  map[string]*cel.Ast        // by expression key (environment key and text)
	channels map[string]map[string]bool // celenv.ConditionChannels by condition and ids
}

// boundParams are a plan's parameters as bindParams converts them.
type boundParams struct {
	params, paramsJSON map[string]any
	paramsKey          string
}

func (a *aheadResults) boundParams(index int) (boundParams, bool) {
	if a == nil {
		return boundParams{}, false
	}
	b, ok := a.bound[index]
	return b, ok
}

func (a *aheadResults) conditionChannels(condition string, ids []string) (map[string]bool, bool) {
	if a == nil {
		return nil, false
	}
	used, ok := a.channels[condition+"\x00"+strings.Join(ids, ",")]
	return used, ok
}

// aheadEnv is an environment built once, by the first text job that needs it.
type aheadEnv struct {
	key   string
	build func() (*cel.Env, error)
}

// aheadExpr is an expression (environment and text) to check, with the cost checks it
// gets: one per distinct parameter values (key, the plan's JSON form) in first-use order.
type aheadExpr struct {
	key   string
	env   func() (*cel.Env, error)
	costs []*aheadCost
	ast   *cel.Ast
}

type aheadCost struct {
	key     string
	params  map[string]any
	verdict costVerdict
}

// aheadText is one text's expressions, in the order the sequential build first checks
// them: they run in that order on one goroutine, each from the parse checkBool would hand
// it (the text's parse ahead when it is a channel text, as parseAhead does, then copies).
type aheadText struct {
	text  string
	parse bool // among the channel texts parseAhead parses
	exprs []*aheadExpr
	work  int
}

// buildAhead fills pc.envs, pc.costs and pc.ahead on workers goroutines from the plans at
// indexes runnable of plans (see the comment at the top of this file). What it collects
// follows the sequential build's order: environments are built from the parameters of the
// first plan that declares them, an expression is first checked where that build first
// checks it, and a cost is estimated with the parameter values of the first plan that has
// them. Plans the sequential build would refuse are skipped where they fail: that build
// then runs and returns the error.
func (pc *programCache) buildAhead(plans []*plan.Plan, runnable []int, parseTexts []string, workers int) {
	bound := make([]*boundParams, len(runnable))
	parallel(workers, len(runnable), func(k int) {
		if p := plans[runnable[k]]; p != nil {
			cp := &compiledPlan{src: p}
			if cp.bindParams() == nil {
				bound[k] = &boundParams{params: cp.params, paramsJSON: cp.paramsJSON, paramsKey: cp.paramsKey}
			}
		}
	})

	isParsed := make(map[string]bool, len(parseTexts))
	for _, t := range parseTexts {
		isParsed[t] = true
	}
	envs := map[string]*aheadEnv{}
	envOf := func(key string, build func() (*cel.Env, error)) *aheadEnv {
		if e, ok := envs[key]; ok {
			return e
		}
		e := &aheadEnv{key: key, build: sync.OnceValues(build)}
		envs[key] = e
		return e
	}
	texts := map[string]*aheadText{}
	var textJobs []*aheadText
	exprs := map[string]*aheadExpr{}
	costs := map[string]bool{}
	add := func(env *aheadEnv, text string, b *boundParams) {
		key := env.key + "\x00" + text
		x, ok := exprs[key]
		if !ok {
			x = &aheadExpr{key: key, env: env.build}
			exprs[key] = x
			t, ok := texts[text]
			if !ok {
				t = &aheadText{text: text, parse: isParsed[text]}
				texts[text] = t
				textJobs = append(textJobs, t)
			}
			t.exprs = append(t.exprs, x)
			t.work += len(text)
		}
		if ckey := key + "\x00" + b.paramsKey; !pc.noCostCheck && !costs[ckey] {
			costs[ckey] = true
			x.costs = append(x.costs, &aheadCost{key: ckey, params: b.paramsJSON})
			t := texts[text]
			t.work += len(text)
		}
	}
	conds := map[string]func() (map[string]bool, error){}
	var condKeys []string
	for k, i := range runnable {
		p, b := plans[i], bound[k]
		if p == nil || b == nil {
			continue
		}
		chEnv := envOf(channelEnvKey(p.Params), func() (*cel.Env, error) { return celenv.ChannelEnv(p.Params) })
		var ids []string
		seen := map[string]bool{}
		ok := true
		for _, ch := range p.Channels {
			if ch == nil || ch.ID == "" || seen[ch.ID] {
				ok = false
				break
			}
			seen[ch.ID] = true
			ids = append(ids, ch.ID)
			for _, text := range []string{selectorOf(p, ch), ch.Predicate} {
				if text != "" {
					add(chEnv, text, b)
				}
			}
		}
		cond := p.Correlation.Condition
		if !ok || cond == "" {
			continue
		}
		if _, err := p.WindowDuration(); err != nil {
			continue
		}
		add(envOf(conditionEnvKey(p.Params, ids), func() (*cel.Env, error) { return celenv.ConditionEnv(p.Params, ids) }), cond, b)
		if ckey := cond + "\x00" + strings.Join(ids, ","); conds[ckey] == nil {
			conds[ckey] = sync.OnceValues(func() (map[string]bool, error) { return celenv.ConditionChannels(cond, ids) })
			condKeys = append(condKeys, ckey)
		}
	}

	// The longest jobs first, so that the goroutines end together.
	sort.SliceStable(textJobs, func(a, b int) bool { return textJobs[a].work > textJobs[b].work })
	channelParser := sync.OnceValues(func() (*cel.Env, error) { return celenv.ChannelEnv(nil) })
	parallel(workers, len(textJobs)+len(condKeys), func(j int) {
		if j >= len(textJobs) {
			_, _ = conds[condKeys[j-len(textJobs)]]()
			return
		}
		t := textJobs[j]
		// The parse, then its copies, in the order checkBool hands them out.
		var parsed *cel.Ast
		if parser, err := channelParser(); t.parse && err == nil {
			if ast, iss := parser.Parse(t.text); iss.Err() == nil {
				parsed = ast
			}
		}
		for n, x := range t.exprs {
			env, err := x.env()
			if err != nil {
				continue
			}
			var ast *cel.Ast
			if parsed != nil {
				this := parsed
				parsed = nil
				if n < len(t.exprs)-1 {
					parsed, _ = copyParsed(this) // before this is checked
				}
				ast, _, err = celenv.CheckBool(env, this)
			} else {
				ast, _, err = celenv.CompileBool(env, t.text)
			}
			if err != nil {
				continue
			}
			x.ast = ast
			for _, c := range x.costs {
				c.verdict = costVerdictOf(env, ast, c.params)
			}
		}
	})

	pc.ahead = &aheadResults{bound: map[int]boundParams{}, checked: make(map[string]*cel.Ast, len(exprs)),
		channels: make(map[string]map[string]bool, len(conds))}
	for k, b := range bound {
		if b != nil {
			pc.ahead.bound[runnable[k]] = *b
		}
	}
	for key, e := range envs {
		if env, err := e.build(); err == nil {
			pc.envs[key] = &keyedEnv{Env: env, key: key}
		}
	}
	for _, t := range textJobs {
		for _, x := range t.exprs {
			if x.ast == nil {
				continue
			}
			pc.ahead.checked[x.key] = x.ast
			for _, c := range x.costs {
				pc.costs[c.key] = c.verdict
			}
		}
	}
	for key, used := range conds {
		if u, err := used(); err == nil {
			pc.ahead.channels[key] = u
		}
	}
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
