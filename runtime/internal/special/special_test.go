package special

import (
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/google/cel-go/common/types"
	"github.com/stretchr/testify/require"

	"github.com/stixcel/stixcel/celenv"
	"github.com/stixcel/stixcel/event"
	"github.com/stixcel/stixcel/internal/relit"
)

// longScript is a PowerShell-like script block: many of the words' first bytes, few of their
// words, none of the words' rarer first bytes.
func longScript(n int) string {
	var b strings.Builder
	for b.Len() < n {
		b.WriteString("$a = Get-Item -Path .\\x; Write-Output $a.Name; ")
	}
	return b.String()
}

// wordList is 150 script names with many distinct first bytes, as SigmaHQ's PowerShell rules
// list them.
func wordList() []string {
	r := rand.New(rand.NewPCG(1, 2))
	words := make([]string, 150)
	for i := range words {
		var b strings.Builder
		b.WriteByte(byte('!' + r.IntN(90)))
		for range 8 {
			b.WriteByte(byte('a' + r.IntN(26)))
		}
		b.WriteString(".ps1")
		words[i] = b.String()
	}
	return words
}

func TestAnyWordFindsWordsInLongTexts(t *testing.T) {
	words := wordList()
	a, ok := newAnyWord(types.DefaultTypeAdapter.NativeToValue(words))
	require.True(t, ok)
	text := longScript(64 << 10)
	require.False(t, a.in(text))
	for _, at := range []int{0, 1, 127, 128, 5000, len(text)} {
		with := text[:at] + words[at%len(words)] + text[at:]
		require.True(t, a.in(with), "a word at %d", at)
	}
}

// BenchmarkAnyWordLongText: containsAny of 150 words over a 64 KiB script block.
func BenchmarkAnyWordLongText(b *testing.B) {
	a, ok := newAnyWord(types.DefaultTypeAdapter.NativeToValue(wordList()))
	require.True(b, ok)
	text := longScript(64 << 10)
	b.SetBytes(int64(len(text)))
	for b.Loop() {
		if a.in(text) {
			b.Fatal("no word is in the text")
		}
	}
}

// TestFindChains: the disjunctions of contains tests of one field the specializer decides in
// one search, by the id of their top `||`; mixed ones are left to CEL.
func TestFindChains(t *testing.T) {
	env, err := celenv.ChannelEnv(nil)
	require.NoError(t, err)
	tests := []struct {
		expr string
		want []containsChain // the outermost chains (slots: C=0, I=1)
	}{
		{`event.C.contains("a") || event.C.contains("b") || event.C.contains("c")`,
			[]containsChain{{src: chainSource{slot: 0}, words: []string{"a", "b", "c"}}}},
		{`event.C.lowerAscii().contains("a") || event.C.lowerAscii().contains("")`,
			[]containsChain{{src: chainSource{slot: 0, lower: true}, words: []string{"a", ""}}}},
		{`event.C.contains("a") || event.C.lowerAscii().contains("b")`, nil},
		{`event.C.contains("a") || event.I.contains("b")`, nil},
		{`(event.C.contains("a") || event.C.contains("b")) || event.I.contains("c")`,
			[]containsChain{{src: chainSource{slot: 0}, words: []string{"a", "b"}}}},
		{`event.C.contains("a") || event.C.startsWith("b")`, nil},
		{`event.C.contains("a") || event.C.contains(event.I)`, nil},
		{`has(event.C) && event.C.contains("a")`, nil},
		{`event.C.matches("(?i)a") || matches(event.C, "^b$") || event.C.matches("c")`,
			[]containsChain{{kind: chainMatches, src: chainSource{slot: 0}, words: []string{"(?i)a", "^b$", "c"}}}},
		{`event.I.lowerAscii().matches("a") || event.I.lowerAscii().matches("b")`,
			[]containsChain{{kind: chainMatches, src: chainSource{slot: 1, lower: true}, words: []string{"a", "b"}}}},
		{`event.C.matches("a") || event.C.contains("b")`, nil},
	}
	for _, tc := range tests {
		t.Run(tc.expr, func(t *testing.T) {
			ast, iss := env.Compile(tc.expr)
			require.NoError(t, iss.Err())
			slots := event.NewSlots()
			slots.Slot("C")
			slots.Slot("I")
			s, ok := New(ast.NativeRep().Expr(), slots, NewPatterns())
			require.True(t, ok)
			var got []containsChain
			for _, c := range s.chains {
				got = append(got, *c)
			}
			require.Equal(t, tc.want, got)
		})
	}
}

// TestExactPartsNeedEveryPattern: a chain of patterns is fused only when each compiles and
// is decided by its string tests alone; its union then answers as one of them would.
func TestExactPartsNeedEveryPattern(t *testing.T) {
	s := &Specializer{patterns: NewPatterns()}
	parts, ok := s.exactParts([]string{"(?is)ab", "^c$", "é"})
	require.True(t, ok)
	m, ok := relit.Any(parts)
	require.True(t, ok)
	for subject, want := range map[string]bool{"xAB": true, "xc": false, "c": true, "": false, "É": false} {
		require.Equal(t, want, m.MatchString(subject), subject)
	}
	_, ok = s.exactParts([]string{"a.b", "c"})
	require.False(t, ok, "a pattern the string tests do not decide")
	_, ok = s.exactParts([]string{"a", "("})
	require.False(t, ok, "a pattern that does not compile")
}
