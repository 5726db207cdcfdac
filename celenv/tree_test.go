package celenv

import (
	"math/rand"
	"testing"

	celast "github.com/google/cel-go/common/ast"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/proto"

	"github.com/stixcel/stixcel/internal/synth"
)

// formTexts are channel expressions of every shape DecodeTree reads (and some it does not):
// the synthetic pack's, and literals of each kind.
func formTexts(t *testing.T) []string {
	texts := []string{
		`event.a == null || event.b == true || event.c == -3 || event.d == 3u || event.e == 2.5 || event.f == b'\x00\xff'`,
		`event.x in {'a': 1, 'b': 2} && !has(event.y) && event.z[0] == 'é' && event.?w.orValue('') == ''`,
		`[1, 2, 3].exists(x, x == event.n)`,
		`[?event.?x, 1].size() == 1`,
		`google.protobuf.Int64Value{value: 1} == event.n`,
		`event.x.matches('(?i)^a.*\\.exe$') && event.y.lowerAscii().endsWith('\\cmd.exe')`,
	}
	for _, p := range synth.New(synth.DefaultSeed, 400).Plans().Plans {
		for _, ch := range p.Channels {
			texts = append(texts, ch.Selector, ch.Predicate)
		}
	}
	return texts
}

// TestDecodeTreeIsDecodeParsed: whatever DecodeTree reads, the synthetic pack's forms and
// those forms damaged byte by byte, it reads as DecodeParsed does, node for node, never
// panicking; and it reads the undamaged forms of the shapes it takes.
func TestDecodeTreeIsDecodeParsed(t *testing.T) {
	env, err := ChannelEnv(nil)
	require.NoError(t, err)
	rng := rand.New(rand.NewSource(1))
	read, damagedRead := 0, 0
	for _, text := range formTexts(t) {
		if text == "" {
			continue
		}
		parsed, iss := env.Parse(text)
		require.NoError(t, iss.Err(), text)
		form, err := EncodeParsed(parsed)
		require.NoError(t, err)
		if tree, ok := DecodeTree(form); ok {
			read++
			sameTree(t, form, tree, text)
		}
		for range 20 {
			damaged := append([]byte{}, form...)
			for range 1 + rng.Intn(3) {
				damaged[rng.Intn(len(damaged))] ^= byte(1 + rng.Intn(255))
			}
			var tree celast.Expr
			var ok bool
			require.NotPanics(t, func() { tree, ok = DecodeTree(damaged) }, text)
			if ok {
				damagedRead++
				sameTree(t, damaged, tree, text+" (damaged)")
			}
		}
	}
	t.Logf("%d forms read, %d damaged ones", read, damagedRead)
	assert.Greater(t, read, 1000)
	assert.Positive(t, damagedRead)
	for _, text := range []string{`[1, 2, 3].exists(x, x == event.n)`, `[?event.?x, 1].size() == 1`,
		`google.protobuf.Int64Value{value: 1} == event.n`} {
		parsed, iss := env.Parse(text)
		require.NoError(t, iss.Err())
		form, err := EncodeParsed(parsed)
		require.NoError(t, err)
		_, ok := DecodeTree(form)
		assert.False(t, ok, "%s is left to DecodeParsed", text)
	}
}

// sameTree asserts that DecodeParsed reads form as tree.
func sameTree(t *testing.T, form []byte, tree celast.Expr, text string) {
	t.Helper()
	parsed, err := DecodeParsed(form)
	require.NoError(t, err, text)
	want, err := celast.ExprToProto(parsed.NativeRep().Expr())
	require.NoError(t, err, text)
	got, err := celast.ExprToProto(tree)
	require.NoError(t, err, text)
	require.True(t, proto.Equal(want, got), "%s:\nDecodeParsed %v\nDecodeTree   %v", text, want, got)
}
