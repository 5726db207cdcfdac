package serve

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/stixcel/stixcel/event"
	"github.com/stixcel/stixcel/plan"
	"github.com/stixcel/stixcel/runtime"
)

// owner is the state of one owned partition: a fresh engine fed by a replay of the
// partition from the start of the matches stream.
type owner struct {
	*Stage2
	p          int
	eng        *runtime.Engine
	dec        *decoder
	order      reorder
	forced     int64 // order.forced already counted in Metrics
	maxPayload int64
	ready      []match
	outs       []runtime.Output
	lastMsg    time.Time
	flushed    bool // nothing arrived since the last idle flush
	replayed   int64
}

// engine is a fresh engine for a partition taken: a fork (runtime.Engine.Fork) of the
// Stage2's Build, or else of the engine of the plans with a condition that the worker builds
// once, when it takes its first partition. The partitions share its programs and indexes,
// so that a worker owning four of them holds one build, not four, and a takeover costs no
// build after the first.
func (s *Stage2) engine() (*runtime.Engine, error) {
	s.builds.Do(func() {
		s.build = s.Build
		if s.build == nil {
			s.build = &Build{Set: correlated(s.Set), Options: s.Options}
		}
	})
	eng, err := s.build.Fork()
	if err != nil {
		return nil, fmt.Errorf("serve: stage 2: %w", err)
	}
	return eng, nil
}

// orderedResetAttempts bounds how often a Fetch recreates the partition's ordered consumer.
const orderedResetAttempts = 3

// own runs partition p until ctx is done. The engine starts empty and the partition is
// replayed from the start of the stream (the replay horizon is the stream's MaxAge), so the
// state is rebuilt exactly; alerts it publishes again are dropped by their Nats-Msg-Id.
func (s *Stage2) own(ctx context.Context, p int) error {
	eng, err := s.engine()
	s.Metrics.ready.building.Add(-1) // counted by standBy when it took the lease
	if err != nil {
		return err
	}
	cons, err := s.JS.OrderedConsumer(ctx, s.Names.MatchesStream(), jetstream.OrderedConsumerConfig{
		FilterSubjects: []string{s.Names.partitionFilter(p)}, DeliverPolicy: jetstream.DeliverAllPolicy,
		// Each Fetch of an ordered consumer recreates it, retrying with a growing back-off;
		// unbounded (nats.go's default), a Fetch on a closed connection never returned, and
		// a stopped owner never let go. Three attempts ride out a server restart (1 s, 2 s);
		// past them owning fails, the lease is released and the partition taken again.
		// (Its Messages iterator creates it once, but does not see it vanish with a
		// restarted server unless one call waits for two missed heartbeats: an owner
		// waiting briefly for each match then waited for ever.)
		MaxResetAttempts: orderedResetAttempts,
	})
	if err != nil {
		return fmt.Errorf("serve: stage 2: partition %d: %w", p, err)
	}
	o := &owner{Stage2: s, p: p, eng: eng, dec: newDecoder(s.Profile), maxPayload: s.JS.Conn().MaxPayload(),
		order: reorder{lateness: s.Lateness, maxHeld: s.MaxHeld}, lastMsg: time.Now(), flushed: true}
	for ctx.Err() == nil {
		batch, err := o.fetch(cons)
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return fmt.Errorf("serve: stage 2: partition %d: fetch: %w", p, err)
		}
		if err := o.batch(ctx, cons, batch); err != nil {
			if ctx.Err() != nil {
				return nil // stopped while its PubAcks were awaited: nothing was acknowledged
			}
			return err
		}
	}
	return nil
}

// matchBatch is how many matches an owner fetches at a time.
const matchBatch = 256

// minFetchWait is the shortest wait of a fetch.
const minFetchWait = 50 * time.Millisecond

// fetch fetches the partition's next matches. While nothing is held or open for an idle
// flush, it waits up to fetchWait for the first match and returns with it; then up to
// matchBatch matches at a time, each fetch waiting at most until the idle flush is due. (A
// fetch returns when it has its batch or expires: one of 256 that waited fetchWait held the
// last matches of a stream back by up to fetchWait, and the idle flush by one more.)
func (o *owner) fetch(cons jetstream.Consumer) (jetstream.MessageBatch, error) {
	if o.IdleFlush <= 0 {
		return cons.Fetch(matchBatch, jetstream.FetchMaxWait(fetchWait))
	}
	if o.flushed {
		return cons.Fetch(1, jetstream.FetchMaxWait(fetchWait))
	}
	due := time.Until(o.lastMsg.Add(o.IdleFlush))
	return cons.Fetch(matchBatch, jetstream.FetchMaxWait(min(fetchWait, max(due, minFetchWait))))
}

// batch applies a fetched batch: matches go through the reorder buffer into the engine, and
// the alerts they close are published before the next fetch. After an empty batch past the
// idle flush (IdleFlush since the last match came), what is held and open is emitted,
// unless the stream is busy (streamBusy): then it looks again after another IdleFlush.
func (o *owner) batch(ctx context.Context, cons jetstream.Consumer, b jetstream.MessageBatch) error {
	var futures []jetstream.PubAckFuture
	o.ready = o.ready[:0]
	n := 0
	for msg := range b.Messages() {
		n++
		o.lastMsg, o.flushed = time.Now(), false
		var err error
		if futures, err = o.receive(msg, futures); err != nil {
			return err
		}
	}
	o.ready = o.order.release(o.ready)
	o.Metrics.Forced.Add(o.order.forced - o.forced)
	o.forced = o.order.forced
	flush := false
	if n == 0 && o.IdleFlush > 0 && !o.flushed && time.Since(o.lastMsg) >= o.IdleFlush {
		if o.streamBusy(ctx, cons) {
			o.lastMsg = time.Now() // look again after another IdleFlush
		} else {
			o.ready = o.order.drain(o.ready)
			o.flushed, flush = true, true
		}
	}
	fs, err := o.apply(flush)
	if err != nil {
		return err
	}
	if err := awaitAll(ctx, append(futures, fs...)); err != nil {
		return fmt.Errorf("serve: stage 2: partition %d: %w", o.p, err)
	}
	return nil
}

// streamBusy reports whether matches for the partition may still come although none came
// for IdleFlush: stage 1's shared consumer (the default durable) has events to handle or to
// ack (a match is stored before its event is acked), or the partition has matches stored
// that its consumer has not delivered. A backfill's stage 1 can take longer than IdleFlush
// between two matches of a partition: flushed then, an alert missed the evidence that came
// later. Without the information (no such consumer: stage 1 runs under another durable, or
// not yet; or a request failed) the time rule alone decides, as before.
func (o *owner) streamBusy(ctx context.Context, cons jetstream.Consumer) bool {
	ctx, cancel := context.WithTimeout(ctx, fetchWait)
	defer cancel()
	if s1, err := o.JS.Consumer(ctx, o.Names.EventsStream(), o.Names.stage1Durable()); err == nil {
		if info := s1.CachedInfo(); info.NumPending > 0 || info.NumAckPending > 0 {
			return true
		}
	}
	info, err := cons.Info(ctx)
	return err == nil && info.NumPending > 0
}

// receive decodes the lines of a match message (one, as stage 1 publishes them) into the
// reorder buffer (releasing into o.ready what exceeds the bytes it may hold); a bad,
// out-of-range or late one is parked.
func (o *owner) receive(msg jetstream.Msg, futures []jetstream.PubAckFuture) ([]jetstream.PubAckFuture, error) {
	o.replayed++
	o.Metrics.Replayed.Add(1)
	md, err := msg.Metadata()
	if err != nil {
		return futures, fmt.Errorf("serve: stage 2: metadata: %w", err)
	}
	o.Metrics.setLag(o.p, md.NumPending)
	plan, planOK := o.planOf(msg.Subject())
	err = o.dec.decode(msg, md.Sequence.Stream, func(i, n int, l decoded) error {
		rej := o.admit(l, plan, planOK, msg, md)
		if rej == nil {
			return nil
		}
		id := fmt.Sprintf("%s.%d.%d", o.Names.MatchesStream(), o.p, md.Sequence.Stream)
		if n > 1 {
			id += "." + strconv.Itoa(i)
		}
		f, err := o.park(rej, id)
		if err != nil {
			return err
		}
		futures = append(futures, f)
		return nil
	})
	if err != nil {
		return futures, fmt.Errorf("serve: stage 2: %w", err)
	}
	return futures, nil
}

// admit holds a decoded match line of plan in the reorder buffer, or returns why it cannot:
// bad, a bad subject (!planOK), out of range or late.
func (o *owner) admit(l decoded, plan string, planOK bool, msg jetstream.Msg, md *jetstream.MsgMetadata) *event.Rejection {
	ev, rej := l.ev, l.rej
	switch {
	case rej != nil:
	case !planOK:
		rej = &event.Rejection{File: ev.Source, Line: ev.Line, Raw: l.text, Reason: "bad match subject", Detail: msg.Subject()}
	default:
		rej = outOfRange(ev, storedAt(msg, md), l.text, o.MaxAhead, o.Metrics)
	}
	if rej == nil && o.order.push(match{ev: ev, plan: plan}) {
		o.Metrics.Late.Add(1)
		rej = &event.Rejection{File: ev.Source, Line: ev.Line, Raw: l.text, Reason: event.ReasonLate,
			Detail: fmt.Sprintf("%s is before partition %d's watermark %s", ev.Time.Format(time.RFC3339Nano), o.p, o.order.watermark.Format(time.RFC3339Nano))}
	}
	if rej == nil {
		o.ready = o.order.squeeze(o.ready)
	}
	return rej
}

// storedAt is when the events stream stored a match's event (its HeaderStored), else when
// the matches stream stored the match.
func storedAt(msg jetstream.Msg, md *jetstream.MsgMetadata) time.Time {
	if t, err := time.Parse(time.RFC3339Nano, msg.Headers().Get(HeaderStored)); err == nil {
		return t
	}
	return md.Timestamp
}

// park publishes rej on the rejects subject (cut to the maximum payload) and counts it.
func (o *owner) park(rej *event.Rejection, id string) (jetstream.PubAckFuture, error) {
	m, truncated := parkMsg(o.Names.RejectsSubject(), rej, o.maxPayload)
	if truncated {
		o.Metrics.Truncated.Add(1)
	}
	o.Metrics.Rejected.Add(1)
	f, err := o.JS.PublishMsgAsync(m, jetstream.WithMsgID(id))
	if err != nil {
		return nil, fmt.Errorf("serve: stage 2: park %s: %w", rej, err)
	}
	return f, nil
}

// planOf reads the plan of a stored match subject, <prefix>.part.<n>.<plan>.<key>.
func (o *owner) planOf(subject string) (string, bool) {
	rest, ok := strings.CutPrefix(subject, o.Names.Prefix+".part."+strconv.Itoa(o.p)+".")
	if !ok {
		return "", false
	}
	plan, _, ok := strings.Cut(rest, ".")
	return plan, ok && plan != ""
}

// apply feeds the released matches to the engine (and, after an idle drain, flushes it),
// publishing the alerts they close.
func (o *owner) apply(flush bool) ([]jetstream.PubAckFuture, error) {
	o.outs = o.outs[:0]
	emit := func(out runtime.Output) { o.outs = append(o.outs, out) }
	for _, m := range o.ready {
		if err := o.eng.ProcessPlan(context.Background(), m.ev, m.plan, emit); err != nil {
			return nil, fmt.Errorf("serve: stage 2: partition %d: %w", o.p, err)
		}
		o.Metrics.Applied.Add(1)
	}
	if flush {
		o.eng.Flush(emit)
	}
	var fs []jetstream.PubAckFuture
	for _, out := range o.outs {
		a, ok := out.(*runtime.Alert)
		if !ok {
			continue
		}
		m, err := alertMsg(o.Names.AlertsSubject(), a)
		if err != nil {
			return nil, err
		}
		if !fits(m, o.maxPayload) {
			f, err := o.park(tooLarge(m, fmt.Sprintf("<partition %d>", o.p), 0, o.maxPayload), a.ID)
			if err != nil {
				return nil, err
			}
			fs = append(fs, f)
			continue
		}
		f, err := o.JS.PublishMsgAsync(m, jetstream.WithMsgID(a.ID))
		if err != nil {
			return nil, fmt.Errorf("serve: stage 2: publish alert %s: %w", a.ID, err)
		}
		o.Metrics.Alerts.Add(1)
		fs = append(fs, f)
	}
	return fs, nil
}

// correlated is the set's plans with a condition, the only ones stage 2 evaluates, with the
// set's other fields: without its CELEnv the engine parsed every channel's text again instead
// of taking the artifact's parsed forms, and `serve --stage 2` took 1.7 s and 2.9 s of CPU
// to build the big artifact's plans where `--stage 1` takes 0.5 s and 0.75 s.
func correlated(set *plan.Set) *plan.Set {
	out := *set
	out.Plans = nil
	for _, p := range set.Plans {
		if p != nil && p.Correlation.Condition != "" {
			out.Plans = append(out.Plans, p)
		}
	}
	return &out
}
