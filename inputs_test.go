package stixcel_test

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/stixcel/stixcel"
	"github.com/stixcel/stixcel/compiler/attack"
	"github.com/stixcel/stixcel/internal/shared"
	"github.com/stixcel/stixcel/plan"
)

// The zero Inputs compile the built-in pack over the embedded seed bundle, as a plain
// `stixcel compile` does.
func ExampleInputs_Compile() {
	set, diags, err := stixcel.Inputs{}.Compile()
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(len(set.Plans), set.Plans[0].ID, set.Plans[0].Kind, diags.HasErrors())
	// Output: 1 AN1828 detection false
}

func hasAnalytic(ix *attack.Index, id string) bool {
	for _, a := range ix.Analytics {
		if a.ID == id {
			return true
		}
	}
	return false
}

func TestInputsLoadSeed(t *testing.T) {
	l, err := stixcel.Inputs{}.Load()
	require.NoError(t, err)
	assert.True(t, hasAnalytic(l.Index, "AN1828"))
	assert.Empty(t, l.Warnings, "the seed's own warnings are left out")
	_, warns, err := attack.Load([]attack.Source{{Name: stixcel.SeedBundleName, Data: stixcel.SeedBundle()}}, attack.Options{})
	require.NoError(t, err)
	assert.NotEmpty(t, warns, "the seed has warnings to leave out")
	require.NotNil(t, l.Builtin)
	assert.Equal(t, []string{"analytics/mobile/AN1828.yaml"}, bindingFiles(l, "AN1828"))
	assert.Empty(t, l.Diagnostics())
}

func bindingFiles(l *stixcel.Loaded, id string) []string {
	var files []string
	for _, p := range l.AllPacks() {
		for _, b := range p.Bindings {
			if b.Analytic.Value == id {
				files = append(files, b.File)
			}
		}
	}
	return files
}

func TestInputsNoBuiltin(t *testing.T) {
	l, err := stixcel.Inputs{NoBuiltin: true}.Load()
	require.NoError(t, err)
	assert.Nil(t, l.Builtin)
	assert.Empty(t, l.AllPacks())
	set, diags := l.Compile("")
	require.NoError(t, diags.Err())
	assert.Equal(t, plan.KindSelector, set.Plans[0].Kind, "without a binding AN1828 keeps its derived selector")
}

// TestInputsSeedRule checks the one rule every command loads bundles by: the embedded seed
// bundle only when no bundle is named, or where it is named by SeedBundleName.
func TestInputsSeedRule(t *testing.T) {
	enterprise := shared.Path(t, "attack", "enterprise-attack-18.1-detection.json")
	tests := []struct {
		name         string
		bundles      []string
		seed, AN1030 bool
	}{
		{name: "no bundle: the seed", seed: true},
		{name: "a bundle: only it", bundles: []string{enterprise}, AN1030: true},
		{name: "a bundle and the seed by name", bundles: []string{enterprise, stixcel.SeedBundleName}, seed: true, AN1030: true},
		{name: "the seed by name alone", bundles: []string{stixcel.SeedBundleName}, seed: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			l, err := stixcel.Inputs{Bundles: tc.bundles, NoBuiltin: true}.Load()
			require.NoError(t, err)
			assert.Equal(t, tc.seed, hasAnalytic(l.Index, "AN1828"), "AN1828 (the seed)")
			assert.Equal(t, tc.AN1030, hasAnalytic(l.Index, "AN1030"), "AN1030 (enterprise)")
			for _, w := range l.Warnings {
				assert.NotEqual(t, stixcel.SeedBundleName, w.Pos.File, "the seed's known gaps are not the user's")
			}
		})
	}
}

func TestInputsStdin(t *testing.T) {
	l, err := stixcel.Inputs{Bundles: []string{"-"}, Stdin: bytes.NewReader(stixcel.SeedBundle()), NoBuiltin: true}.Load()
	require.NoError(t, err)
	assert.Len(t, l.Index.Analytics, 1)
	assert.NotEmpty(t, l.Warnings, "the seed read from stdin is the user's bundle")
}

func TestInputsPacksWinOverBuiltin(t *testing.T) {
	dir := t.TempDir()
	binding := "analytic: AN1828\nchannels:\n  c1: event.dst_port == 4444\n"
	require.NoError(t, os.WriteFile(filepath.Join(dir, "AN1828.yaml"), []byte(binding), 0o644))
	l, err := stixcel.Inputs{Packs: []string{dir}}.Load()
	require.NoError(t, err)
	assert.Equal(t, []string{"analytics/mobile/AN1828.yaml", filepath.Join(dir, "AN1828.yaml")}, bindingFiles(l, "AN1828"))
	set, diags := l.Compile("")
	require.NoError(t, diags.Err())
	assert.Equal(t, "event.dst_port == 4444", set.Plans[0].Channel("c1").Predicate)
}

func TestInputsErrors(t *testing.T) {
	l, err := stixcel.Inputs{Bundles: []string{"testdata/no-such-bundle.json"}}.Load()
	assert.Error(t, err)
	assert.Nil(t, l)

	l, err = stixcel.Inputs{Taxonomy: "testdata/no-such-taxonomy.yaml"}.Load()
	assert.ErrorContains(t, err, "testdata/no-such-taxonomy.yaml")
	require.NotNil(t, l, "the bundles loaded before the taxonomy failed")
	assert.NotNil(t, l.Index)

	_, _, err = stixcel.Inputs{Taxonomy: "testdata/no-such-taxonomy.yaml"}.Compile()
	assert.Error(t, err)
}

func TestInputsUnreadableProfileIsADiagnostic(t *testing.T) {
	set, diags, err := stixcel.Inputs{Profile: "testdata/no-such-profile.yaml"}.Compile()
	require.NoError(t, err)
	require.NotNil(t, set)
	require.True(t, diags.HasErrors())
	assert.Equal(t, "testdata/no-such-profile.yaml", diags[0].Pos.File)
}
