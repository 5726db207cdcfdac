package serve

import (
	"context"
	"fmt"
	"io"

	"github.com/nats-io/nats.go/jetstream"
)

// Alerts writes the alert stream to w as JSON lines, the format of `stixcel run`, from its
// start. Without follow it stops once it has written every alert stored when it started;
// with follow it waits for more until ctx is done.
func Alerts(ctx context.Context, js jetstream.JetStream, n Names, follow bool, w io.Writer) error {
	n = n.withDefaults()
	st, err := js.Stream(ctx, n.AlertsStream())
	if err != nil {
		return fmt.Errorf("serve: alerts: stream %s: %w", n.AlertsStream(), err)
	}
	info, err := st.Info(ctx)
	if err != nil {
		return fmt.Errorf("serve: alerts: %w", err)
	}
	last := info.State.LastSeq
	if !follow && info.State.Msgs == 0 {
		return nil
	}
	cons, err := st.OrderedConsumer(ctx, jetstream.OrderedConsumerConfig{DeliverPolicy: jetstream.DeliverAllPolicy})
	if err != nil {
		return fmt.Errorf("serve: alerts: %w", err)
	}
	for ctx.Err() == nil {
		batch, err := cons.Fetch(256, jetstream.FetchMaxWait(fetchWait))
		if err != nil {
			return nilIfDone(ctx, fmt.Errorf("serve: alerts: %w", err))
		}
		for msg := range batch.Messages() {
			if _, err := fmt.Fprintf(w, "%s\n", msg.Data()); err != nil {
				return fmt.Errorf("serve: alerts: write: %w", err)
			}
			md, err := msg.Metadata()
			if err == nil && !follow && md.Sequence.Stream >= last {
				return nil
			}
		}
	}
	return nil
}

// nilIfDone is nil when ctx is done (the error came from stopping), else err.
func nilIfDone(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return nil
	}
	return err
}
