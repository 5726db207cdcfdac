package event

import (
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"strings"
	"testing"
	"unsafe"

	"github.com/stretchr/testify/assert"
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

// readerOutput is everything a Reader gives, as text, with its counts at the end. Events
// and rejections are written out once the Reader has given its last line, so that an
// event whose memory was written over while it lived (a chunk's buffer reused) shows.
func readerOutput(t *testing.T, r *Reader) []string {
	t.Helper()
	var given []func() string
	for eofs := 0; eofs < 2; {
		ev, rej, err := r.Next()
		switch {
		case err == io.EOF:
			eofs++ // io.EOF again after the end
			given = append(given, func() string { return "EOF" })
		case err != nil:
			given = append(given, func() string { return "error " + err.Error() })
		case rej != nil:
			given = append(given, func() string {
				return fmt.Sprintf("rejected %s:%d %s %q %q", rej.File, rej.Line, rej.Reason, rej.Detail, rej.Raw)
			})
		default:
			given = append(given, func() string {
				return fmt.Sprintf("event %s:%d %s %s %d %s %v %v", ev.Source, ev.Line, ev.Time.UTC(), ev.LogSource,
					ev.lineBytes, ev.Raw(), ev.Map(), ev.members)
			})
		}
	}
	out := make([]string, len(given))
	for i, g := range given {
		out[i] = g()
	}
	st := r.Stats()
	return append(out, fmt.Sprintf("read %d processed %d rejected %v", st.Read, st.Processed, st.Rejected))
}

// copyingDecoder is Normalized without DecodeString: a Decoder that copies its lines.
type copyingDecoder struct{ Normalized }

func (d copyingDecoder) Decode(line []byte) (*Event, *Invalid) { return d.Normalized.Decode(line) }

// TestChunkedReaderGivesWhatTheReaderGives: over random inputs of events, bad lines, empty
// lines, idle pauses and read errors, a Reader decoding chunks on 2 to 4 goroutines gives
// the events, rejections, errors and counts of the Reader reading a line at a time, in the
// same order, whatever the chunk bounds, and whether its decoders keep their lines
// (StringDecoder) or copy them; every event read is kept to the end, where they are all
// compared, so an event backed by a chunk that is written again fails.
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
			var dec Decoder = Normalized{}
			if seed%4 == 3 {
				dec = copyingDecoder{}
			}
			chunked := NewLineReader(&scriptedLines{lines: lines, errs: copyErrs()}, "x.jsonl", dec)
			chunked.DecodeInChunks(func() Decoder { return dec }, 2+r.IntN(3))
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
	require.Zero(t, r.chunk.room)
	require.Zero(t, cap(r.chunk.lines))
}

// chunkedEvents reads every event of lines through a Reader chunked on 2 goroutines.
func chunkedEvents(t *testing.T, lines []string, maxLines, maxBytes int) []*Event {
	t.Helper()
	r := NewLineReader(&scriptedLines{lines: lines}, "x.jsonl", nil)
	r.DecodeInChunks(nil, 2)
	r.chunk.maxLines, r.chunk.maxBytes = maxLines, maxBytes
	var out []*Event
	for {
		ev, _, err := r.Next()
		if err == io.EOF {
			return out
		}
		require.NoError(t, err)
		if ev != nil {
			out = append(out, ev)
		}
	}
}

// TestChunkedReaderKeepsItsLinesOnce: the events of a chunk are backed by the chunk itself,
// each line where the one before it ends, not by a copy of their line each.
func TestChunkedReaderKeepsItsLinesOnce(t *testing.T) {
	lines := make([]string, 10)
	for i := range lines {
		lines[i] = fmt.Sprintf(`{"time":"2026-03-20T09:00:00Z","log_source":"x","n":%d}`, i)
	}
	evs := chunkedEvents(t, lines, 1024, 1<<20)
	require.Len(t, evs, 10)
	for i := 1; i < len(evs); i++ {
		prev, cur := evs[i-1].Raw(), evs[i].Raw()
		require.Equal(t, uintptr(unsafe.Pointer(unsafe.StringData(prev)))+uintptr(len(prev)),
			uintptr(unsafe.Pointer(unsafe.StringData(cur))), "line %d is not in the chunk after line %d", i+1, i)
	}
}

// TestChunkedEventsAccountForTheirChunk: the events of a chunk keep all of it alive,
// rejected lines included, and their footprints (what --max-held counts) sum to at least
// the chunk's lines, however few of its lines are events.
func TestChunkedEventsAccountForTheirChunk(t *testing.T) {
	bad := `{"log_source":"x","padding":"` + strings.Repeat("x", 200) + `"}` // missing time; 100 lines fit a first chunk
	good := `{"time":"2026-03-20T09:00:00Z","log_source":"x"}`
	for _, every := range []int{1, 2, 10, 100} {
		t.Run(fmt.Sprint(every), func(t *testing.T) {
			var lines []string
			var total int64
			for i := range 400 {
				line := bad
				if i%every == 0 {
					line = good
				}
				lines = append(lines, line)
				total += int64(len(line))
			}
			var footprints int64
			for _, ev := range chunkedEvents(t, lines, 100, 1<<20) {
				footprints += ev.Footprint()
			}
			require.GreaterOrEqual(t, footprints, total)
		})
	}
}

// TestChunkedReaderGivesItsFirstEventSoon: a chunked reader gives its first event once it has
// read a first chunk of about firstChunkBytes, not a whole chunk of up to a megabyte: files
// merged as a stream give nothing until each has given its first event.
func TestChunkedReaderGivesItsFirstEventSoon(t *testing.T) {
	lines := make([]string, 2000)
	for i := range lines {
		lines[i] = fmt.Sprintf(`{"time":"2026-03-20T09:00:00Z","log_source":"x","padding":%q}`, strings.Repeat("x", 1000))
	}
	src := &scriptedLines{lines: lines}
	r := NewLineReader(src, "x.jsonl", nil)
	r.DecodeInChunksOf(nil, 2, 1<<20)
	ev, _, err := r.Next()
	require.NoError(t, err)
	require.NotNil(t, ev)
	assert.LessOrEqual(t, src.next, firstChunkBytes/1000+1, "lines read before the first event")
	n := 1
	for _, _, err := r.Next(); err == nil; _, _, err = r.Next() {
		n++
	}
	assert.Equal(t, len(lines), n)
}
