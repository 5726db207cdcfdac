// Package parsed adds to a plan set the parsed form of each channel's selector and predicate
// (plan.ParsedExpr): the expression as cel-go parsed it, in cel-spec's serialized form, keyed
// by the digest of its environment and text, with its cost verdict. Loading such an artifact
// skips the parser and the cost estimate, most of the engine's start-up (docs/artifact.md);
// the runtime still type-checks each form. An expression that does not compile, or reads the
// plan's parameters (whose values a run may change), gets no form: the runtime compiles it
// from its text, and reports its error, as always.
package parsed

import (
	goruntime "runtime"
	"sync"

	"github.com/google/cel-go/cel"

	"github.com/stixcel/stixcel/celenv"
	"github.com/stixcel/stixcel/plan"
)

// Attach sets the parsed forms of every channel of set's plans, replacing any it had, and
// set.CELEnv; expressions shared by several channels (in the same environment) are compiled
// once. It works on every core; the result does not depend on their number.
func Attach(set *plan.Set) {
	jobs, slots := collect(set)
	var wg sync.WaitGroup
	next := make(chan *job)
	for range min(goruntime.GOMAXPROCS(0), max(len(jobs), 1)) {
		wg.Go(func() {
			envs := map[string]*cel.Env{}
			for j := range next {
				j.form = j.compile(envs)
			}
		})
	}
	for _, j := range jobs {
		next <- j
	}
	close(next)
	wg.Wait()
	for _, s := range slots {
		s.set()
	}
	set.CELEnv = celenv.Fingerprint()
}

// job is one distinct expression: its environment's parameters and key, and its text.
type job struct {
	params []*plan.Param
	envKey string
	text   string
	form   *plan.ParsedExpr
}

// slot is where a job's form goes: a channel's selector or predicate.
type slot struct {
	ch        *plan.Channel
	predicate bool
	job       *job
}

// set gives the slot's channel its job's form, if the expression has one.
func (s slot) set() {
	if s.job.form == nil {
		return
	}
	if s.ch.Parsed == nil {
		s.ch.Parsed = &plan.ParsedChannel{}
	}
	if s.predicate {
		s.ch.Parsed.Predicate = s.job.form
	} else {
		s.ch.Parsed.Selector = s.job.form
	}
}

// collect lists the distinct expressions of set's channels, in set order, and where each
// form goes.
func collect(set *plan.Set) ([]*job, []slot) {
	var jobs []*job
	var slots []slot
	byKey := map[string]*job{}
	for _, p := range set.Plans {
		if p == nil {
			continue
		}
		envKey := celenv.ChannelEnvKey(p.Params)
		for _, ch := range p.Channels {
			if ch == nil {
				continue
			}
			ch.Parsed = nil
			for i, text := range [2]string{ch.Selector, ch.Predicate} { // i 1: the predicate
				if text == "" {
					continue
				}
				key := envKey + "\x00" + text
				j, ok := byKey[key]
				if !ok {
					j = &job{params: p.Params, envKey: envKey, text: text}
					byKey[key] = j
					jobs = append(jobs, j)
				}
				slots = append(slots, slot{ch: ch, predicate: i == 1, job: j})
			}
		}
	}
	return jobs, slots
}

// compile is the parsed form of j, nil when it does not compile or is too expensive;
// envs are the environments this goroutine built, by key.
func (j *job) compile(envs map[string]*cel.Env) *plan.ParsedExpr {
	env, ok := envs[j.envKey]
	if !ok {
		var err error
		if env, err = celenv.ChannelEnv(j.params); err != nil {
			env = nil
		}
		envs[j.envKey] = env
	}
	if env == nil {
		return nil
	}
	parsed, iss := env.Parse(j.text)
	if iss.Err() != nil {
		return nil
	}
	expr, err := celenv.EncodeParsed(parsed) // before the checker, which rewrites the tree
	if err != nil {
		return nil
	}
	ast, _, err := celenv.CheckBool(env, parsed)
	if err != nil {
		return nil
	}
	if celenv.ReadsParams(ast.NativeRep().Expr()) {
		return nil // its cost, and whether it plans, depend on parameter values a run may change
	}
	maxString, err := celenv.CheckCostMaxString(env, ast, nil)
	if err != nil {
		return nil
	}
	if _, err := celenv.NewProgram(env, ast, 0); err != nil {
		return nil // the runtime reports it at its position in the text, which the form lacks
	}
	return &plan.ParsedExpr{Digest: celenv.ExprDigest(j.envKey, j.text), Expr: expr, MaxString: maxString}
}
