package stixcel_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/stixcel/stixcel"
)

// TestPackPaths: a binding file stands for its directory, restricted to the files named in
// it; its directory named as well loads every binding, once; a file that is not YAML is
// refused by name.
func TestPackPaths(t *testing.T) {
	dir := t.TempDir()
	for name, body := range map[string]string{
		"a.yaml":    "analytic: AN1030\nchannels:\n  c1: \"true\"\n",
		"b.yml":     "analytic: AN0235\nchannels:\n  c1: \"true\"\n",
		"c.yaml":    "analytic: AN1828\nchannels:\n  c1: \"true\"\n",
		"notes.txt": "x",
	} {
		require.NoError(t, os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644))
	}
	a, b := filepath.Join(dir, "a.yaml"), filepath.Join(dir, "b.yml")
	tests := []struct {
		name  string
		paths []string
		want  []string // the loaded bindings' analytics
	}{
		{name: "a directory", paths: []string{dir}, want: []string{"AN1030", "AN0235", "AN1828"}},
		{name: "a binding file", paths: []string{a}, want: []string{"AN1030"}},
		{name: "two files of one directory", paths: []string{a, b}, want: []string{"AN1030", "AN0235"}},
		{name: "a file and its directory", paths: []string{a, dir}, want: []string{"AN1030", "AN0235", "AN1828"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			pp, err := stixcel.ParsePackPaths(tc.paths)
			require.NoError(t, err)
			require.Len(t, pp.Dirs, 1, "one directory, loaded once")
			l, err := stixcel.Inputs{Packs: pp.Dirs, NoBuiltin: true}.Load()
			require.NoError(t, err)
			pp.Restrict(l)
			var got []string
			for _, b := range l.Packs[0].Bindings {
				got = append(got, b.Analytic.Value)
			}
			assert.ElementsMatch(t, tc.want, got)
		})
	}

	_, err := stixcel.ParsePackPaths([]string{filepath.Join(dir, "notes.txt")})
	assert.ErrorContains(t, err, "notes.txt is a file but not a YAML binding: want a pack directory or a binding file (.yaml, .yml)")
}

// TestReadPackFile: a diagnostic's file is read from disk, else from the built-in pack.
func TestReadPackFile(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "x.yaml"), []byte("on disk"), 0o644))
	t.Chdir(dir)
	data, err := stixcel.ReadPackFile("x.yaml")
	require.NoError(t, err)
	assert.Equal(t, "on disk", string(data))
	data, err = stixcel.ReadPackFile(filepath.Join("analytics", "mobile", "AN1828.yaml"))
	require.NoError(t, err)
	assert.Contains(t, string(data), "AN1828")
	_, err = stixcel.ReadPackFile("no/such/file.yaml")
	assert.Error(t, err)
}
