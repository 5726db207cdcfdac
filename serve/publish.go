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
	// MaxWait is how long the first line of a message not yet full waits for more when an
	// input is live (not a regular file): the message is published then (default
	// DefaultMaxWait).
	MaxWait time.Duration
}

// Publish loads inputs into the events stream merged in event time exactly as `stixcel run`
// merges them (package pump: so the stream is in the order run evaluates, and stage 2 never
// sees more disorder than one file had): the lines are published verbatim, packed in that
// order into messages of up to MaxLines lines with each line's file:line in headers (a
// message goes when full, at the end, and, when an input is live, once its first line has
// waited MaxWait), and each line run would reject (bad, late, out of range) is parked on
// the rejects subject with its reason. It returns the merged read counts.
func Publish(ctx context.Context, js jetstream.JetStream, n Names, opts PublishOptions, inputs ...Input) (event.ReadStats, error) {
	n = n.withDefaults()
	capture := &captured{lines: map[*event.Event]string{}}
	pumpOpts := pump.Options{
		Decoder: func() event.Decoder {
			var dec event.Decoder = event.Normalized{}
			if opts.Profile != nil {
				dec = source.NewDecoder(opts.Profile)
			}
			if sd, ok := dec.(event.StringDecoder); ok {
				return &captureStringDecoder{captureDecoder: captureDecoder{inner: dec, c: capture}, strings: sd}
			}
			return &captureDecoder{inner: dec, c: capture}
		},
		Merge:    event.MergeOptions{Lateness: opts.Lateness, MaxAhead: opts.MaxAhead},
		Messages: opts.Messages,
	}
	pub := &publisher{win: &pubWindow{js: js},
		pack: newPacker(n.EventsSubject(), cmp.Or(opts.MaxLines, DefaultMaxLines), maxBytes(opts.MaxBytes, js.Conn().MaxPayload()))}
	stopFlushing := func() {}
	if live(inputs) {
		stopFlushing = pub.flushEvery(ctx, cmp.Or(opts.MaxWait, DefaultMaxWait))
	}
	sum, err := pump.Run(ctx, inputs, pumpOpts, pump.Handler{
		Event: func(ctx context.Context, ev *event.Event) error {
			return pub.add(ctx, capture.take(ev), ev.Source, ev.Line)
		},
		Idle: pub.flush,
		Rejected: func(ctx context.Context, rej *event.Rejection) error {
			if opts.Rejected != nil {
				opts.Rejected(rej)
			}
			return pub.publish(ctx, rejectMsg(n.RejectsSubject(), rej), lineID(rej.File, rej.Line), 1)
		},
	})
	stopFlushing()
	switch {
	case err != nil && err == pub.failed():
		return sum.Stats, err
	case err != nil:
		return sum.Stats, fmt.Errorf("serve: publish: %w", err)
	}
	if err := pub.flush(ctx); err != nil {
		return sum.Stats, err
	}
	if err := pub.win.settle(ctx, 0, 0); err != nil {
		return sum.Stats, err
	}
	return sum.Stats, ctx.Err()
}

// DefaultMaxWait is how long a line of a live input waits, by default, for its message to
// fill (PublishOptions.MaxWait).
const DefaultMaxWait = time.Second

// live reports whether an input is not a regular file (stdin, a FIFO): its lines may come
// slowly.
func live(inputs []Input) bool {
	for _, in := range inputs {
		if !in.Regular {
			return true
		}
	}
	return false
}

// publisher packs event lines into messages and publishes them through a window; a flusher
// goroutine may publish a message not yet full, hence the lock.
type publisher struct {
	mu      sync.Mutex
	win     *pubWindow
	pack    *packer
	started time.Time // when the message in progress got its first line
	err     error     // the first error of publishing, not of reading
}

// add packs a line, publishing the message it completes.
func (p *publisher) add(ctx context.Context, line, src string, n int) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.pack.lines == 0 {
		p.started = time.Now()
	}
	m, id, lines := p.pack.add(line, src, n)
	return p.publishLocked(ctx, m, id, lines)
}

// flush publishes the message in progress, if any.
func (p *publisher) flush(ctx context.Context) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	m, id, lines := p.pack.take()
	return p.publishLocked(ctx, m, id, lines)
}

// publish publishes m, of lines lines, with message id id (a parked line).
func (p *publisher) publish(ctx context.Context, m *nats.Msg, id string, lines int) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.publishLocked(ctx, m, id, lines)
}

func (p *publisher) publishLocked(ctx context.Context, m *nats.Msg, id string, lines int) error {
	if p.err != nil {
		return p.err
	}
	if m == nil {
		return nil
	}
	p.err = p.win.publish(ctx, m, id, lines)
	return p.err
}

// failed is the error publishing failed with, if any.
func (p *publisher) failed() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.err
}

// flushEvery publishes, until stop is called, the message in progress once its first line
// has waited maxWait: a live input's lines are not held until a thousand come. (A regular
// file's messages fill at once: their packing, and so their ids, do not depend on time.)
func (p *publisher) flushEvery(ctx context.Context, maxWait time.Duration) (stop func()) {
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(max(maxWait/4, time.Millisecond))
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
			p.mu.Lock()
			if p.pack.lines > 0 && time.Since(p.started) >= maxWait {
				m, id, lines := p.pack.take()
				_ = p.publishLocked(ctx, m, id, lines) // kept in p.err for the next add
			}
			p.mu.Unlock()
		}
	}()
	return func() { cancel(); <-done }
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

// pubWindow publishes asynchronously with at most pubWindowSize PubAcks, and messages of
// at most pubWindowLines lines, outstanding: a sliding window, so reading and decoding go
// on while the server stores what came before (waiting for a whole block of PubAcks at a
// time stalled the reader once per block). The lines bound the disorder a failed publish
// leaves in the stream: what was published after it may be stored before it is again.
type pubWindow struct {
	js      jetstream.JetStream
	pending []pending // oldest first
	lines   int       // the lines of the pending messages
}

// pending is a published message whose PubAck is awaited.
type pending struct {
	future   jetstream.PubAckFuture
	id       string // its message id
	lines    int
	deadline time.Time // past it, the publish is taken as failed
}

// pubWindowSize bounds the PubAcks Publish awaits at a time (nats.go allows 4,000).
const pubWindowSize = 1024

// pubWindowLines bounds the lines of the messages whose PubAcks Publish awaits (but for a
// message of more lines, alone): about a message of DefaultMaxLines, as many lines as
// were outstanding when a message held one.
const pubWindowLines = 1024

// publish publishes m, of lines event lines, with message id id, after settling the oldest
// PubAcks while the window is full, and the ones already back.
func (w *pubWindow) publish(ctx context.Context, m *nats.Msg, id string, lines int) error {
	if err := w.settle(ctx, pubWindowSize-1, pubWindowLines-lines); err != nil {
		return err
	}
	f, err := w.js.PublishMsgAsync(m, jetstream.WithMsgID(id))
	if err != nil {
		return fmt.Errorf("serve: publish to %s: %w", m.Subject, err)
	}
	w.pending = append(w.pending, pending{future: f, id: id, lines: lines, deadline: time.Now().Add(pubTimeout)})
	w.lines += lines
	return nil
}

// settle takes the PubAcks that are back off the front of the window, and waits for the
// oldest until at most keep messages of at most keepLines lines are outstanding. A message
// whose publish failed (a leader election, a server restarting), or whose PubAck did not
// come within pubTimeout of its publishing, is published again, synchronously and with
// retries; its Nats-Msg-Id makes a message that was stored after all a duplicate.
func (w *pubWindow) settle(ctx context.Context, keep, keepLines int) error {
	done := 0
	defer func() {
		clear(w.pending[:done])
		w.pending = w.pending[done:]
	}()
	for ; done < len(w.pending); done++ {
		p := w.pending[done]
		if len(w.pending)-done <= keep && w.lines <= keepLines {
			select {
			case <-p.future.Ok():
				w.lines -= p.lines
				continue
			default:
				return nil // the oldest is not back: neither are most after it
			}
		}
		timeout := time.NewTimer(time.Until(p.deadline))
		select {
		case <-p.future.Ok():
		case <-p.future.Err():
			timeout.Stop()
			if err := republish(ctx, w.js, p.future.Msg(), p.id); err != nil {
				return err
			}
		case <-timeout.C:
			if err := republish(ctx, w.js, p.future.Msg(), p.id); err != nil {
				return err
			}
		}
		timeout.Stop()
		w.lines -= p.lines
	}
	return nil
}

// republish publishes m again, synchronously, retrying for a while.
func republish(ctx context.Context, js jetstream.JetStream, m *nats.Msg, id string) error {
	var err error
	var opts []jetstream.PublishOpt
	if id != "" {
		opts = append(opts, jetstream.WithMsgID(id))
	}
	for attempt := 0; attempt < 20 && ctx.Err() == nil; attempt++ {
		if _, err = js.PublishMsg(ctx, m, opts...); err == nil {
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

// keep remembers line as the line of ev, unless ev is backed by it.
func (c *captured) keep(ev *event.Event, line string) {
	if ev == nil || ev.Raw() == line {
		return
	}
	c.mu.Lock()
	c.lines[ev] = line
	c.mu.Unlock()
}

// captureDecoder decodes through inner and keeps a copy of the line of each event that is
// not backed by it.
type captureDecoder struct {
	inner event.Decoder
	c     *captured
}

// captureStringDecoder is a captureDecoder over a StringDecoder, so that a chunked Reader
// (a regular file's) hands it lines that its events may keep, without a copy.
type captureStringDecoder struct {
	captureDecoder
	strings event.StringDecoder
}

func (d *captureStringDecoder) DecodeString(line string) (*event.Event, *event.Invalid) {
	ev, bad := d.strings.DecodeString(line)
	d.c.keep(ev, line) // the chunk's: never written
	return ev, bad
}

func (d *captureDecoder) Decode(line []byte) (*event.Event, *event.Invalid) {
	ev, bad := d.inner.Decode(line)
	if ev != nil && ev.Raw() != string(line) { // a copy only for a line it must keep
		d.c.keep(ev, string(line))
	}
	return ev, bad
}
