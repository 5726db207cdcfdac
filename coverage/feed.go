package coverage

import (
	"context"

	"github.com/stixcel/stixcel/event"
	"github.com/stixcel/stixcel/plan"
	"github.com/stixcel/stixcel/pump"
	"github.com/stixcel/stixcel/runtime"
)

// Telemetry runs the events of inputs through the derived selectors of the plans of set
// (a Feeder), read as `stixcel run` reads them: one pump (pump.Run) merging the inputs in
// event time with run's lateness, decoded by decoder (nil: normalized events). It returns,
// per analytic an event fed, what the telemetry observed, and the pump's accounting of the
// lines; the error is the Feeder's or an input's.
func Telemetry(ctx context.Context, set *plan.Set, inputs []pump.Input, decoder func() event.Decoder) (map[string]Feed, pump.Summary, error) {
	f, err := NewFeeder(set)
	if err != nil {
		return nil, pump.Summary{}, err
	}
	sum, err := pump.Run(ctx, inputs, pump.Options{Decoder: decoder, Batch: true, Merge: event.MergeOptions{Lateness: event.DefaultLateness, MaxHeld: event.DefaultBatchHeld}}, pump.Handler{
		Event: func(ctx context.Context, ev *event.Event) error { return f.eng.Process(ctx, ev, f.Emit) },
	})
	if err != nil {
		return nil, sum, err
	}
	return f.Feeds(), sum, nil
}

// Feeder tells which analytics the telemetry can feed: its engine runs every plan's derived
// selectors alone (each plan as a hunt source, its predicates and correlation left out), and
// Emit counts, per analytic, the channels an event matched. Run the telemetry through
// Engine with Emit, then call Feeds.
type Feeder struct {
	eng    *runtime.Engine
	seen   map[string]map[string]bool // analytic → channels observed
	events map[string]int             // analytic → events matched
}

// NewFeeder builds the selector engine of the plans of set.
func NewFeeder(set *plan.Set) (*Feeder, error) {
	eng, err := runtime.New(selectorsOnly(set), runtime.WithHunt(true))
	if err != nil {
		return nil, err
	}
	return &Feeder{eng: eng, seen: map[string]map[string]bool{}, events: map[string]int{}}, nil
}

// Engine is the engine to run the telemetry through, emitting to Emit.
func (f *Feeder) Engine() *runtime.Engine { return f.eng }

// Emit counts a hunt record: its channel is observed and the analytic matched one more event.
func (f *Feeder) Emit(o runtime.Output) {
	h, ok := o.(*runtime.Hunt)
	if !ok {
		return
	}
	if f.seen[h.Analytic] == nil {
		f.seen[h.Analytic] = map[string]bool{}
	}
	f.seen[h.Analytic][h.Channel] = true
	f.events[h.Analytic]++
}

// Feeds flushes the engine and returns, per analytic an event fed, what the telemetry
// observed (Build fills in the channel counts).
func (f *Feeder) Feeds() map[string]Feed {
	f.eng.Flush(f.Emit)
	out := map[string]Feed{}
	for id, chans := range f.seen {
		out[id] = Feed{Observed: len(chans), Events: f.events[id]}
	}
	return out
}

// selectorsOnly is every plan with channels reduced to their derived selectors, as hunt
// sources: what a channel can observe, without what a binding adds. Plans without a
// selector are left out.
func selectorsOnly(set *plan.Set) *plan.Set {
	out := &plan.Set{Schema: set.Schema}
	for _, p := range set.Plans {
		q := *p
		q.Kind, q.Hunt, q.Correlation = plan.KindSelector, true, plan.Correlation{}
		q.Channels = nil
		for _, ch := range p.Channels {
			if ch.Selector == "" {
				continue
			}
			cc := *ch
			cc.Predicate, cc.Selects, cc.SeriesBy = "", plan.SelectsContent, nil
			q.Channels = append(q.Channels, &cc)
		}
		if len(q.Channels) > 0 {
			out.Plans = append(out.Plans, &q)
		}
	}
	return out
}
