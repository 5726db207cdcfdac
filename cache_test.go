package stixcel

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestCacheKeysOnContent: a cached index or plan set is handed out only for the same bundle
// bytes and the built-in pack alone; a changed bundle, a pack directory or a profile compile
// anew, so a test that edits a file never sees a stale result.
func TestCacheKeysOnContent(t *testing.T) {
	dir := t.TempDir()
	bundle := filepath.Join(dir, "b.json")
	require.NoError(t, os.WriteFile(bundle, SeedBundle(), 0o644))
	cache := &Cache{}
	in := Inputs{Bundles: []string{bundle}, Cache: cache}

	first, err := in.Load()
	require.NoError(t, err)
	again, err := in.Load()
	require.NoError(t, err)
	assert.Same(t, first.Index, again.Index, "same bytes: the cached index")
	set1, _ := first.Compile("")
	set2, _ := again.Compile("")
	assert.Same(t, set1, set2, "built-in pack alone over one index: the cached set")

	withPack := in
	withPack.Packs = []string{t.TempDir()}
	l, err := withPack.Load()
	require.NoError(t, err)
	set3, _ := l.Compile("")
	assert.NotSame(t, set1, set3, "a pack directory's files may change: compiled anew")

	// The same name with other bytes (one more space) is another bundle.
	require.NoError(t, os.WriteFile(bundle, append(SeedBundle(), ' '), 0o644))
	changed, err := in.Load()
	require.NoError(t, err)
	assert.NotSame(t, first.Index, changed.Index)

	uncached, err := Inputs{Bundles: []string{bundle}}.Load()
	require.NoError(t, err)
	assert.NotSame(t, changed.Index, uncached.Index, "no cache: loaded every time")
}
