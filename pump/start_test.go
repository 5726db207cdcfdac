package pump

import (
	"bytes"
	"context"
	"io"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/stixcel/stixcel/event"
)

// endSignal closes ended once its reader has given io.EOF.
type endSignal struct {
	r     io.Reader
	ended chan struct{}
}

func (e *endSignal) Read(p []byte) (int, error) {
	n, err := e.r.Read(p)
	if err == io.EOF {
		select {
		case <-e.ended:
		default:
			close(e.ended)
		}
	}
	return n, err
}

// endlessLines gives event lines forever.
type endlessLines struct {
	n   int
	buf []byte
}

func (e *endlessLines) Read(p []byte) (int, error) {
	for len(e.buf) < len(p) {
		e.n++
		e.buf = append(e.buf, eventLine(e.n%86400, 100)+"\n"...)
	}
	n := copy(p, e.buf)
	e.buf = e.buf[n:]
	return n, nil
}

// TestStartReadsBeforeRun: a batch of regular files is read whole by Start, before Run is
// called (while a run's plans load), and nothing is written until Run hands the items over:
// then the events come sorted, the rejected line is messaged and written, and the counts are
// those of a plain Run.
func TestStartReadsBeforeRun(t *testing.T) {
	text := strings.Join([]string{eventLine(300, 0), "not json", eventLine(100, 0), eventLine(200, 0)}, "\n") + "\n"
	in := &endSignal{r: strings.NewReader(text), ended: make(chan struct{})}
	var messages, rejects bytes.Buffer
	s := Start([]Input{{Name: "a.jsonl", R: in, Regular: true}},
		Options{Batch: true, Messages: &messages, Rejects: &rejects})
	select {
	case <-in.ended:
	case <-time.After(10 * time.Second):
		s.Stop()
		t.Fatal("the input was not read before Run")
	}
	assert.Empty(t, messages.String(), "nothing is written before Run")
	assert.Empty(t, rejects.String(), "nothing is written before Run")

	var got []int64
	sum, err := s.Run(context.Background(), Handler{Event: func(_ context.Context, ev *event.Event) error {
		n, _ := ev.Get("n")
		got = append(got, n.(int64))
		return nil
	}})
	require.NoError(t, err)
	assert.Equal(t, []int64{100, 200, 300}, got)
	assert.True(t, strings.HasPrefix(messages.String(), "rejected: a.jsonl:2: invalid JSON"), messages.String())
	assert.Equal(t, "not json\n", rejects.String())
	assert.Equal(t, "read 4 lines from 1 file: 3 events processed, 1 rejected (invalid JSON: 1)", sum.String())
	s.Stop() // after Run: nothing to do
	_, err = s.Run(context.Background(), Handler{Event: func(context.Context, *event.Event) error { return nil }})
	assert.Error(t, err, "a Started runs once")
}

// TestStartReadsNoPipeBeforeRun: an input that is not a regular file (stdin, a FIFO) is not
// read until Run: a read from it may block, or be what its writer waits for.
func TestStartReadsNoPipeBeforeRun(t *testing.T) {
	for _, opts := range []Options{{Batch: true}, {}} {
		in := &countingReader{r: strings.NewReader(eventLine(1, 0) + "\n")}
		s := Start([]Input{{Name: "<stdin>", R: in}, {Name: "a.jsonl", R: strings.NewReader(eventLine(2, 0) + "\n"), Regular: true}}, opts)
		assert.Zero(t, in.settled(), "batch %v: read before Run", opts.Batch)
		events := 0
		_, err := s.Run(context.Background(), Handler{Event: func(context.Context, *event.Event) error { events++; return nil }})
		require.NoError(t, err)
		assert.Equal(t, 2, events)
	}
}

// TestStopEndsTheReading: a run that never hands its events over (a plan error) stops the
// reading of a batch in the middle of an input, however long it is, leaves no reading
// goroutine (Stop waits for it) and no temporary file.
func TestStopEndsTheReading(t *testing.T) {
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	in := &countingReader{r: &endlessLines{}}
	s := Start([]Input{{Name: "endless.jsonl", R: in, Regular: true}},
		Options{Batch: true, Merge: event.MergeOptions{MaxHeld: 64 << 10}})
	for in.n.Load() < 1<<20 {
		time.Sleep(time.Millisecond)
	}
	stopped := make(chan struct{})
	go func() { s.Stop(); close(stopped) }()
	select {
	case <-stopped:
	case <-time.After(10 * time.Second):
		t.Fatal("Stop did not end the reading")
	}
	read := in.n.Load()
	time.Sleep(20 * time.Millisecond)
	assert.Equal(t, read, in.n.Load(), "nothing is read after Stop")
	left, err := os.ReadDir(tmp)
	require.NoError(t, err)
	assert.Empty(t, left, "temporary files left behind")
}
