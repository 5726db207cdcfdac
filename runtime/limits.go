package runtime

import (
	"context"
	"errors"
	"fmt"

	"github.com/google/cel-go/cel"
	celast "github.com/google/cel-go/common/ast"
	"github.com/google/cel-go/common/types/ref"
	"github.com/google/cel-go/interpreter"

	"github.com/stixcel/stixcel/celenv"
)

// DefaultMaxIterations is how many comprehension iterations (macros such as exists, all,
// map and filter, counting every level of nesting) one evaluation of one expression may run
// before it is cut off. The built-in pack's comprehensions run over parameter lists of a few
// dozen items; a cut-off costs at most a few milliseconds (6 ms for a six-deep nested map,
// whose iterations build lists), so 1,000 hostile events take seconds, not hours.
const DefaultMaxIterations = 5_000

// WithMaxIterations sets how many comprehension iterations one evaluation may run (default
// DefaultMaxIterations; n < 1 means 1). An evaluation that would run more is cut off: it
// fails with "cost limit exceeded: ..." (counted as false, in Stats.EvalErrors and
// EvalErrors.CutOff) unless the rest of the expression decides the result without it
// (`false && x`, `true || x`). A cut-off never changes a result, it turns it into an error;
// the count is the same with any number of workers.
func WithMaxIterations(n int) Option {
	return func(c *config) { c.maxIterations = max(n, 1) }
}

// limitedProgram evaluates a program that holds comprehensions with an iteration budget:
// cel-go checks for an interrupt every maxIter+1 comprehension iterations of an evaluation
// (cel.InterruptCheckFrequency), and the context it checks is already cancelled, so the
// first check stops the evaluation. Unlike a timeout the cut-off depends only on the
// expression and the event; unlike cel.CostLimit, which observes every node (4 to 5 times
// slower on the built-in pack's loops over parameter lists), it costs a frame and a context
// per evaluation and a counter per iteration.
type limitedProgram struct {
	cel.Program
	done    context.Context // cancelled
	maxIter int
}

// Eval evaluates with the budget. A frame cannot take a context twice, so a shard's reused
// frame is unwrapped to its activation, and the evaluation gets a frame of its own.
func (p *limitedProgram) Eval(input any) (ref.Val, *cel.EvalDetails, error) {
	if f, ok := input.(*interpreter.ExecutionFrame); ok {
		input = f.Activation
	}
	out, det, err := p.ContextEval(p.done, input)
	if err != nil && errors.Is(err, interpreter.InterruptError{}) {
		err = &costLimitError{maxIter: p.maxIter}
	}
	return out, det, err
}

// costLimitError is the error of an evaluation cut off at its iteration limit.
type costLimitError struct{ maxIter int }

func (e *costLimitError) Error() string {
	return fmt.Sprintf("cost limit exceeded: more than %d comprehension iterations in one evaluation", e.maxIter)
}

// newProgram plans a checked expression; one with a comprehension gets the iteration budget
// (the others cannot loop).
func (pc *programCache) newProgram(env *cel.Env, ast *cel.Ast, opts ...cel.ProgramOption) (cel.Program, error) {
	limited := hasComprehension(ast)
	if limited {
		opts = append(opts, cel.InterruptCheckFrequency(uint(pc.maxIter)+1))
	}
	prg, err := env.Program(ast, append(opts, cel.EvalOptions(cel.OptOptimize))...)
	if err != nil {
		return nil, fmt.Errorf("program: %w", err)
	}
	if limited {
		prg = &limitedProgram{Program: prg, done: pc.done, maxIter: pc.maxIter}
	}
	return prg, nil
}

func hasComprehension(ast *cel.Ast) bool {
	nav := celast.NavigateAST(ast.NativeRep())
	return len(celast.MatchDescendants(nav, celast.KindMatcher(celast.ComprehensionKind))) > 0
}

// cancelledContext returns a context that is done from the start.
func cancelledContext() context.Context {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	return ctx
}

// checkCost refuses an expression whose estimated cost exceeds celenv.MaxCost, with the
// sizes of the plan's parameter values; results are cached per expression and parameters.
func (pc *programCache) checkCost(env *cel.Env, ast *cel.Ast, exprKey string, cp *compiledPlan) error {
	if pc.noCostCheck {
		return nil
	}
	key := exprKey + "\x00" + cp.paramsKey
	if err, ok := pc.costs[key]; ok {
		return err
	}
	err := celenv.CheckCost(env, ast, cp.paramsJSON)
	pc.costs[key] = err
	return err
}
