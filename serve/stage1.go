package serve

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	goruntime "runtime"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/stixcel/stixcel/alertfmt"
	"github.com/stixcel/stixcel/event"
	"github.com/stixcel/stixcel/plan"
	"github.com/stixcel/stixcel/runtime"
	"github.com/stixcel/stixcel/source"
)

// Stage1 is a stateless worker: any number of them share one durable pull consumer of the
// events stream.
type Stage1 struct {
	JS      jetstream.JetStream
	Names   Names
	Set     *plan.Set
	Profile *source.Profile  // nil: normalized events
	Options []runtime.Option // engine limits (max iterations, ...); workers stay 1
	Durable string           // the shared consumer; default "<prefix>-stage1"
	Batch   int              // messages fetched at a time (at most a maximum payload of them); default 256
	AckWait time.Duration    // how long an unacked event waits before redelivery (a crashed worker's); default 40s
	// MaxAhead is how far an event may be ahead of the time the events stream stored it
	// (`run`'s --max-ahead); default event.DefaultMaxAhead. A later or pre-1970 event is
	// parked as out of range and evaluated by neither stage.
	MaxAhead time.Duration
	// InFlight is how many messages the shared consumer delivers to all stage-1 instances
	// before they are acked (its MaxAckPending); default 1. With 1 the events stream is
	// evaluated in its order, one message at a time, whichever instance takes each, so that
	// the matches reach stage 2 in that order even when an instance fails or crashes (its
	// message comes again before any later one). More lets instances work in parallel, and
	// a collector's one-line messages pipeline, but a message sent back, or whose instance
	// stalls, then comes behind later ones: when they are later in event time by more than
	// the lateness, its matches are parked as late (a fast backfill of old files).
	InFlight int
	// Workers is how many goroutines evaluate the lines of a message, each with an engine
	// forked from one build (runtime.Engine.Fork); default GOMAXPROCS. The outputs are
	// published in the order of the lines whatever the number.
	Workers int
	Metrics *Metrics // may be nil
	// Build, when set, is what the lanes' engines fork from (shared with stage 2 in one
	// process); nil: Run builds the plans of Set.
	Build *Build
}

// fetchWait is how long a fetch waits for messages: also how soon Run sees ctx end.
const fetchWait = 500 * time.Millisecond

// pubTimeout bounds the wait for the PubAcks of one batch.
const pubTimeout = 30 * time.Second

// Run consumes events until ctx is done; the batch in hand is finished and acked first
// (graceful drain), so a stop loses nothing and redelivers nothing.
func (s *Stage1) Run(ctx context.Context) (err error) {
	s.Names = s.Names.withDefaults()
	if s.Metrics == nil {
		s.Metrics = &Metrics{}
	}
	ready, done := running(&s.Metrics.ready.stage1)
	defer func() { done(err) }()
	build := s.Build
	if build == nil {
		build = &Build{Set: s.Set, Options: s.Options}
	}
	lanes, err := newLanes(build, s.Profile, cmp.Or(s.Workers, goruntime.GOMAXPROCS(0)))
	if err != nil {
		return fmt.Errorf("serve: stage 1: %w", err)
	}
	cons, err := s.consumer(ctx)
	if err != nil {
		return err
	}
	w := &stage1Worker{Stage1: s, lanes: lanes, maxPayload: s.JS.Conn().MaxPayload()}
	ready()
	for ctx.Err() == nil {
		batch, err := cons.Fetch(cmp.Or(s.Batch, 256), jetstream.FetchMaxWait(fetchWait), jetstream.FetchMaxBytes(w.fetchBytes()))
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return fmt.Errorf("serve: stage 1: fetch: %w", err)
		}
		if err := w.batch(ctx, batch); err != nil {
			if ctx.Err() != nil {
				return nil // stopped while its PubAcks were awaited: nothing was acknowledged
			}
			return err
		}
	}
	return nil
}

// fetchBytes bounds the bytes of a fetch to one message of the server's maximum payload
// (headers and subject included; a message over the bound would never be delivered). A
// message may hold a thousand lines: with more than one in flight, a worker fetching
// hundreds held them all unacked, and ran that far ahead of the others in event time.
func (w *stage1Worker) fetchBytes() int {
	return int(cmp.Or(w.maxPayload, DefaultMaxBytes) + 64<<10)
}

// consumer creates or binds the shared durable consumer.
func (s *Stage1) consumer(ctx context.Context) (jetstream.Consumer, error) {
	durable := s.Durable
	if durable == "" {
		durable = s.Names.stage1Durable()
	}
	ackWait := s.AckWait
	if ackWait <= 0 {
		ackWait = pubTimeout + 10*time.Second
	}
	cons, err := s.JS.CreateOrUpdateConsumer(ctx, s.Names.EventsStream(), jetstream.ConsumerConfig{
		Durable: durable, AckPolicy: jetstream.AckExplicitPolicy, AckWait: ackWait,
		MaxAckPending: cmp.Or(s.InFlight, 1), DeliverPolicy: jetstream.DeliverAllPolicy,
	})
	if err != nil {
		return nil, fmt.Errorf("serve: stage 1: consumer %s: %w", durable, err)
	}
	return cons, nil
}

// stage1Worker is one Stage1's engines and scratch.
type stage1Worker struct {
	*Stage1
	lanes      []*lane
	maxPayload int64 // the server's maximum payload, headers included
	lines      []msgLine
	results    []lineResult
	msgs       []jetstream.Msg          // handled, not yet acked
	handled    int64                    // the event lines msgs held
	futures    []jetstream.PubAckFuture // what msgs produced
}

// lane evaluates lines of a message on a goroutine of its own: an engine forked from the
// worker's build, and a decoder (a source profile's is not safe for concurrent use).
type lane struct {
	eng *runtime.Engine
	dec *decoder
}

// newLanes makes n lanes with engines forked from build.
func newLanes(build *Build, profile *source.Profile, n int) ([]*lane, error) {
	lanes := make([]*lane, max(n, 1))
	for i := range lanes {
		eng, err := build.Fork()
		if err != nil {
			return nil, err
		}
		lanes[i] = &lane{eng: eng, dec: newDecoder(profile)}
	}
	return lanes, nil
}

// lineResult is what evaluating one line of a message gave: its event (with the alerts of
// plans without a condition and the matches of plans with one) or its rejection.
type lineResult struct {
	l    decoded
	outs []runtime.Output
	ms   []runtime.Match
	err  error
}

// batch handles a fetched batch as its messages arrive. The messages handled so far are
// settled — every output's PubAck awaited, then each message acked — whenever the batch
// pauses (no message ready), and at its end: a batch that fills slowly holds nothing back
// until it expires, and a backlog is settled in runs, one PubAck wait per run, not per
// event. An output whose publish fails (a server restarting, a leader election) is
// published again in place, and the messages handled are settled before a fetch error is
// returned: a message sent back to the stream comes again after the other workers have
// moved on, and with a thousand lines a message its matches then came later than the
// lateness. Only when publishing again fails are the unsettled messages not acked (nak'd,
// so they come again; what was stored is dropped as a duplicate by its Nats-Msg-Id).
func (w *stage1Worker) batch(ctx context.Context, b jetstream.MessageBatch) error {
	w.msgs, w.futures, w.handled = w.msgs[:0], w.futures[:0], 0
	in := b.Messages()
	for {
		var msg jetstream.Msg
		var ok bool
		select {
		case msg, ok = <-in:
		default:
			if err := w.settle(ctx); err != nil {
				return err
			}
			msg, ok = <-in
		}
		if !ok {
			break
		}
		w.msgs = append(w.msgs, msg)
		if err := w.handle(msg); err != nil {
			nakAll(w.msgs)
			return err
		}
	}
	if err := w.settle(ctx); err != nil {
		return err
	}
	if err := b.Error(); err != nil && !errors.Is(err, nats.ErrTimeout) && !errors.Is(err, jetstream.ErrNoMessages) {
		return fmt.Errorf("serve: stage 1: fetch: %w", err)
	}
	return nil
}

// settle awaits the PubAcks of what the messages in hand produced, then acks them.
func (w *stage1Worker) settle(ctx context.Context) error {
	if len(w.msgs) == 0 {
		return nil
	}
	if err := awaitRepublishing(ctx, w.JS, w.futures); err != nil {
		nakAll(w.msgs)
		return fmt.Errorf("serve: stage 1: %w", err)
	}
	for _, m := range w.msgs {
		if err := w.ack(m); err != nil {
			return fmt.Errorf("serve: stage 1: ack: %w", err)
		}
	}
	w.Metrics.EventsIn.Add(w.handled)
	w.handled = 0
	clear(w.msgs)
	w.msgs, w.futures = w.msgs[:0], w.futures[:0]
	return nil
}

// handle decodes the event lines of one message and evaluates them, on the worker's lanes
// side by side, then alerts for plans without a condition and publishes the matches of plans
// with one (asynchronously: batch awaits them), in the order of the lines. A line that is
// bad, or whose time is out of range, is parked instead, and the lines after it go on; so is
// a match or an alert too large to publish.
func (w *stage1Worker) handle(msg jetstream.Msg) error {
	md, err := msg.Metadata()
	if err != nil {
		return fmt.Errorf("serve: stage 1: metadata: %w", err)
	}
	seq := md.Sequence.Stream
	w.lines = splitLines(w.lines[:0], msg, seq)
	defer clear(w.lines)
	w.evaluate(md.Timestamp)
	defer clear(w.results)
	stored := md.Timestamp.UTC().Format(time.RFC3339Nano)
	for i := range w.results {
		r := &w.results[i]
		if r.err != nil {
			ml := w.lines[i]
			return fmt.Errorf("serve: stage 1: %s:%d: %w", ml.src, ml.line, r.err)
		}
		w.handled++
		if err := w.publishLine(r, lineKey(seq, i, len(w.results)), stored); err != nil {
			return err
		}
	}
	return nil
}

// laneBlock is how many consecutive lines of a message a lane takes at a time; a message of
// fewer than two blocks is evaluated on one lane.
const laneBlock = 16

// evaluate fills w.results with the evaluation of each of w.lines, stored when the events
// stream stored their message, sharing the lines between the lanes.
func (w *stage1Worker) evaluate(stored time.Time) {
	n := len(w.lines)
	w.results = slices.Grow(w.results[:0], n)[:n]
	if len(w.lanes) == 1 || n < 2*laneBlock {
		for i := range n {
			w.lanes[0].evaluate(w, i, stored)
		}
		return
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	for _, ln := range w.lanes {
		wg.Go(func() {
			for {
				lo := int(next.Add(laneBlock)) - laneBlock
				if lo >= n {
					return
				}
				for i := lo; i < min(lo+laneBlock, n); i++ {
					ln.evaluate(w, i, stored)
				}
			}
		})
	}
	wg.Wait()
}

// evaluate decodes line i of the worker's message and evaluates it into its result.
func (ln *lane) evaluate(w *stage1Worker, i int, stored time.Time) {
	r := &w.results[i]
	l := ln.dec.decodeLine(w.lines[i])
	if l.rej == nil {
		l.rej = outOfRange(l.ev, stored, l.text, w.MaxAhead, w.Metrics)
	}
	r.l = l
	if l.rej != nil {
		return
	}
	r.ms, r.err = ln.eng.Split(context.Background(), l.ev, func(o runtime.Output) { r.outs = append(r.outs, o) }, nil)
}

// lineKey names line i of the n lines of the message at stream sequence seq in the message
// ids of what the line produces: "<seq>" for a message of one line (the ids of one line per
// message), "<seq>.<i>" otherwise; a redelivered message produces the same ids.
func lineKey(seq uint64, i, n int) string {
	key := strconv.FormatUint(seq, 10)
	if n > 1 {
		key += "." + strconv.Itoa(i)
	}
	return key
}

// publishLine publishes what one line of a message gave, key its lineKey: its rejection, or
// its alerts then its matches (stamped with storedText, when the events stream stored it).
func (w *stage1Worker) publishLine(r *lineResult, key, storedText string) error {
	l := r.l
	if l.rej != nil {
		return w.park(l.rej, w.Names.EventsStream()+"."+key)
	}
	for _, o := range r.outs {
		if err := w.publishAlert(o, l.ev); err != nil {
			return err
		}
	}
	for _, m := range r.ms {
		out := lineMsg(w.Names.matchSubject(m.Plan, m.Key), l.text, l.ev.Source, l.ev.Line)
		out.Header.Set(HeaderStored, storedText)
		if err := w.publishMatch(out, key+"."+m.Plan, l.ev); err != nil {
			return err
		}
	}
	return nil
}

// outOfRange is the rejection of ev when its time is out of range against stored, when the
// events stream stored it (`run`'s rule, with the stream's clock for the input's: a verdict
// every replay repeats), counted in m; nil when it is in range.
func outOfRange(ev *event.Event, stored time.Time, raw []byte, maxAhead time.Duration, m *Metrics) *event.Rejection {
	detail := event.OutOfRange(ev.Time, stored, "the time the events stream stored it", maxAhead)
	if detail == "" {
		return nil
	}
	m.OutOfRange.Add(1)
	return &event.Rejection{File: ev.Source, Line: ev.Line, Reason: event.ReasonTimeOutOfRange, Detail: detail, Raw: raw}
}

// park publishes rej on the rejects subject (cut to the maximum payload) and counts it.
func (w *stage1Worker) park(rej *event.Rejection, id string) error {
	m, truncated := parkMsg(w.Names.RejectsSubject(), rej, w.maxPayload)
	if truncated {
		w.Metrics.Truncated.Add(1)
	}
	w.Metrics.Rejected.Add(1)
	return w.publish(m, id)
}

// publishMatch publishes m, a match of ev, or parks it as ReasonTooLarge when the server's
// maximum payload has no room for it.
func (w *stage1Worker) publishMatch(m *nats.Msg, id string, ev *event.Event) error {
	if !fits(m, w.maxPayload) {
		return w.park(tooLarge(m, ev.Source, ev.Line, w.maxPayload), id)
	}
	w.Metrics.Matches.Add(1)
	return w.publish(m, id)
}

// publishAlert publishes an alert (hunt records are not served) caused by ev.
func (w *stage1Worker) publishAlert(o runtime.Output, ev *event.Event) error {
	a, ok := o.(*runtime.Alert)
	if !ok {
		return nil
	}
	m, err := alertMsg(w.Names.AlertsSubject(), a)
	if err != nil {
		return err
	}
	if !fits(m, w.maxPayload) {
		return w.park(tooLarge(m, ev.Source, ev.Line, w.maxPayload), a.ID)
	}
	w.Metrics.Alerts.Add(1)
	return w.publish(m, a.ID)
}

// publish publishes m asynchronously, with a message id when id != "".
func (w *stage1Worker) publish(m *nats.Msg, id string) error {
	var opts []jetstream.PublishOpt
	if id != "" {
		opts = append(opts, jetstream.WithMsgID(id))
	}
	f, err := w.JS.PublishMsgAsync(m, opts...)
	if err != nil {
		return fmt.Errorf("serve: publish to %s: %w", m.Subject, err)
	}
	w.futures = append(w.futures, f)
	return nil
}

// alertMsg is an alert as one JSON line, the format of `stixcel run`.
func alertMsg(subject string, a *runtime.Alert) (*nats.Msg, error) {
	var buf bytes.Buffer
	w, err := alertfmt.New(alertfmt.JSON, &buf, alertfmt.Options{})
	if err != nil {
		return nil, err
	}
	if err := w.Write(a); err != nil {
		return nil, fmt.Errorf("serve: alert %s: %w", a.ID, err)
	}
	m := nats.NewMsg(subject)
	m.Data = bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
	return m, nil
}

// awaitAll waits for every PubAck, returning the first failure, or ctx's error when the
// worker is stopped meanwhile (its caller then acknowledges nothing, as on a failure: what
// was stored is dropped as a duplicate when the input comes again).
func awaitAll(ctx context.Context, fs []jetstream.PubAckFuture) error {
	timeout := time.After(pubTimeout)
	for _, f := range fs {
		select {
		case <-f.Ok():
		case <-ctx.Done():
			return fmt.Errorf("publish to %s: %w", f.Msg().Subject, ctx.Err())
		case err := <-f.Err():
			return fmt.Errorf("publish to %s: %w", f.Msg().Subject, err)
		case <-timeout:
			return fmt.Errorf("publish to %s: no PubAck within %s", f.Msg().Subject, pubTimeout)
		}
	}
	return nil
}

// ack acks m and, when one message is in flight at a time, waits for the server to confirm
// it: an ack lost on the way (a server restarting) held every instance back until the ack
// wait sent the message again. It waits even when the worker is being stopped (a drain
// acks what it handled).
func (w *stage1Worker) ack(m jetstream.Msg) error {
	if cmp.Or(w.InFlight, 1) > 1 {
		return m.Ack()
	}
	actx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return m.DoubleAck(actx)
}

// awaitRepublishing waits for every PubAck, publishing again, synchronously and with
// retries (republish), each message whose publish failed or whose PubAck did not come within
// pubTimeout; its Nats-Msg-Id makes it a duplicate if it was stored after all. It returns the
// first failure to publish again, or ctx's error when the worker is stopped meanwhile.
func awaitRepublishing(ctx context.Context, js jetstream.JetStream, fs []jetstream.PubAckFuture) error {
	timeout := time.NewTimer(pubTimeout)
	defer timeout.Stop()
	expired := false
	for _, f := range fs {
		if !expired {
			select {
			case <-f.Ok():
				continue
			case <-ctx.Done():
				return fmt.Errorf("publish to %s: %w", f.Msg().Subject, ctx.Err())
			case <-f.Err():
			case <-timeout.C:
				expired = true // the ones after it had as long
			}
		} else {
			select {
			case <-f.Ok():
				continue
			default:
			}
		}
		m := f.Msg()
		if err := republish(ctx, js, m, m.Header.Get(jetstream.MsgIDHeader)); err != nil {
			return err
		}
	}
	return nil
}

// nakAll asks for the redelivery of msgs.
func nakAll(msgs []jetstream.Msg) {
	for _, m := range msgs {
		_ = m.Nak()
	}
}
