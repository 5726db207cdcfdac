package celenv

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/google/cel-go/common/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestContainsAnyAgreesWithContains: the automaton answers as strings.Contains over each
// word does, on random words and texts over a small alphabet (many overlaps, words inside
// words, the empty word).
func TestContainsAnyAgreesWithContains(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	random := func(n int) string {
		b := make([]byte, n)
		for i := range b {
			b[i] = "abc"[rng.IntN(3)]
		}
		return string(b)
	}
	for range 2000 {
		words := make([]string, 1+rng.IntN(6))
		for i := range words {
			words[i] = random(rng.IntN(5))
		}
		a := newAutomaton(words)
		for range 20 {
			s := random(rng.IntN(12))
			want := false
			for _, w := range words {
				want = want || strings.Contains(s, w)
			}
			require.Equal(t, want, a.in(s), "%q in %q", words, s)
		}
	}
}

// TestContainsAny: the CEL function, and its cost: a list of 1,000 hashes costs about one
// traversal of the string and of the list, within the limit, where the ORed contains are not.
func TestContainsAny(t *testing.T) {
	env, err := ChannelEnv(nil)
	require.NoError(t, err)
	var quoted, ors []string
	for i := range 1000 {
		h := fmt.Sprintf("'md5=%032x'", i*7919)
		quoted = append(quoted, h)
		ors = append(ors, "event.Hashes.lowerAscii().contains("+h+")")
	}
	expr := "event.Hashes.lowerAscii().containsAny([" + strings.Join(quoted, ", ") + "])"
	ast, _, err := CompileBool(env, expr)
	require.NoError(t, err)
	require.NoError(t, CheckCost(env, ast, nil))
	orAST, _, err := CompileBool(env, strings.Join(ors, " || "))
	require.NoError(t, err)
	require.ErrorContains(t, CheckCost(env, orAST, nil), "too expensive")

	prg, err := NewProgram(env, ast, 5000)
	require.NoError(t, err)
	for _, tc := range []struct {
		hashes string
		want   bool
	}{
		{fmt.Sprintf("SHA1=00,MD5=%032X,IMPHASH=11", 5*7919), true},
		{fmt.Sprintf("MD5=%032x", 5*7919+1), false},
		{"", false},
	} {
		out, _, err := prg.Eval(map[string]any{"event": map[string]any{"Hashes": tc.hashes}})
		require.NoError(t, err)
		assert.Equal(t, types.Bool(tc.want), out, tc.hashes)
	}
}
