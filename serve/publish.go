package serve

import (
	"cmp"
	"context"
	"fmt"
	"io"
	"strconv"
	"sync"
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
// defaults of `stixcel run`, but for the lateness.
type PublishOptions struct {
	Profile *source.Profile // nil: normalized events
	// Lateness is how far out of order each input may be; 0 requires each input sorted
	// (`stixcel publish` passes --lateness, by default event.DefaultLateness).
	Lateness time.Duration
	MaxAhead time.Duration // default event.DefaultMaxAhead
	// Rejected, when set, notes each line parked on the rejects subject (a caller's hints).
	Rejected func(*event.Rejection)
	// Messages, when set, receives run's "rejected: file:line: reason" lines, capped per
	// reason (pump.Options.Messages).
	Messages io.Writer
	// MaxLines and MaxBytes bound each message of the events stream: at most MaxLines event
	// lines (default DefaultMaxLines; 1: a message per line) and MaxBytes bytes, headers
	// included (default DefaultMaxBytes, and never over the server's maximum payload).
	MaxLines int
	MaxBytes int64
}

// Publish loads inputs into the events stream merged in event time exactly as `stixcel run`
// merges them (package pump: so the stream is in the order run evaluates, and stage 2 never
// sees more disorder than one file had): the lines are published verbatim, packed in that
// order into messages of up to MaxLines lines with each line's file:line in headers (a
// message is flushed when full, at the end, and when a live input idles), and each line run
// would reject (bad, late, out of range) is parked on the rejects subject with its reason.
// It returns the merged read counts.
func Publish(ctx context.Context, js jetstream.JetStream, n Names, opts PublishOptions, inputs ...Input) (event.ReadStats, error) {
	n = n.withDefaults()
	capture := &captured{lines: map[*event.Event]string{}}
	pumpOpts := pump.Options{
		Decoder: func() event.Decoder {
			var dec event.Decoder = event.Normalized{}
			if opts.Profile != nil {
				dec = source.NewDecoder(opts.Profile)
			}
			return &captureDecoder{inner: dec, c: capture}
		},
		Merge:    event.MergeOptions{Lateness: opts.Lateness, MaxAhead: opts.MaxAhead},
		Messages: opts.Messages,
	}
	win := &pubWindow{js: js}
	var publishErr error // the error of publishing, not of reading
	publish := func(ctx context.Context, m *nats.Msg, id string) error {
		if m == nil {
			return nil
		}
		publishErr = win.publish(ctx, m, id)
		return publishErr
	}
	pack := newPacker(n.EventsSubject(), cmp.Or(opts.MaxLines, DefaultMaxLines), maxBytes(opts.MaxBytes, js.Conn().MaxPayload()))
	sum, err := pump.Run(ctx, inputs, pumpOpts, pump.Handler{
		Event: func(ctx context.Context, ev *event.Event) error {
			m, id := pack.add(capture.take(ev), ev.Source, ev.Line)
			return publish(ctx, m, id)
		},
		Idle: func(ctx context.Context) error {
			m, id := pack.take()
			return publish(ctx, m, id)
		},
		Rejected: func(ctx context.Context, rej *event.Rejection) error {
			if opts.Rejected != nil {
				opts.Rejected(rej)
			}
			return publish(ctx, rejectMsg(n.RejectsSubject(), rej), lineID(rej.File, rej.Line))
		},
	})
	switch {
	case err != nil && err == publishErr:
		return sum.Stats, err
	case err != nil:
		return sum.Stats, fmt.Errorf("serve: publish: %w", err)
	}
	if m, id := pack.take(); m != nil {
		if err := publish(ctx, m, id); err != nil {
			return sum.Stats, err
		}
	}
	if err := win.settle(ctx, 0); err != nil {
		return sum.Stats, err
	}
	return sum.Stats, ctx.Err()
}

// maxBytes is the size bound of a message of several lines: want (default DefaultMaxBytes),
// at most the server's maximum payload (when known).
func maxBytes(want, maxPayload int64) int64 {
	want = cmp.Or(want, DefaultMaxBytes)
	if maxPayload > 0 {
		want = min(want, maxPayload)
	}
	return want
}

// lineID is the Nats-Msg-Id of a published line: its file:line, so that publishing a file
// again stores nothing twice within the events stream's duplicate window.
func lineID(src string, line int) string { return src + ":" + strconv.Itoa(line) }

// pubWindow publishes asynchronously with at most pubWindowSize PubAcks outstanding: a
// sliding window, so reading and decoding go on while the server stores what came before
// (waiting for a whole block of PubAcks at a time stalled the reader once per block).
type pubWindow struct {
	js      jetstream.JetStream
	futures []jetstream.PubAckFuture // oldest first
	ids     []string                 // their message ids
}

// pubWindowSize bounds the PubAcks Publish awaits at a time (nats.go allows 4,000).
const pubWindowSize = 1024

// publish publishes m with message id id, after settling the oldest PubAcks while the
// window is full, and the ones already back.
func (w *pubWindow) publish(ctx context.Context, m *nats.Msg, id string) error {
	if err := w.settle(ctx, pubWindowSize-1); err != nil {
		return err
	}
	f, err := w.js.PublishMsgAsync(m, jetstream.WithMsgID(id))
	if err != nil {
		return fmt.Errorf("serve: publish to %s: %w", m.Subject, err)
	}
	w.futures, w.ids = append(w.futures, f), append(w.ids, id)
	return nil
}

// settle takes the PubAcks that are back off the front of the window, and waits for the
// oldest until at most keep are outstanding. A message whose publish failed (a leader
// election, a server restarting) is published again, synchronously and with retries; its
// Nats-Msg-Id (file:line) makes a message that was stored after all a duplicate.
func (w *pubWindow) settle(ctx context.Context, keep int) error {
	done := 0
	defer func() {
		clear(w.futures[:done])
		w.futures, w.ids = w.futures[done:], w.ids[done:]
	}()
	var timeout <-chan time.Time
	for ; done < len(w.futures); done++ {
		f := w.futures[done]
		if len(w.futures)-done <= keep {
			select {
			case <-f.Ok():
				continue
			default:
				return nil // the oldest is not back: neither are most after it
			}
		}
		if timeout == nil {
			timeout = time.After(pubTimeout)
		}
		select {
		case <-f.Ok():
			continue
		case <-f.Err():
		case <-timeout:
		}
		if err := republish(ctx, w.js, f.Msg(), w.ids[done]); err != nil {
			return err
		}
	}
	return nil
}

// republish publishes m again, synchronously, retrying for a while.
func republish(ctx context.Context, js jetstream.JetStream, m *nats.Msg, id string) error {
	var err error
	for attempt := 0; attempt < 20 && ctx.Err() == nil; attempt++ {
		if _, err = js.PublishMsg(ctx, m, jetstream.WithMsgID(id)); err == nil {
			return nil
		}
		sleep(ctx, time.Duration(attempt+1)*100*time.Millisecond)
	}
	if err == nil {
		err = ctx.Err()
	}
	return fmt.Errorf("serve: publish to %s: %w", m.Subject, err)
}

// captured keeps the line of each decoded event that is not backed by its line (a
// raw-backed event's text is its line) until it is published: the merger holds events for
// the lateness, and the pump decodes ahead of the publisher, on a goroutine of its own.
type captured struct {
	mu    sync.Mutex
	lines map[*event.Event]string
}

// take returns ev's line and forgets it.
func (c *captured) take(ev *event.Event) string {
	c.mu.Lock()
	line, ok := c.lines[ev]
	if ok {
		delete(c.lines, ev)
	}
	c.mu.Unlock()
	if ok {
		return line
	}
	return ev.Raw()
}

// captureDecoder decodes through inner and keeps a copy of the line of each event that is
// not backed by it.
type captureDecoder struct {
	inner event.Decoder
	c     *captured
}

func (d *captureDecoder) Decode(line []byte) (*event.Event, *event.Invalid) {
	ev, bad := d.inner.Decode(line)
	if ev != nil && ev.Raw() != string(line) {
		d.c.mu.Lock()
		d.c.lines[ev] = string(line)
		d.c.mu.Unlock()
	}
	return ev, bad
}
