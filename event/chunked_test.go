package event

import (
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/stixcel/stixcel/internal/jsonl"
)

// scriptedLines is a LineSource that gives lines and, between them, the errors script
// says (an idle pause, a read error), then io.EOF for good.
type scriptedLines struct {
	lines  []string
	errs   map[int]error // before the line at that index
	next   int
	number int
}

func (s *scriptedLines) Next() (jsonl.Line, error) {
	if err, ok := s.errs[s.next]; ok {
		delete(s.errs, s.next)
		return jsonl.Line{}, err
	}
	if s.next == len(s.lines) {
		return jsonl.Line{}, io.EOF
	}
	text := s.lines[s.next]
	s.next++
	s.number++
	if text == "" {
		return jsonl.Line{Number: s.number, Text: []byte(text), Reason: ReasonEmptyLine}, nil
	}
	return jsonl.Line{Number: s.number, Text: []byte(text)}, nil
}

// readerOutput is everything a Reader gives, as text, with its counts at the end.
func readerOutput(t *testing.T, r *Reader) []string {
	t.Helper()
	var out []string
	for eofs := 0; eofs < 2; {
		ev, rej, err := r.Next()
		switch {
		case err == io.EOF:
			eofs++ // io.EOF again after the end
			out = append(out, "EOF")
		case err != nil:
			out = append(out, "error "+err.Error())
		case rej != nil:
			out = append(out, fmt.Sprintf("rejected %s:%d %s %q %q", rej.File, rej.Line, rej.Reason, rej.Detail, rej.Raw))
		default:
			out = append(out, fmt.Sprintf("event %s:%d %s %s %d %s", ev.Source, ev.Line, ev.Time.UTC(), ev.LogSource, ev.lineBytes, ev.Raw()))
		}
	}
	st := r.Stats()
	return append(out, fmt.Sprintf("read %d processed %d rejected %v", st.Read, st.Processed, st.Rejected))
}

// TestChunkedReaderGivesWhatTheReaderGives: over random inputs of events, bad lines, empty
// lines, idle pauses and read errors, a Reader decoding chunks on 2 to 4 goroutines gives
// the events, rejections, errors and counts of the Reader reading a line at a time, in the
// same order, whatever the chunk bounds.
func TestChunkedReaderGivesWhatTheReaderGives(t *testing.T) {
	kinds := []func(r *rand.Rand, i int) string{
		func(r *rand.Rand, i int) string {
			return fmt.Sprintf(`{"time":"2026-03-20T09:%02d:%02dZ","log_source":"s%d","n":%d}`, r.IntN(60), r.IntN(60), r.IntN(3), i)
		},
		func(*rand.Rand, int) string { return `{"time":"2026-03-20T09:00:00Z"}` },
		func(*rand.Rand, int) string { return `{"log_source":"x"` },
		func(*rand.Rand, int) string { return `[1,2]` },
		func(*rand.Rand, int) string { return "" },
	}
	for seed := range 40 {
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			r := rand.New(rand.NewPCG(uint64(seed), 7))
			n := r.IntN(300)
			lines := make([]string, n)
			for i := range lines {
				k := 0
				if r.IntN(4) == 0 {
					k = r.IntN(len(kinds))
				}
				lines[i] = kinds[k](r, i)
			}
			errs := func() map[int]error {
				m := map[int]error{}
				for range r.IntN(3) {
					m[r.IntN(n+1)] = ErrIdle
				}
				if r.IntN(3) == 0 {
					m[r.IntN(n+1)] = errors.New("x.jsonl: line 9: read: broken pipe")
				}
				return m
			}()
			copyErrs := func() map[int]error {
				c := map[int]error{}
				for k, v := range errs {
					c[k] = v
				}
				return c
			}
			want := readerOutput(t, NewLineReader(&scriptedLines{lines: lines, errs: copyErrs()}, "x.jsonl", nil))
			chunked := NewLineReader(&scriptedLines{lines: lines, errs: copyErrs()}, "x.jsonl", nil)
			chunked.DecodeInChunks(nil, 2+r.IntN(3))
			chunked.chunk.maxLines, chunked.chunk.maxBytes = 1+r.IntN(200), 1+r.IntN(8000)
			require.Equal(t, want, readerOutput(t, chunked))
		})
	}
}

// TestChunkedReaderLetsGoAtItsEnd: a chunked Reader that has given io.EOF holds no chunk, so
// that a batch of a thousand files does not keep a megabyte of lines for each one it read.
func TestChunkedReaderLetsGoAtItsEnd(t *testing.T) {
	lines := make([]string, 300)
	for i := range lines {
		lines[i] = fmt.Sprintf(`{"time":"2026-03-20T09:00:00Z","log_source":"x","n":%d}`, i)
	}
	r := NewLineReader(&scriptedLines{lines: lines}, "x.jsonl", nil)
	r.DecodeInChunks(nil, 2)
	out := readerOutput(t, r)
	require.Len(t, out, 300+3)
	require.Zero(t, cap(r.chunk.text))
	require.Zero(t, cap(r.chunk.lines))
}
