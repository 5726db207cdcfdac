package main

import (
	"errors"

	"github.com/stixcel/stixcel/event"
)

// A feed hands items over in batches of feedBatch, at most feedBatches batches ahead of the
// evaluation: one item at a time, the two goroutines woke each other up for every event,
// which cost as much as reading it.
const (
	feedBatch   = 64
	feedBatches = 8
)

// feed reads the merged inputs on a goroutine of its own, ahead of the evaluation: reading,
// decoding and mapping lines costs about as much as evaluating them, and the two then run
// side by side instead of one after the other. Items come in the Merger's order, so results
// are those of reading inline. Only inputs that are regular files are read ahead: a read
// from a pipe or a terminal can block forever (and would wait for a batch to fill), and the
// run must be able to stop and account for every line without waiting on it.
type feed struct {
	merged  *event.Merger
	batches chan []feedItem
	done    chan struct{} // closed: stop reading
	ended   chan struct{} // closed when the reading goroutine has returned
	current []feedItem    // the batch being handed over, from its next item
	pending []feedItem    // read after the batches still in the channel, when the run stopped
	unused  []feedItem    // read, but not handed over before the run stopped, in order
}

// feedItem is what one call of Merger.Next gave; an idle input's pause carries the events
// the Merger released (Merger.Release).
type feedItem struct {
	// read and processed are the Merger's counts before the Next call that gave the item.
	read, processed int64
	ev              *event.Event
	rej             *event.Rejection
	err             error
	idle            bool
	released        []*event.Event
}

func startFeed(merged *event.Merger) *feed {
	f := &feed{merged: merged, batches: make(chan []feedItem, feedBatches), done: make(chan struct{}),
		ended: make(chan struct{})}
	go f.read()
	return f
}

func (f *feed) read() {
	defer close(f.ended)
	batch := make([]feedItem, 0, feedBatch)
	for {
		select {
		case <-f.done:
			f.pending = batch
			return
		default:
		}
		read, processed := f.merged.Counts()
		ev, rej, err := f.merged.Next()
		item := feedItem{read: read, processed: processed, ev: ev, rej: rej, err: err}
		if errors.Is(err, event.ErrIdle) {
			item.err, item.idle, item.released = nil, true, f.merged.Release()
		}
		batch = append(batch, item)
		last := err != nil && !item.idle // the end of the inputs, or an input's error
		if len(batch) < feedBatch && !last {
			continue
		}
		select {
		case f.batches <- batch:
		case <-f.done:
			f.pending = batch
			return
		}
		if last {
			return
		}
		batch = make([]feedItem, 0, feedBatch)
	}
}

// next is the next item; ok is false once the Merger has given its last one.
func (f *feed) next() (feedItem, bool) {
	if len(f.current) == 0 {
		select {
		case f.current = <-f.batches:
		case <-f.ended:
			select { // the goroutine may have sent its last batch just before returning
			case f.current = <-f.batches:
			default:
				return feedItem{}, false
			}
		}
	}
	item := f.current[0]
	f.current = f.current[1:]
	return item, true
}

// stop ends the reading and waits for it, so that the Merger may be read again (its Stats),
// and keeps what was read ahead but not handed over.
func (f *feed) stop() {
	close(f.done)
	<-f.ended
	f.unused = append(f.unused, f.current...)
	f.current = nil
	for {
		select {
		case batch := <-f.batches:
			f.unused = append(f.unused, batch...)
		default:
			f.unused = append(f.unused, f.pending...)
			return
		}
	}
}

// unread gives stats as of the first item read ahead but never used: the summary counts
// the lines the run used, as when reading inline (the Merger's lines read ahead, rejected or
// held, are taken out).
func (f *feed) unread(stats *event.ReadStats) {
	if len(f.unused) == 0 {
		return
	}
	stats.Read, stats.Processed = f.unused[0].read, f.unused[0].processed
	for _, item := range f.unused {
		if item.rej == nil {
			continue
		}
		if stats.Rejected[item.rej.Reason]--; stats.Rejected[item.rej.Reason] <= 0 {
			delete(stats.Rejected, item.rej.Reason)
		}
	}
}
