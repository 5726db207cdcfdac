package pack

import (
	"os"
	"path/filepath"
	"testing"
	"testing/fstest"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestLoadDir(t *testing.T) {
	an1828, err := os.ReadFile("testdata/AN1828.yaml")
	require.NoError(t, err)
	fsys := fstest.MapFS{
		"pack/mobile/AN1828.yaml":         {Data: an1828},
		"pack/enterprise/AN0001.yml":      {Data: []byte("analytic: AN0001\ncondition: c1\n")},
		"pack/enterprise/tests/want.yaml": {Data: []byte("not: a binding\n")},
		"pack/mobile/tests/an1828.jsonl":  {Data: []byte("{}\n")},
		"pack/.github/workflow.yaml":      {Data: []byte("on: push\n")},
		"pack/README.md":                  {Data: []byte("# pack\n")},
		"pack/a.yaml":                     {Data: []byte("analytic: AN0002\n")},
		"pack/stixcel.yaml":               {Data: []byte("packs: [.]\n")}, // the project file
		"other/AN9999.yaml":               {Data: []byte("analytic: AN9999\n")},
	}
	bindings, diags := LoadDir(fsys, "pack")
	require.Empty(t, diags)
	var files []string
	for _, b := range bindings {
		files = append(files, b.File)
	}
	assert.Equal(t, []string{"pack/a.yaml", "pack/enterprise/AN0001.yml", "pack/mobile/AN1828.yaml"}, files)
	assert.Equal(t, "pack/mobile/tests/an1828_locked_beacon.jsonl", bindings[2].EventsPath(bindings[2].Tests[0]))
}

func TestLoadDirErrors(t *testing.T) {
	tests := []struct {
		name  string
		fsys  fstest.MapFS
		want  []string // rendered diagnostics, sorted
		files int      // bindings returned
	}{
		{
			name: "same analytic in two files",
			fsys: fstest.MapFS{
				"p/a/AN1.yaml": {Data: []byte("analytic: AN1828\n")},
				"p/b/AN2.yaml": {Data: []byte("# the same analytic again\nanalytic: AN1828\n")},
			},
			want:  []string{"p/b/AN2.yaml:2:11: error: analytic AN1828 is bound twice in the pack: p/a/AN1.yaml:1:11 and p/b/AN2.yaml:2:11"},
			files: 2,
		},
		{
			name: "a broken file does not stop the others",
			fsys: fstest.MapFS{
				"p/a.yaml": {Data: []byte("analytic: [\n")},
				"p/b.yaml": {Data: []byte("analytic: AN2\nwindw: 5m\n")},
				"p/c.yaml": {Data: []byte("analytic: AN3\n")},
			},
			want: []string{
				"p/a.yaml:1:11: error: invalid YAML: sequence end token ']' not found",
				`p/b.yaml:2:1: error: unknown key "windw" in binding; did you mean "window"?`,
			},
			files: 2,
		},
		{
			name:  "missing root",
			fsys:  fstest.MapFS{},
			want:  []string{"p: error: reading pack: open p: file does not exist"},
			files: 0,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			bindings, diags := LoadDir(tc.fsys, "p")
			var got []string
			for _, d := range diags {
				got = append(got, d.Error())
			}
			assert.Equal(t, tc.want, got)
			assert.Len(t, bindings, tc.files)
		})
	}
}

func TestLoadOSDir(t *testing.T) {
	an1828, err := os.ReadFile("testdata/AN1828.yaml")
	require.NoError(t, err)
	dir := t.TempDir()
	require.NoError(t, os.MkdirAll(filepath.Join(dir, "mobile"), 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "mobile", "AN1828.yaml"), an1828, 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "AN1.yaml"), []byte("analytic: AN1\nwindw: 5m\n"), 0o644))

	bindings, diags := LoadOSDir(dir)
	require.Len(t, bindings, 2)
	good := bindings[1]
	assert.Equal(t, filepath.Join(dir, "mobile", "AN1828.yaml"), good.File)
	assert.Equal(t, filepath.Join(dir, "mobile", "AN1828.yaml")+":24:18", good.Condition.PosAt(1, 7).String())
	assert.Equal(t, filepath.Join(dir, "mobile", "tests", "an1828_locked_beacon.jsonl"), good.EventsPath(good.Tests[0]))
	require.Len(t, diags, 1)
	assert.Equal(t, filepath.Join(dir, "AN1.yaml")+`:2:1: error: unknown key "windw" in binding; did you mean "window"?`, diags[0].Error())
}
