package main

import (
	"errors"

	"github.com/stixcel/stixcel/event"
)

// feedAhead is how many events and rejections a feed reads ahead of the evaluation.
const feedAhead = 512

// feed reads the merged inputs on a goroutine of its own, ahead of the evaluation: reading,
// decoding and mapping lines costs about as much as evaluating them, and the two then run
// side by side instead of one after the other. Items come in the Merger's order, so results
// are those of reading inline. Only inputs that are regular files are read ahead: a read
// from a pipe or a terminal can block forever, and the run must be able to stop and account
// for every line without waiting on it.
type feed struct {
	merged  *event.Merger
	items   chan feedItem
	done    chan struct{} // closed: stop reading
	ended   chan struct{} // closed when the reading goroutine has returned
	pending []feedItem    // read after the items still in the channel, when the run stopped
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
	f := &feed{merged: merged, items: make(chan feedItem, feedAhead), done: make(chan struct{}),
		ended: make(chan struct{})}
	go f.read()
	return f
}

func (f *feed) read() {
	defer close(f.ended)
	for {
		select {
		case <-f.done:
			return
		default:
		}
		read, processed := f.merged.Counts()
		ev, rej, err := f.merged.Next()
		item := feedItem{read: read, processed: processed, ev: ev, rej: rej, err: err}
		if errors.Is(err, event.ErrIdle) {
			item.err, item.idle, item.released = nil, true, f.merged.Release()
		}
		select {
		case f.items <- item:
		case <-f.done:
			f.pending = append(f.pending, item)
			return
		}
		if err != nil && !item.idle {
			return // the end of the inputs, or an input's error: the Merger is done
		}
	}
}

// next is the next item; ok is false once the Merger has given its last one.
func (f *feed) next() (feedItem, bool) {
	select {
	case item := <-f.items:
		return item, true
	case <-f.ended:
		select { // the goroutine may have sent its last item just before returning
		case item := <-f.items:
			return item, true
		default:
			return feedItem{}, false
		}
	}
}

// stop ends the reading and waits for it, so that the Merger may be read again (its Stats),
// and keeps what was read ahead but not handed over.
func (f *feed) stop() {
	close(f.done)
	<-f.ended
	for {
		select {
		case item := <-f.items:
			f.unused = append(f.unused, item)
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
