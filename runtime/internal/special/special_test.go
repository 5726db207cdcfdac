package special

import (
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/google/cel-go/common/types"
	"github.com/stretchr/testify/require"
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
