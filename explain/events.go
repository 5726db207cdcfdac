package explain

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/stixcel/stixcel/event"
	"github.com/stixcel/stixcel/plan"
	"github.com/stixcel/stixcel/pump"
	"github.com/stixcel/stixcel/runtime"
)

// Trace is what one plan made of a set of events: per event, which channels and conditions
// held; the lines that were rejected; and the alerts the plan gave, as `stixcel run` gives
// them on the same events.
type Trace struct {
	Analytic string `json:"analytic"`
	// Condition, GroupBy and Window are the plan's correlation: the condition over one
	// group's window ("" when every matching event alerts).
	Condition string           `json:"condition"`
	GroupBy   []string         `json:"group_by"`
	Window    string           `json:"window,omitempty"`
	Events    []EventTrace     `json:"events"`
	Rejected  []string         `json:"rejected"` // "file:line: reason", in reading order
	Alerts    []*runtime.Alert `json:"alerts"`
}

// EventTrace is one event and what the plan made of it.
type EventTrace struct {
	Source    string    `json:"source"`
	Line      int       `json:"line"`
	Time      time.Time `json:"time"`
	LogSource string    `json:"log_source"`
	*runtime.EventTrace
}

// Events traces the events of inputs through p, read as `stixcel run` reads them: through
// one pump (pump.Run) with run's merge (event.DefaultLateness) and decoder (nil: normalized
// events), so that the same lines are rejected and the rest come in the same order. A
// rejected line is listed in the trace and the rest go on; an input's read error ends the
// trace with it.
func Events(ctx context.Context, p *plan.Plan, inputs []pump.Input, decoder func() event.Decoder, opts ...runtime.Option) (*Trace, error) {
	tr, err := runtime.NewTracer(p, opts...)
	if err != nil {
		return nil, err
	}
	out := &Trace{Analytic: p.ID, Condition: p.Correlation.Condition, GroupBy: slices.Clone(p.Correlation.GroupBy),
		Events: []EventTrace{}, Rejected: []string{}, Alerts: []*runtime.Alert{}}
	if out.GroupBy == nil {
		out.GroupBy = []string{}
	}
	if d, err := p.WindowDuration(); err == nil && p.Correlation.Condition != "" {
		out.Window = d.String()
	}
	emit := func(o runtime.Output) {
		if a, ok := o.(*runtime.Alert); ok {
			out.Alerts = append(out.Alerts, a)
		}
	}
	_, err = pump.Run(ctx, inputs, pump.Options{Decoder: decoder, Batch: true, Merge: event.MergeOptions{Lateness: event.DefaultLateness, MaxHeld: event.DefaultBatchHeld}}, pump.Handler{
		Event: func(_ context.Context, ev *event.Event) error {
			out.Events = append(out.Events, EventTrace{Source: ev.Source, Line: ev.Line, Time: ev.Time, LogSource: ev.LogSource,
				EventTrace: tr.Trace(ev, emit)})
			return nil
		},
		Rejected: func(_ context.Context, rej *event.Rejection) error {
			out.Rejected = append(out.Rejected, rej.Error())
			return nil
		},
	})
	if err != nil {
		return nil, err
	}
	tr.Flush(emit)
	return out, ctx.Err()
}

// Alerted reports whether the plan gave an alert.
func (t *Trace) Alerted() bool { return len(t.Alerts) > 0 }

// String is a short summary: "AN1828: 4 events, 1 rejected line, 1 alert".
func (t *Trace) String() string {
	s := fmt.Sprintf("%s: %s", t.Analytic, plural(len(t.Events), "event"))
	if len(t.Rejected) > 0 {
		s += ", " + plural(len(t.Rejected), "rejected line")
	}
	return s + ", " + plural(len(t.Alerts), "alert")
}

func plural(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return fmt.Sprintf("%d %ss", n, what)
}
