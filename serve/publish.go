package serve

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/stixcel/stixcel/event"
	"github.com/stixcel/stixcel/pump"
	"github.com/stixcel/stixcel/source"
)

// Input is one named source of event lines for Publish (Name is cited in the Stixcel-Source
// header, as `stixcel run` cites files).
type Input = pump.Input

// PublishOptions tune Publish; the zero value publishes normalized events with the
// defaults of `stixcel run`.
type PublishOptions struct {
	Profile  *source.Profile // nil: normalized events
	Lateness time.Duration   // default event.DefaultLateness
	MaxAhead time.Duration   // default event.DefaultMaxAhead
	// Rejected, when set, notes each line parked on the rejects subject (a caller's hints).
	Rejected func(*event.Rejection)
	// Messages, when set, receives run's "rejected: file:line: reason" lines, capped per
	// reason (pump.Options.Messages).
	Messages io.Writer
}

// Publish loads inputs into the events stream merged in event time exactly as `stixcel run`
// merges them (package pump: so the stream is in the order run evaluates, and stage 2 never
// sees more disorder than one file had): each line is published verbatim with its file:line
// in headers, and each line run would reject (bad, late, out of range) is parked on the
// rejects subject with its reason. It returns the merged read counts.
func Publish(ctx context.Context, js jetstream.JetStream, n Names, opts PublishOptions, inputs ...Input) (event.ReadStats, error) {
	n = n.withDefaults()
	capture := &captured{lines: map[*event.Event][]byte{}}
	pumpOpts := pump.Options{
		Decoder: func() event.Decoder {
			var dec event.Decoder = event.Normalized{}
			if opts.Profile != nil {
				dec = source.NewDecoder(opts.Profile)
			}
			return &captureDecoder{inner: dec, c: capture}
		},
		Merge:     event.MergeOptions{Lateness: opts.Lateness, MaxAhead: opts.MaxAhead},
		ReadAhead: -1, // the decoder's captured lines are not safe for a reader ahead
		Messages:  opts.Messages,
	}
	var futures []jetstream.PubAckFuture
	var publishErr error // the error of publishing, not of reading
	publish := func(ctx context.Context, m *nats.Msg) error {
		f, err := js.PublishMsgAsync(m, jetstream.WithMsgID(m.Header.Get(HeaderSource)+":"+m.Header.Get(HeaderLine)))
		if err != nil {
			publishErr = fmt.Errorf("serve: publish to %s: %w", m.Subject, err)
			return publishErr
		}
		if futures = append(futures, f); len(futures) >= 1024 {
			if publishErr = settle(ctx, js, futures); publishErr != nil {
				return publishErr
			}
			futures = futures[:0]
		}
		return nil
	}
	sum, err := pump.Run(ctx, inputs, pumpOpts, pump.Handler{
		Event: func(ctx context.Context, ev *event.Event) error {
			return publish(ctx, rejectMsgOr(n, nil, ev, capture))
		},
		Rejected: func(ctx context.Context, rej *event.Rejection) error {
			if opts.Rejected != nil {
				opts.Rejected(rej)
			}
			return publish(ctx, rejectMsgOr(n, rej, nil, capture))
		},
	})
	switch {
	case err != nil && err == publishErr:
		return sum.Stats, err
	case err != nil:
		return sum.Stats, fmt.Errorf("serve: publish: %w", err)
	}
	if err := settle(ctx, js, futures); err != nil {
		return sum.Stats, err
	}
	return sum.Stats, ctx.Err()
}

// settle waits for the PubAcks of futures and publishes again, synchronously and with
// retries, each message whose publish failed (a leader election, a server restarting); its
// Nats-Msg-Id (file:line) makes a message that was stored after all a duplicate.
func settle(ctx context.Context, js jetstream.JetStream, futures []jetstream.PubAckFuture) error {
	for _, f := range futures {
		select {
		case <-f.Ok():
			continue
		case <-f.Err():
		case <-time.After(pubTimeout):
		}
		m := f.Msg()
		id := m.Header.Get(HeaderSource) + ":" + m.Header.Get(HeaderLine)
		var err error
		for attempt := 0; attempt < 20 && ctx.Err() == nil; attempt++ {
			if _, err = js.PublishMsg(ctx, m, jetstream.WithMsgID(id)); err == nil {
				break
			}
			sleep(ctx, time.Duration(attempt+1)*100*time.Millisecond)
		}
		if err != nil {
			return fmt.Errorf("serve: publish to %s: %w", m.Subject, err)
		}
	}
	return nil
}

// rejectMsgOr is the message of a rejection, or of an event's line.
func rejectMsgOr(n Names, rej *event.Rejection, ev *event.Event, c *captured) *nats.Msg {
	if rej != nil {
		return rejectMsg(n.RejectsSubject(), rej)
	}
	line := c.lines[ev]
	delete(c.lines, ev)
	return lineMsg(n.EventsSubject(), line, ev.Source, ev.Line)
}

// captured keeps each decoded event's line until it is published (the merger holds events
// for the lateness; a rejected event's line is in its Rejection).
type captured struct {
	lines map[*event.Event][]byte
}

// captureDecoder decodes through inner and keeps a copy of each event's line.
type captureDecoder struct {
	inner event.Decoder
	c     *captured
}

func (d *captureDecoder) Decode(line []byte) (*event.Event, *event.Invalid) {
	ev, bad := d.inner.Decode(line)
	if ev != nil {
		d.c.lines[ev] = append([]byte(nil), line...)
	}
	return ev, bad
}
