package pump

import (
	"context"

	"github.com/stixcel/stixcel/event"
)

// ReadAll reads the files (or directories) named as `stixcel run` reads them, Open and a batch
// Run, and returns every event in event time: what the tester and tests take whole, such as
// SigmaHQ's regression events. decoder is Options.Decoder. A rejected line (a damaged EVTX
// record, a line of no event) stops the read: its *event.Rejection, naming file and line, is
// the error.
func ReadAll(ctx context.Context, names []string, decoder func() event.Decoder) ([]*event.Event, error) {
	opened, err := Open(ctx, names, OpenOptions{})
	if err != nil {
		return nil, err
	}
	defer opened.Close()
	var events []*event.Event
	opts := Options{Decoder: decoder, Batch: true, ReadAhead: -1,
		Merge: event.MergeOptions{Lateness: event.DefaultLateness, MaxHeld: event.DefaultBatchHeld}}
	_, err = Run(ctx, opened.Inputs, opts, Handler{
		Event:    func(_ context.Context, ev *event.Event) error { events = append(events, ev); return nil },
		Rejected: func(_ context.Context, rej *event.Rejection) error { return rej },
	})
	return events, err
}
