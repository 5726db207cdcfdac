package runtime

import (
	"context"
	"errors"
	"fmt"

	"github.com/google/cel-go/cel"
	"github.com/google/cel-go/common/types/ref"
	"github.com/google/cel-go/interpreter"
)

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

// cancelledContext returns a context that is done from the start.
func cancelledContext() context.Context {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	return ctx
}

// tooLongError is an evaluation skipped because the event holds a string longer than the
// expression's estimated cost affords (celenv.MaxStringSize): the decision depends on the
// event and the expression alone, so it is the same for every worker count, and no single
// event can stall the stream.
type tooLongError struct{ longest, affordable int }

func (e *tooLongError) Error() string {
	return fmt.Sprintf("not evaluated: the event holds a string of %d bytes; this expression's estimated cost is within the limit for strings up to %d bytes", e.longest, e.affordable)
}
