package explain

import (
	"errors"
	"fmt"
	"io"
	"slices"
	"time"

	"github.com/stixcel/stixcel/event"
	"github.com/stixcel/stixcel/plan"
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

// Events reads every event of the readers and traces them through p in event-time order,
// as `stixcel run` orders a batch (event.Compare). A rejected line is listed in the trace
// and the rest go on; a read error (not a bad line) ends the trace with it.
func Events(p *plan.Plan, readers []*event.Reader, opts ...runtime.Option) (*Trace, error) {
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
	var events []*event.Event
	for _, rd := range readers {
		evs, rejected, err := readAll(rd)
		if err != nil {
			return nil, err
		}
		events = append(events, evs...)
		out.Rejected = append(out.Rejected, rejected...)
	}
	slices.SortStableFunc(events, event.Compare)
	emit := func(o runtime.Output) {
		if a, ok := o.(*runtime.Alert); ok {
			out.Alerts = append(out.Alerts, a)
		}
	}
	for _, ev := range events {
		out.Events = append(out.Events, EventTrace{Source: ev.Source, Line: ev.Line, Time: ev.Time, LogSource: ev.LogSource,
			EventTrace: tr.Trace(ev, emit)})
	}
	tr.Flush(emit)
	return out, nil
}

// readAll reads the events of rd; rejections are described, not fatal.
func readAll(rd *event.Reader) ([]*event.Event, []string, error) {
	var events []*event.Event
	var rejected []string
	for {
		ev, rej, err := rd.Next()
		switch {
		case errors.Is(err, io.EOF):
			return events, rejected, nil
		case err != nil:
			return nil, nil, err
		case rej != nil:
			rejected = append(rejected, rej.Error())
		default:
			events = append(events, ev)
		}
	}
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
