package serve

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/stixcel/stixcel/event"
	"github.com/stixcel/stixcel/plan"
	"github.com/stixcel/stixcel/runtime"
	"github.com/stixcel/stixcel/source"
)

// Stage2 is a stateful worker: it owns whichever partitions it holds the lease of, and
// stands by for the others.
type Stage2 struct {
	JS        jetstream.JetStream
	Names     Names
	Set       *plan.Set
	Profile   *source.Profile  // nil: normalized events
	Options   []runtime.Option // engine limits; workers stay 1
	Lateness  time.Duration    // how far out of event-time order a partition's matches may come; default event.DefaultLateness
	IdleFlush time.Duration    // after this long without matches, release what is held and emit open alerts (0: never)
	MaxAhead  time.Duration    // the time-range rule of Stage1.MaxAhead, applied again to matches; default event.DefaultMaxAhead
	MaxHeld   int64            // bytes of matches each partition holds for the lateness (`run`'s --max-held); default event.DefaultMaxHeld
	ID        string           // this worker's name in the leases; default a fresh NUID
	Metrics   *Metrics         // may be nil
	// Build, when set, is what the partitions' engines fork from (shared with stage 1 in one
	// process); nil: the worker builds the plans of Set that have a condition, once, when it
	// takes its first partition.
	Build *Build

	builds sync.Once
	build  *Build // Build, or the worker's own
}

// Run owns partitions until ctx is done, then releases their leases (graceful drain: a
// standby takes over at once and replays; nothing is flushed early).
func (s *Stage2) Run(ctx context.Context) (err error) {
	s.Names = s.Names.withDefaults()
	if s.Metrics == nil {
		s.Metrics = &Metrics{}
	}
	ready, done := running(&s.Metrics.ready.stage2)
	defer func() { done(err) }()
	if s.Lateness == 0 {
		s.Lateness = event.DefaultLateness
	}
	if s.ID == "" {
		s.ID = nats.NewInbox()[len(nats.InboxPrefix):]
	}
	kv, err := s.JS.KeyValue(ctx, s.Names.bucket())
	if err != nil {
		return fmt.Errorf("serve: stage 2: bucket %s: %w", s.Names.bucket(), err)
	}
	s.Metrics.ready.untried.Store(int64(s.Names.Partitions))
	ready() // not ready until each partition's lease was tried, and taken ones' engines built
	errs := make(chan error, s.Names.Partitions)
	var wg sync.WaitGroup
	for p := range s.Names.Partitions {
		wg.Go(func() { errs <- s.standBy(ctx, kv, p) })
	}
	wg.Wait()
	close(errs)
	var all []error
	for err := range errs {
		all = append(all, err)
	}
	return errors.Join(all...)
}

// standBy takes partition p whenever its lease is free and owns it until the lease is lost
// or ctx is done.
func (s *Stage2) standBy(ctx context.Context, kv jetstream.KeyValue, p int) error {
	key := "p" + strconv.Itoa(p)
	first := true
	for ctx.Err() == nil {
		rev, err := kv.Create(ctx, key, []byte(s.ID))
		if err == nil {
			s.Metrics.ready.building.Add(1) // own builds the engine: not ready until it has
		}
		if first {
			s.Metrics.ready.untried.Add(-1)
			first = false
		}
		if err != nil {
			if ctx.Err() != nil {
				// stopped while creating the lease: the server may have created it after
				// the call gave up, and a standby would wait for it to expire
				s.release(kv, key, 0)
				break
			}
			sleep(ctx, s.Names.LeaseTTL/4)
			continue
		}
		s.Metrics.Takeovers.Add(1)
		err = s.hold(ctx, kv, key, rev, p)
		if err != nil && ctx.Err() == nil {
			sleep(ctx, s.Names.LeaseTTL/4) // a broken owner backs off before trying again
		}
	}
	return nil
}

// hold owns partition p under the lease at rev, renewing it, until ctx is done, a renewal
// fails or owning fails; then the lease is deleted if this worker still holds it, so that a
// standby (or this worker, after its back-off) need not wait for it to expire.
func (s *Stage2) hold(ctx context.Context, kv jetstream.KeyValue, key string, rev uint64, p int) error {
	pctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var last atomic.Uint64
	last.Store(rev)
	done := make(chan struct{})
	go func() {
		defer close(done)
		s.renew(pctx, cancel, kv, key, &last)
	}()
	err := s.own(pctx, p)
	cancel()
	<-done
	s.Metrics.dropLag(p)
	s.release(kv, key, last.Load())
	return err
}

// release deletes the lease key if this worker still holds it (rev: its revision as last
// seen; 0 when unknown). A renewal in flight when the stop came may be applied by the server
// after its caller gave up waiting, moving the revision past rev, even after the key was read
// back (the stream stores the update while the read is answered): the key is read back and
// deleted at its revision for as long as it names this worker and the deletion finds it
// moved, within two seconds (a worker that took it over in between changed it, and keeps it).
func (s *Stage2) release(kv jetstream.KeyValue, key string, rev uint64) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if rev > 0 && kv.Delete(ctx, key, jetstream.LastRevision(rev)) == nil {
		return
	}
	for ctx.Err() == nil {
		entry, err := kv.Get(ctx, key)
		if err != nil || string(entry.Value()) != s.ID {
			return
		}
		if kv.Delete(ctx, key, jetstream.LastRevision(entry.Revision())) == nil {
			return
		}
		sleep(ctx, 10*time.Millisecond)
	}
}

// renew updates the lease every third of its TTL; when an update fails (another worker holds
// it, or the server is unreachable for longer than the TTL allows) it cancels the owner.
func (s *Stage2) renew(ctx context.Context, cancel func(), kv jetstream.KeyValue, key string, last *atomic.Uint64) {
	t := time.NewTicker(s.Names.LeaseTTL / 3)
	defer t.Stop()
	lost := time.Now().Add(s.Names.LeaseTTL)
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		rctx, rcancel := context.WithTimeout(ctx, s.Names.LeaseTTL/3)
		rev, err := kv.Update(rctx, key, []byte(s.ID), last.Load())
		rcancel()
		switch {
		case err == nil:
			last.Store(rev)
			lost = time.Now().Add(s.Names.LeaseTTL)
		case errors.Is(err, jetstream.ErrKeyExists) || time.Now().After(lost):
			cancel() // taken over, or expired: stop owning
			return
		}
	}
}

// sleep waits d or until ctx is done.
func sleep(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}
