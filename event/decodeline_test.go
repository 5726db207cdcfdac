package event

import (
	"fmt"
	"io"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// bytesDecoder hides Normalized's DecodeString, so that DecodeLine's bytes path is tested too.
type bytesDecoder struct{ Normalized }

func (d bytesDecoder) Decode(line []byte) (*Event, *Invalid) { return d.Normalized.Decode(line) }

// TestDecodeLineIsAReaderOfThatLine (property): for random lines — events, lines with a byte
// order mark, a "\r", white space, invalid UTF-8, bad JSON, a missing time, and a line past
// MaxLineBytes — DecodeLine gives what a Reader reading the line as its whole input gives,
// event or rejection, through a StringDecoder and through a plain Decoder, with and without
// derived fields.
func TestDecodeLineIsAReaderOfThatLine(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	parts := []string{`{"time":"2026-03-20T09:00:00Z","log_source":"x","n":1}`, "\xef\xbb\xbf", "\r", " ", "\t",
		`{"log_source":"x"}`, "{\"time\":\"2026-03-20T09:00:00Z\",\"log_source\":\"x\",\"bad\":\"\xff\"}", `{"time":`, `[1]`, "\u00e9", `"s"`}
	lines := []string{"", "\r", strings.Repeat(" ", MaxLineBytes+10), `{"time":"2026-03-20T09:00:00Z","log_source":"x","s":"` + strings.Repeat("y", MaxLineBytes) + `"}`}
	for range 3000 {
		var b strings.Builder
		for range 1 + r.IntN(3) {
			b.WriteString(parts[r.IntN(len(parts))])
		}
		lines = append(lines, b.String())
	}
	decoders := []Decoder{nil, Normalized{Fields: true}, bytesDecoder{}, bytesDecoder{Normalized{Fields: true}}}
	seen := map[string]int{}
	for _, dec := range decoders {
		for i, line := range lines {
			want, wantRej, err := NewReader(strings.NewReader(line+"\n"), "f.jsonl", dec).Next()
			if err == io.EOF { // a Reader reads no line from "\n"... but one from "" + "\n"
				t.Fatalf("line %d: %v", i, err)
			}
			require.NoError(t, err)
			got, gotRej := DecodeLine(dec, line, "f.jsonl", 1)
			what := fmt.Sprintf("decoder %T, line %d %.80q", dec, i, line)
			require.Equal(t, wantRej, gotRej, what)
			require.Equal(t, want == nil, got == nil, what)
			if gotRej != nil {
				seen[gotRej.Reason]++
			} else {
				seen["event"]++
			}
			if want != nil {
				require.Equal(t, want.Raw(), got.Raw(), what)
				require.Equal(t, want.Time, got.Time, what)
				require.Equal(t, want.LogSource, got.LogSource, what)
				require.Equal(t, want.Map(), got.Map(), what)
				require.Equal(t, want.Footprint(), got.Footprint(), what)
				require.Equal(t, [2]any{"f.jsonl", 1}, [2]any{got.Source, got.Line}, what)
			}
		}
	}
	for _, kind := range []string{"event", ReasonEmptyLine, ReasonInvalidUTF8, ReasonLineTooLong, ReasonInvalidJSON, ReasonMissingTime} {
		require.Positive(t, seen[kind], "no %s among %v", kind, seen)
	}
}
