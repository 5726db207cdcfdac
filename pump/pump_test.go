package pump

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/stixcel/stixcel/event"
)

// eventLine is a normalized event at second sec of the day with a padding field of pad bytes.
func eventLine(sec, pad int) string {
	return fmt.Sprintf(`{"time":"2026-03-20T%02d:%02d:%02dZ","log_source":"t","n":%d,"pad":"%s"}`,
		sec/3600, sec/60%60, sec%60, sec, strings.Repeat("x", pad))
}

// countingReader counts the bytes read through it.
type countingReader struct {
	r io.Reader
	n atomic.Int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n.Add(int64(n))
	return n, err
}

// settled waits until the reader has read nothing more for a while: the read-ahead is as far
// ahead as it goes.
func (c *countingReader) settled() int64 {
	last := c.n.Load()
	for stable := 0; stable < 10; {
		time.Sleep(10 * time.Millisecond)
		if n := c.n.Load(); n != last {
			last, stable = n, 0
			continue
		}
		stable++
	}
	return last
}

// TestReadAheadBoundedInBytes: while the consumer is busy with its first event, a regular
// file is read ahead by at most the byte budget (plus the event the Merger holds, the one
// being queued and the line buffer), whatever the size of its events; every event still
// comes, in order, also one larger than the whole budget.
func TestReadAheadBoundedInBytes(t *testing.T) {
	const budget = 1 << 20
	tests := []struct {
		name     string
		n, pad   int
		maxAhead int64
	}{
		{"large events", 60, 256 << 10, budget + 3*(256<<10) + 1<<20},
		{"events larger than the budget", 8, 3 << 20, 3*(3<<20) + 1<<20},
		{"small events", 20000, 200, budget + 1<<20},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var text strings.Builder
			for i := range tc.n {
				text.WriteString(eventLine(i, tc.pad) + "\n")
			}
			r := &countingReader{r: strings.NewReader(text.String())}
			var got []int
			var ahead int64
			var used int64
			sum, err := Run(context.Background(), []Input{{Name: "f.jsonl", R: r, Regular: true}},
				Options{ReadAhead: budget}, Handler{Event: func(_ context.Context, ev *event.Event) error {
					used += int64(len(ev.Raw())) + 1
					if len(got) == 0 {
						ahead = r.settled() - used
					}
					n, _ := ev.Get("n")
					got = append(got, int(n.(int64)))
					return nil
				}})
			require.NoError(t, err)
			assert.LessOrEqual(t, ahead, tc.maxAhead, "bytes read ahead of the consumer")
			require.Len(t, got, tc.n)
			for i, n := range got {
				require.Equal(t, i, n, "event order")
			}
			assert.Equal(t, int64(tc.n), sum.Stats.Processed)
		})
	}
}

// TestAccounting: every line read is processed or rejected, the consumer gets the processed
// events and the handler, the messages and the rejects file get the rejected lines, inline
// or read ahead.
func TestAccounting(t *testing.T) {
	lines := []string{
		eventLine(100, 0),
		`{"time": "2026-03-20T09:00:0`, // bad JSON
		eventLine(200, 0),
		`[1]`,
		eventLine(10, 0), // late by more than the lateness
		`{"time":"1960-01-01T00:00:00Z","log_source":"t"}`, // before 1970
		``, // an empty line
		eventLine(300, 0),
	}
	text := strings.Join(lines, "\n") + "\n"
	for _, readAhead := range []int64{-1, 0} {
		t.Run(fmt.Sprintf("read-ahead %d", readAhead), func(t *testing.T) {
			var events, rejected int64
			var messages, rejects bytes.Buffer
			sum, err := Run(context.Background(), []Input{{Name: "a.jsonl", R: strings.NewReader(text), Regular: true}},
				Options{ReadAhead: readAhead, Merge: event.MergeOptions{Lateness: time.Minute}, Messages: &messages, Rejects: &rejects},
				Handler{
					Event:    func(context.Context, *event.Event) error { events++; return nil },
					Rejected: func(context.Context, *event.Rejection) error { rejected++; return nil },
				})
			require.NoError(t, err)
			st := sum.Stats
			assert.Equal(t, int64(8), st.Read)
			assert.Equal(t, st.Read, st.Processed+st.RejectedTotal(), "read = processed + rejected")
			assert.Equal(t, int64(3), st.Processed)
			assert.Equal(t, st.Processed, events)
			assert.Equal(t, st.RejectedTotal(), rejected)
			assert.Equal(t, 1, sum.Inputs)
			assert.Equal(t, strings.Join([]string{lines[1], lines[3], lines[4], lines[5], lines[6]}, "\n")+"\n", rejects.String())
			assert.Equal(t, 5, strings.Count(messages.String(), "rejected: a.jsonl:"), messages.String())
			assert.Equal(t, "read 8 lines from 1 file: 3 events processed, 5 rejected (empty line: 1, invalid JSON: 1, late: 1, not a JSON object: 1, time out of range: 1)", sum.String())
		})
	}
}

// TestRejectMessagesCapped: at most MaxRejectMessages messages per reason, then one line
// saying the rest are counted.
func TestRejectMessagesCapped(t *testing.T) {
	text := strings.Repeat("[1]\n", MaxRejectMessages+5) + eventLine(1, 0) + "\n"
	var messages bytes.Buffer
	sum, err := Run(context.Background(), []Input{{Name: "a.jsonl", R: strings.NewReader(text)}},
		Options{Messages: &messages}, Handler{Event: func(context.Context, *event.Event) error { return nil }})
	require.NoError(t, err)
	assert.Equal(t, int64(MaxRejectMessages+5), sum.Stats.RejectedTotal())
	assert.Equal(t, MaxRejectMessages, strings.Count(messages.String(), "rejected: a.jsonl:"))
	assert.Contains(t, messages.String(), "lines are counted, not listed")
}

// TestStrictStopsAtFirstBadLine: a strict run stops at the first rejected line, with an
// error naming it; the counts are those of the lines up to it, inline or read ahead, and
// only that line is written to the rejects.
func TestStrictStopsAtFirstBadLine(t *testing.T) {
	var text strings.Builder
	for i := range 500 {
		if i == 3 {
			text.WriteString("[1]\n")
		}
		text.WriteString(eventLine(i, 0) + "\n")
	}
	for _, readAhead := range []int64{-1, 0} {
		t.Run(fmt.Sprintf("read-ahead %d", readAhead), func(t *testing.T) {
			var events int
			var messages, rejects bytes.Buffer
			sum, err := Run(context.Background(), []Input{{Name: "s.jsonl", R: strings.NewReader(text.String()), Regular: true}},
				Options{ReadAhead: readAhead, Strict: true, Messages: &messages, Rejects: &rejects},
				Handler{Event: func(context.Context, *event.Event) error { events++; return nil }})
			require.Error(t, err)
			assert.Contains(t, err.Error(), "s.jsonl:4: ")
			assert.Contains(t, err.Error(), "(--strict)")
			assert.Equal(t, int64(4), sum.Stats.Read)
			assert.Equal(t, int64(3), sum.Stats.Processed)
			assert.Equal(t, int64(1), sum.Stats.RejectedTotal())
			assert.LessOrEqual(t, events, 3)
			assert.Equal(t, "[1]\n", rejects.String())
			assert.Empty(t, messages.String(), "the error names the line")
		})
	}
}

// TestIdleFlush: when stdin is silent for the idle flush, the events held for the lateness
// are handed over and the consumer is told, before the next line comes.
func TestIdleFlush(t *testing.T) {
	pr, pw, err := os.Pipe()
	require.NoError(t, err)
	defer pr.Close()
	ctx := context.Background()
	opened, err := Open(ctx, []string{"-"}, OpenOptions{Stdin: pr, IdleFlush: 50 * time.Millisecond})
	require.NoError(t, err)
	defer opened.Close()
	_, err = io.WriteString(pw, eventLine(1, 0)+"\n"+eventLine(2, 0)+"\n")
	require.NoError(t, err)

	var events int
	var atIdle []int
	done := make(chan error, 1)
	go func() {
		_, err := Run(ctx, opened.Inputs, Options{Merge: event.MergeOptions{Lateness: time.Hour}}, Handler{
			Event: func(context.Context, *event.Event) error { events++; return nil },
			Idle: func(context.Context) error {
				if atIdle = append(atIdle, events); len(atIdle) == 1 {
					_, err := io.WriteString(pw, eventLine(3, 0)+"\n")
					_ = pw.Close()
					return err
				}
				return nil
			},
		})
		done <- err
	}()
	select {
	case err := <-done:
		require.NoError(t, err)
	case <-time.After(20 * time.Second):
		t.Fatal("the run never ended")
	}
	require.NotEmpty(t, atIdle)
	assert.Equal(t, 2, atIdle[0], "the events held for the lateness are handed over at the idle flush")
	assert.Equal(t, 3, events)
}

// TestOpenMissingFile: a missing input stops Open, naming it.
func TestOpenMissingFile(t *testing.T) {
	_, err := Open(context.Background(), []string{"no/such.jsonl"}, OpenOptions{})
	var oe *OpenError
	require.ErrorAs(t, err, &oe)
	assert.Equal(t, "no/such.jsonl", oe.Name)
	assert.Contains(t, err.Error(), "no/such.jsonl")
}

// TestRejectMessagesEscaped: a rejection message names what it was given (a file name, a
// source profile's detail), so what a terminal would obey in it is written escaped.
func TestRejectMessagesEscaped(t *testing.T) {
	name := "logs\x1b[2J\u202etxt.jsonl"
	var messages bytes.Buffer
	_, err := Run(context.Background(), []Input{{Name: name, R: strings.NewReader("[1]\n" + eventLine(1, 0) + "\n")}},
		Options{Messages: &messages}, Handler{Event: func(context.Context, *event.Event) error { return nil }})
	require.NoError(t, err)
	assert.Equal(t, "rejected: logs\\x1b[2J\\u202etxt.jsonl:1: not a JSON object: got an array\n", messages.String())
}

// TestBatch: a batch hands over its inputs' events sorted by time, lines hours out of order
// and spread over two inputs included, rejecting only the absurd and the bad lines (the
// stream of the same inputs rejects three of the events as late); the counts add up, inline or
// read ahead, and a --max-held far below the events sorts them through temporary files in
// the same order.
func TestBatch(t *testing.T) {
	a := strings.Join([]string{eventLine(30000, 0), `[1]`, eventLine(100, 0), eventLine(20000, 0)}, "\n") + "\n"
	b := strings.Join([]string{eventLine(9000, 0), `{"time":"1960-01-01T00:00:00Z","log_source":"t"}`, eventLine(50, 0)}, "\n") + "\n"
	for _, batch := range []bool{false, true} {
		for _, readAhead := range []int64{-1, 0} {
			for _, maxHeld := range []int64{0, 1} {
				name := fmt.Sprintf("batch %v, read-ahead %d, max-held %d", batch, readAhead, maxHeld)
				var got []int64
				var rejects bytes.Buffer
				inputs := []Input{{Name: "a.jsonl", R: strings.NewReader(a), Regular: true}, {Name: "b.jsonl", R: strings.NewReader(b), Regular: true}}
				sum, err := Run(context.Background(), inputs,
					Options{Batch: batch, ReadAhead: readAhead, Merge: event.MergeOptions{Lateness: time.Minute, MaxHeld: maxHeld}, Rejects: &rejects},
					Handler{Event: func(_ context.Context, ev *event.Event) error {
						n, _ := ev.Get("n")
						got = append(got, n.(int64))
						return nil
					}})
				require.NoError(t, err, name)
				st := sum.Stats
				assert.Equal(t, st.Read, st.Processed+st.RejectedTotal(), "%s: read = processed + rejected", name)
				if !batch {
					assert.Equal(t, int64(3), st.Rejected[event.ReasonLate], name)
					continue
				}
				assert.Equal(t, []int64{50, 100, 9000, 20000, 30000}, got, name)
				assert.Equal(t, "read 7 lines from 2 files: 5 events processed, 2 rejected (not a JSON object: 1, time out of range: 1)", sum.String(), name)
				assert.Equal(t, "[1]\n"+`{"time":"1960-01-01T00:00:00Z","log_source":"t"}`+"\n", rejects.String(), name)
				assert.Equal(t, maxHeld == 1, sum.Spilled == 5, "%s: spilled %d", name, sum.Spilled)
			}
		}
	}
}

// TestBatchStrictEvaluatesNothing: a strict batch stops at its first bad line before any
// event is handed over, since every input is read before the first event.
func TestBatchStrictEvaluatesNothing(t *testing.T) {
	text := eventLine(10, 0) + "\nnot json\n" + eventLine(5, 0) + "\n"
	events := 0
	sum, err := Run(context.Background(), []Input{{Name: "a.jsonl", R: strings.NewReader(text)}},
		Options{Batch: true, Strict: true},
		Handler{Event: func(context.Context, *event.Event) error { events++; return nil }})
	require.ErrorContains(t, err, "a.jsonl:2: invalid JSON")
	assert.Zero(t, events)
	assert.Equal(t, int64(2), sum.Stats.Read)
}

// TestSummaryWordsItsUnits: the count line says lines for line inputs, records for EVTX files
// and both for a mix, with the total read unchanged.
func TestSummaryWordsItsUnits(t *testing.T) {
	tests := []struct {
		name          string
		inputs        int
		read, records int64
		want          string
	}{
		{name: "lines", inputs: 2, read: 9, want: "read 9 lines from 2 files: 9 events processed, 0 rejected"},
		{name: "EVTX records", inputs: 1, read: 146, records: 146, want: "read 146 records from 1 file: 146 events processed, 0 rejected"},
		{name: "both", inputs: 11, read: 94346, records: 146, want: "read 94200 lines and 146 records from 11 files: 94346 events processed, 0 rejected"},
		{name: "nothing", inputs: 1, want: "read 0 lines from 1 file: 0 events processed, 0 rejected"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			sum := Summary{Inputs: tc.inputs, Records: tc.records, Stats: event.ReadStats{Read: tc.read, Processed: tc.read, Rejected: map[string]int64{}}}
			assert.Equal(t, tc.want, sum.String())
		})
	}
}

// TestStreamOfRegularFilesIsAStreamOfPipes: regular files merged as a stream are decoded a
// chunk at a time on every core (chunkBytesOf); the events, rejections and counts are those
// of the same lines read from pipes, one at a time, on random files with bad lines, blank
// lines, late events and events out of order within the lateness.
func TestStreamOfRegularFilesIsAStreamOfPipes(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 13))
	for round := range 12 {
		files := make([]string, 1+r.IntN(4))
		for f := range files {
			var b strings.Builder
			at := 10_000
			for range r.IntN(3000) {
				switch k := r.IntN(40); {
				case k == 0:
					b.WriteString("[1]\n")
				case k == 1:
					b.WriteString("\n")
				default:
					at += r.IntN(20) - 7 // out of order by up to a few seconds, sometimes late
					b.WriteString(eventLine(at, f) + "\n")
				}
			}
			files[f] = b.String()
		}
		read := func(regular bool) (string, string) {
			inputs := make([]Input, len(files))
			for f, text := range files {
				inputs[f] = Input{Name: fmt.Sprintf("f%d.jsonl", f), R: strings.NewReader(text), Regular: regular}
			}
			var got bytes.Buffer
			sum, err := Run(context.Background(), inputs, Options{Merge: event.MergeOptions{Lateness: 5 * time.Second}},
				Handler{
					Event: func(_ context.Context, ev *event.Event) error {
						fmt.Fprintf(&got, "%s %s:%d %s\n", ev.Time.Format(time.RFC3339), ev.Source, ev.Line, ev.Raw())
						return nil
					},
					Rejected: func(_ context.Context, rej *event.Rejection) error {
						fmt.Fprintf(&got, "rejected %s:%d %s\n", rej.File, rej.Line, rej.Reason)
						return nil
					},
				})
			require.NoError(t, err)
			return got.String(), sum.String()
		}
		wantEvents, wantSum := read(false)
		gotEvents, gotSum := read(true)
		require.Equal(t, wantSum, gotSum, "round %d", round)
		require.Equal(t, wantEvents, gotEvents, "round %d", round)
		if round == 0 {
			t.Log(wantSum)
		}
	}
}

func TestChunkBytesOf(t *testing.T) {
	tests := []struct {
		batch bool
		files int
		want  int
	}{
		{true, 1, 32 << 20}, // a batch reads its files one after the other (each chunk at most 1 MiB)
		{true, 1000, 32 << 20},
		{false, 1, 32 << 20},
		{false, 100, 32 << 20 / 100},
		{false, 10000, 64 << 10}, // at least 64 KiB each
	}
	for _, tc := range tests {
		assert.Equal(t, tc.want, chunkBytesOf(tc.batch, tc.files), "batch %v, %d files", tc.batch, tc.files)
	}
}
