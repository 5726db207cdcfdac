// Package runloop is `stixcel run` between its flags and its exit code: the event pump feeds
// the engine (a batch's events sorted once its inputs have ended, a stream's merged within
// the lateness: pump.Options.Batch), outputs are written as they come (an idle input's pause
// writes the open alerts, so that a live stream's consumer does not wait for the next
// event), and every way
// out (end of input, an input error, --strict, a signal) writes the open alerts, closes the
// outputs and the --rejects file, and writes the summary and the hints.
package runloop

import (
	"context"
	"fmt"
	"io"

	"github.com/stixcel/stixcel/alertfmt"
	"github.com/stixcel/stixcel/event"
	"github.com/stixcel/stixcel/hints"
	"github.com/stixcel/stixcel/pump"
	"github.com/stixcel/stixcel/runtime"
)

// Run is a run's engine and where what it finds goes.
type Run struct {
	Engine *runtime.Engine
	// Hints are told of every event and rejection, and written after the summary.
	Hints *hints.Hints
	// Out receives the outputs, and is closed at the end.
	Out *alertfmt.Buffered
	// Rejects receives the rejected lines (nil: none), and is put in place at the end.
	Rejects *pump.RejectsFile
	// Summary names the run's limits (Hunt, MaxState, MaxHeld); Events fills in the counts.
	Summary alertfmt.RunSummary
	// Stderr receives the rejection messages, the summary and the hints.
	Stderr io.Writer
	// ReadDone, when set, is called once the events are read, before the summary is
	// written (the progress bars finish).
	ReadDone func()
}

// Events evaluates the events of inputs (pump.Run with opts; its Messages and Rejects are
// the Run's) until their end, an input's error, a strict rejection or until ctx is done,
// then writes the open alerts, closes the outputs and the rejects file, and writes the
// summary and the hints. The error is the first of the pump's, the outputs', the rejects
// file's and pump.NothingProcessed's; a stop for ctx is no error. It is Start and Pump.
func (r *Run) Events(ctx context.Context, inputs []pump.Input, opts pump.Options) error {
	return r.Pump(ctx, r.Start(inputs, opts))
}

// Start starts reading the events of inputs for the run (pump.Start with opts), before the
// run is ready for them: its Messages are r.Stderr, its Rejects the r.Rejects of the time a
// line is handed over, so that r's Engine, Hints, Out, Rejects and Summary may be set until
// Pump. The caller stops the pump (pump.Started.Stop) if it never calls Pump.
func (r *Run) Start(inputs []pump.Input, opts pump.Options) *pump.Started {
	opts.Messages, opts.Rejects = r.Stderr, rejectsOf{r}
	return pump.Start(inputs, opts)
}

// Pump evaluates the events s reads, then ends the run, as Events does.
func (r *Run) Pump(ctx context.Context, s *pump.Started) error {
	sum, err := s.Run(ctx, r.handler())
	if r.ReadDone != nil {
		r.ReadDone()
	}
	r.Engine.Flush(r.Out.Emit)
	if ferr := r.Out.Close(); err == nil {
		err = ferr
	}
	if rerr := r.Rejects.Close(); err == nil && rerr != nil {
		err = fmt.Errorf("--rejects: %w", rerr)
	}
	r.Summary.Read, r.Summary.Engine = sum, r.Engine.Stats()
	r.Summary.Write(r.Stderr)
	r.Hints.Write(r.Stderr)
	if err == nil {
		err = pump.NothingProcessed(sum.Stats)
	}
	return err
}

// rejectsOf writes the rejected lines to the run's Rejects as it is when they are written
// (a nil *pump.RejectsFile takes them and writes nothing).
type rejectsOf struct{ r *Run }

func (w rejectsOf) Write(p []byte) (int, error) { return w.r.Rejects.Write(p) }

// handler evaluates the pumped events, noting what the hints need; an idle input's pause
// writes the open alerts.
func (r *Run) handler() pump.Handler {
	return pump.Handler{
		Event: func(ctx context.Context, ev *event.Event) error {
			r.Hints.Processed(ev)
			return r.Engine.Process(ctx, ev, r.Out.Emit)
		},
		Rejected: func(_ context.Context, rej *event.Rejection) error {
			r.Hints.Rejected(rej)
			return nil
		},
		Idle: func(context.Context) error {
			r.Engine.Flush(r.Out.Emit)
			return nil
		},
	}
}
