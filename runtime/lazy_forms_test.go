package runtime_test

import (
	"bytes"
	"testing"

	"github.com/google/cel-go/cel"
	celast "github.com/google/cel-go/common/ast"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/proto"

	"github.com/stixcel/stixcel"
	"github.com/stixcel/stixcel/celenv"
	"github.com/stixcel/stixcel/compiler/parsed"
	"github.com/stixcel/stixcel/internal/shared"
	"github.com/stixcel/stixcel/plan"
	"github.com/stixcel/stixcel/runtime"
)

// TestLazyFormsDeriveWhatCheckedFormsDo: New reads the routes, needs, field slots and
// specializers of most of an artifact's channel expressions from their parsed forms, and
// checks and plans a form only when its channel is first evaluated. Over every channel of
// the enterprise plans, the built-in pack and SigmaHQ's Windows rules, what it derives that
// way must be what it derives from the checked expressions, slot numbers included, and
// each form it defers must be read as cel-go reads it (celenv.DecodeTree) and keep its tree
// through the check.
func TestLazyFormsDeriveWhatCheckedFormsDo(t *testing.T) {
	if testing.Short() {
		t.Skip("compiles SigmaHQ's Windows rules")
	}
	set := realArtifact(t)
	eagerChannels, eagerExprs, none, err := runtime.BuildDecisions(set, true)
	require.NoError(t, err)
	require.Zero(t, none)
	lazyChannels, lazyExprs, lazy, err := runtime.BuildDecisions(set, false)
	require.NoError(t, err)
	t.Logf("%d of %d channel expressions read from their forms", lazy, len(lazyExprs))
	assert.Greater(t, lazy, len(lazyExprs)*9/10, "most channel expressions of the artifact are read from their forms")
	assert.Equal(t, eagerChannels, lazyChannels)
	assert.Equal(t, eagerExprs, lazyExprs)

	kept := 0
	for _, p := range set.Plans {
		env, err := celenv.ChannelEnv(p.Params)
		require.NoError(t, err)
		for _, ch := range p.Channels {
			if ch.Parsed == nil {
				continue
			}
			for _, form := range []*plan.ParsedExpr{ch.Parsed.Selector, ch.Parsed.Predicate} {
				if form == nil {
					continue
				}
				tree, err := celenv.DecodeParsed(form.Expr)
				require.NoError(t, err)
				read, ok := celenv.DecodeTree(form.Expr)
				if !ok || !celenv.CheckKeepsTree(read) {
					continue
				}
				kept++
				want, err := celast.ExprToProto(tree.NativeRep().Expr())
				require.NoError(t, err)
				got, err := celast.ExprToProto(read)
				require.NoError(t, err)
				require.True(t, proto.Equal(want, got), "%s %s: DecodeTree read another tree", p.ID, ch.ID)
				before, err := cel.AstToParsedExpr(tree)
				require.NoError(t, err)
				checked, _, err := celenv.CheckBool(env, tree)
				require.NoError(t, err, "%s %s", p.ID, ch.ID)
				after, err := cel.AstToParsedExpr(checked)
				require.NoError(t, err)
				require.True(t, proto.Equal(before.GetExpr(), after.GetExpr()), "%s %s: the check rewrote the tree", p.ID, ch.ID)
			}
		}
	}
	assert.Positive(t, kept)
	t.Logf("%d forms keep their tree through the check", kept)
}

// realArtifact is the enterprise plans, the built-in pack and SigmaHQ's Windows rules
// compiled with their parsed forms, as `stixcel compile` writes them and `run --plans`
// reads them.
func realArtifact(t *testing.T) *plan.Set {
	t.Helper()
	bundle := shared.Path(t, "attack", "enterprise-attack-18.1-detection.json")
	rules := shared.Path(t, "sigma", "rules", "windows")
	l, err := stixcel.Inputs{Bundles: []string{bundle}, Sigma: []string{rules}}.Load()
	require.NoError(t, err)
	set, _ := l.Compile("")
	require.NotNil(t, set)
	parsed.Attach(set)
	var buf bytes.Buffer
	require.NoError(t, set.Write(&buf))
	out, err := plan.ParseRunnable(buf.Bytes(), func(k plan.Kind, hunt bool) bool { return plan.Runs(k, hunt, false) })
	require.NoError(t, err)
	return out
}
