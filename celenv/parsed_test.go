package celenv

import (
	"strings"
	"testing"

	"github.com/google/cel-go/cel"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/proto"

	"github.com/stixcel/stixcel/plan"
)

// TestCheckKeepsTree: the runtime reads routes, needs and field slots from the parse of a
// form it checks only when first evaluated, so CheckKeepsTree must accept only trees the
// checker leaves as they are (every accepted one here is checked and compared node for
// node) and refuse those it rewrites or that no overload takes.
func TestCheckKeepsTree(t *testing.T) {
	params := []*plan.Param{{Name: "Names", Type: plan.ParseType("list(string)")}}
	env, err := ChannelEnv(params)
	require.NoError(t, err)
	tests := []struct {
		text  string
		keeps bool
	}{
		{`event.EventID == 1 && has(event.Image) && event.Image.lowerAscii().endsWith('\\cmd.exe')`, true},
		{`event.CommandLine.contains('x') || event.CommandLine.matches('(?i)^a.*b$')`, true},
		{`event.EventID in [1, 4688] && !(event.User in ['SYSTEM'])`, true},
		{`event.?Image.orValue('') == 'a' && event.Image[0] == 'a'`, true},
		{`event.x.containsAny(['a', 'b']) && event.anyStringMatches('a') && size(event.x) > 2`, true},
		{`isIP(event.ip) && cidr('10.0.0.0/8').containsIP(event.ip)`, true},
		{`event.x.format([1]) == 'a' && event.x.indexOf('a') > 0`, true},
		{`event.x in params.Names`, false},                         // params: forms read none
		{`.event.x == 'a'`, false},                                 // rewritten to event
		{`strings.quote(event.x) == 'a'`, false},                   // a namespaced function
		{`[1, 2].exists(x, x == event.n)`, false},                  // a comprehension
		{`google.protobuf.Int64Value{value: 1} == event.n`, false}, // a message literal
		{`type(event.x) == string`, false},                         // a type name
		{`optional.none() == event.?x`, false},                     // a namespaced function
	}
	for _, tc := range tests {
		t.Run(tc.text, func(t *testing.T) {
			parsed, iss := env.Parse(tc.text)
			require.NoError(t, iss.Err())
			assert.Equal(t, tc.keeps, CheckKeepsTree(parsed.NativeRep().Expr()))
			if !tc.keeps {
				return
			}
			before, err := cel.AstToParsedExpr(parsed)
			require.NoError(t, err)
			checked, _, err := CheckBool(env, parsed)
			require.NoError(t, err)
			after, err := cel.AstToParsedExpr(checked)
			require.NoError(t, err)
			assert.True(t, proto.Equal(before.GetExpr(), after.GetExpr()), "the check rewrote the tree:\n%v\n%v", before.GetExpr(), after.GetExpr())
		})
	}
	for name := range env.Functions() {
		assert.False(t, strings.HasPrefix(name, "event."), "a function named %s would resolve event.F.%s", name, strings.TrimPrefix(name, "event."))
	}
}

// TestCheckKeepsTreeRefusesWrongArities: a damaged form may call a function with a number of
// arguments no overload takes; the runtime reads such a tree only after checking it.
func TestCheckKeepsTreeRefusesWrongArities(t *testing.T) {
	env, err := ChannelEnv(nil)
	require.NoError(t, err)
	parsed, iss := env.Parse(`event.a == 'x' && event.b.contains('y')`)
	require.NoError(t, iss.Err())
	require.True(t, CheckKeepsTree(parsed.NativeRep().Expr()))
	pe, err := cel.AstToParsedExpr(parsed)
	require.NoError(t, err)
	and := pe.GetExpr().GetCallExpr()
	and.Args = and.Args[:1] // && of one argument
	b, err := proto.Marshal(pe)
	require.NoError(t, err)
	damaged, err := DecodeParsed(b)
	require.NoError(t, err)
	assert.False(t, CheckKeepsTree(damaged.NativeRep().Expr()))
}
