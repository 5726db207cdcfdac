package runtime

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"unicode/utf16"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/stixcel/stixcel/event"
	"github.com/stixcel/stixcel/plan"
)

// TestVerdictIndependentOfEscaping: the cost guard that skips costly expressions on long
// strings measures a string as decoded, so the same event gives the same alerts and the same
// skips however its JSON escapes its strings (before, a CommandLine written with \uXXXX
// escapes, Python's json.dumps default, was skipped where the same one in UTF-8 alerted).
// The strings are as long as each tier of the guard, so the tier the expression affords is
// hit exactly; surrogate pairs send some lines through encoding/json instead of the lazy
// reader.
func TestVerdictIndependentOfEscaping(t *testing.T) {
	marker := strings.Repeat("m", 1000)
	set := &plan.Set{Schema: plan.Schema, Plans: []*plan.Plan{
		onePlan("AN0001", `event.CommandLine.indexOf("`+marker+`") >= 0`),
	}}
	rng := rand.New(rand.NewPCG(21, 1))
	alphabet := []rune{'a', 'é', '€', '😀', '/', '"', '\\', '\n', 'Z'}
	for size := 16 << 10; size <= 1<<20; size *= 4 {
		text := marker + randomText(rng, alphabet, size-len(marker))
		require.Len(t, text, size)
		want, wantStats := run(t, set, []*event.Event{decodeLine(t, commandLine(text, nil))})
		for i := range 4 {
			line := commandLine(text, rng)
			got, stats := run(t, set, []*event.Event{decodeLine(t, line)})
			assert.Equal(t, immediateSummary(want), immediateSummary(got), "%d bytes, encoding %d", size, i)
			assert.Equal(t, wantStats.TooLong, stats.TooLong, "%d bytes, encoding %d", size, i)
		}
	}
}

// randomText is n bytes of UTF-8 drawn from alphabet (padded with 'a' to n exactly).
func randomText(rng *rand.Rand, alphabet []rune, n int) string {
	var b strings.Builder
	for b.Len() < n {
		r := alphabet[rng.IntN(len(alphabet))]
		if b.Len()+len(string(r)) > n {
			r = 'a'
		}
		b.WriteRune(r)
	}
	return b.String()
}

// commandLine is a normalized event line whose CommandLine is text: written as UTF-8 with
// only the escapes JSON requires when rng is nil, else each character as it is or as a
// \uXXXX escape (surrogate pairs beyond the BMP) at random.
func commandLine(text string, rng *rand.Rand) string {
	var b strings.Builder
	b.WriteString(`{"time":"2026-03-20T09:00:00Z","log_source":"x","CommandLine":"`)
	for _, r := range text {
		switch {
		case rng != nil && rng.IntN(2) == 0:
			if r > 0xFFFF {
				hi, lo := utf16.EncodeRune(r)
				fmt.Fprintf(&b, `\u%04x\u%04x`, hi, lo)
			} else {
				fmt.Fprintf(&b, `\u%04X`, r)
			}
		case r == '"' || r == '\\':
			b.WriteString(`\` + string(r))
		case r == '\n':
			b.WriteString(`\n`)
		default:
			b.WriteRune(r)
		}
	}
	b.WriteString(`"}`)
	return b.String()
}

// decodeLine reads one normalized line as the reader does.
func decodeLine(t *testing.T, line string) *event.Event {
	t.Helper()
	ev, bad := event.Normalized{}.Decode([]byte(line))
	require.Nil(t, bad)
	ev.Source, ev.Line = "escaped.jsonl", 1
	return ev
}
