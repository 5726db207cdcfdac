package project_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/stixcel/stixcel/project"
)

// tree writes files (slash paths relative to a new temporary directory, "" content for a
// directory) and returns the directory.
func tree(t *testing.T, files map[string]string) string {
	t.Helper()
	root := t.TempDir()
	for name, content := range files {
		p := filepath.Join(root, filepath.FromSlash(name))
		if strings.HasSuffix(name, "/") {
			require.NoError(t, os.MkdirAll(p, 0o755))
			continue
		}
		require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
		require.NoError(t, os.WriteFile(p, []byte(content), 0o644))
	}
	return root
}

func TestFind(t *testing.T) {
	root := tree(t, map[string]string{
		"outer/stixcel.yaml":           "packs: [x]\n",
		"outer/repo/.git/":             "",
		"outer/repo/a/b/":              "",
		"outer/repo/c/stixcel.yaml":    "",
		"outer/repo/c/d/":              "",
		"outer/norepo/stixcel.yaml/":   "", // a directory is no project file
		"outer/norepo/e/":              "",
		"outer/repo/c/d/stixcel.yml":   "", // another name is no project file
		"outer/repo/a/b/.stixcel.yaml": "",
	})
	tests := []struct {
		name, dir, want string // slash paths relative to root; want "" when none
	}{
		{"in the directory", "outer/repo/c", "outer/repo/c/stixcel.yaml"},
		{"in the nearest parent", "outer/repo/c/d", "outer/repo/c/stixcel.yaml"},
		{"not above the repository's root", "outer/repo/a/b", ""},
		{"up to the file system's root without a repository", "outer/norepo/e", "outer/stixcel.yaml"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := project.Find(filepath.Join(root, filepath.FromSlash(tc.dir)))
			require.NoError(t, err)
			want := ""
			if tc.want != "" {
				want = filepath.Join(root, filepath.FromSlash(tc.want))
			}
			assert.Equal(t, want, got)
		})
	}
}

func TestParse(t *testing.T) {
	dir := filepath.FromSlash("/repo/content")
	abs := filepath.Join(string(filepath.Separator)+"abs", "b.json")
	in := `bundles: [attack/enterprise.json, ` + abs + `, "builtin:analytics/seed/AN1828.json"]
packs:
  - rules
  - rules/extra
sigma: sigma/rules
params: ../params.yaml
source: windows
taxonomy: tax.yaml
`
	f, diags := project.Parse(filepath.Join(dir, project.Name), []byte(in))
	require.Empty(t, diags)
	at := func(p string) string { return filepath.Join(dir, filepath.FromSlash(p)) }
	assert.Equal(t, &project.File{
		Path:     filepath.Join(dir, project.Name),
		Bundles:  []string{at("attack/enterprise.json"), abs, "builtin:analytics/seed/AN1828.json"},
		Packs:    []string{at("rules"), at("rules/extra")},
		Sigma:    []string{at("sigma/rules")},
		Params:   filepath.Join(filepath.Dir(dir), "params.yaml"),
		Source:   "windows",
		Taxonomy: at("tax.yaml"),
	}, f)

	f, diags = project.Parse(filepath.Join(dir, project.Name), []byte("source: profiles/app.yaml\n"))
	require.Empty(t, diags)
	assert.Equal(t, at("profiles/app.yaml"), f.Source, "a source profile file is a path")

	f, diags = project.Parse(filepath.Join(dir, project.Name), []byte("# nothing yet\n"))
	require.Empty(t, diags)
	assert.Equal(t, &project.File{Path: filepath.Join(dir, project.Name)}, f, "an empty file is an empty project")
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name, yaml string
		want       []string
	}{
		{
			name: "misspelled key",
			yaml: "packs: [rules]\nbundels: [a.json]\n",
			want: []string{`p/stixcel.yaml:2:1: error: unknown key "bundels" in stixcel.yaml; did you mean "bundles"?`},
		},
		{
			name: "unknown key",
			yaml: "rules: [x]\n",
			want: []string{`p/stixcel.yaml:1:1: error: unknown key "rules" in stixcel.yaml (want one of bundles, packs, sigma, params, source, taxonomy)`},
		},
		{
			name: "wrong shapes",
			yaml: "packs: {a: b}\nparams: [a, b]\n",
			want: []string{
				"p/stixcel.yaml:1:8: error: packs must be a list, not a mapping",
				"p/stixcel.yaml:2:9: error: params must be a string, not a list",
			},
		},
		{
			name: "stdin",
			yaml: "bundles: [-]\n",
			want: []string{"p/stixcel.yaml:1:11: error: bundles: - (stdin) cannot be named in stixcel.yaml; give it as a flag"},
		},
		{
			name: "empty path",
			yaml: "packs: [rules, '']\n",
			want: []string{"p/stixcel.yaml:1:16: error: packs[1] is empty"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, diags := project.Parse("p/stixcel.yaml", []byte(tc.yaml))
			diags.Sort()
			var got []string
			for _, d := range diags {
				got = append(got, d.Error())
			}
			assert.Equal(t, tc.want, got)
		})
	}
}

func TestLoadNamesTheFile(t *testing.T) {
	root := tree(t, map[string]string{"stixcel.yaml": "packs: [rules]\ngroup: x\n"})
	_, err := project.Load(filepath.Join(root, "stixcel.yaml"))
	require.Error(t, err)
	assert.Contains(t, err.Error(), filepath.Join(root, "stixcel.yaml")+":2:1: error: unknown key \"group\"")
}

func TestScanAndTemplate(t *testing.T) {
	binding := "analytic: AN1828\nchannels: {}\n"
	root := tree(t, map[string]string{
		"rules/windows/AN0001.yaml":     binding,
		"rules/windows/deep/AN0002.yml": binding,
		"rules/linux/AN0003.yaml":       binding,
		"rules/linux/tests/x.yaml":      binding, // test material
		"other/AN0004.yaml":             binding,
		"other/notes.yaml":              "title: not a binding\n",
		".hidden/AN0005.yaml":           binding,
		"ci/config.yaml":                "analytics: [x]\n",
		"attack/enterprise-attack.json": `{"type": "bundle", "id": "bundle--1", "objects": []}`,
		"attack/notes.json":             `{"type": "other"}`,
	})
	isBundle := func(p string) bool {
		data, err := os.ReadFile(p)
		return err == nil && strings.Contains(string(data), `"bundle"`)
	}
	found, err := project.Scan(root, isBundle)
	require.NoError(t, err)
	assert.Equal(t, project.Found{
		Packs:   []string{"other", "rules/linux", "rules/windows"},
		Bundles: []string{"attack/enterprise-attack.json"},
	}, found)

	text := project.Template(found)
	assert.Contains(t, string(text), "https://github.com/mitre-attack/attack-stix-data/releases")
	assert.Contains(t, string(text), "https://github.com/mitre/cti")
	f, diags := project.Parse(filepath.Join(root, project.Name), text)
	require.Empty(t, diags, "the template is a valid project file")
	assert.Equal(t, []string{filepath.Join(root, "other"), filepath.Join(root, "rules", "linux"), filepath.Join(root, "rules", "windows")}, f.Packs)
	assert.Equal(t, []string{filepath.Join(root, "attack", "enterprise-attack.json")}, f.Bundles)

	empty, diags := project.Parse(filepath.Join(root, project.Name), project.Template(project.Found{}))
	require.Empty(t, diags)
	assert.Empty(t, empty.Packs)
}

func TestScanPackAtTheRoot(t *testing.T) {
	root := tree(t, map[string]string{"AN0001.yaml": "analytic: AN0001\n", "sub/AN0002.yaml": "analytic: AN0002\n"})
	found, err := project.Scan(root, func(string) bool { return false })
	require.NoError(t, err)
	assert.Equal(t, []string{"."}, found.Packs)
}

func TestWriteKeepsAnExistingFile(t *testing.T) {
	root := tree(t, map[string]string{"stixcel.yaml": "packs: [mine]\n"})
	_, err := project.Write(root, []byte("packs: []\n"), false)
	require.ErrorIs(t, err, os.ErrExist)
	data, _ := os.ReadFile(filepath.Join(root, "stixcel.yaml"))
	assert.Equal(t, "packs: [mine]\n", string(data))

	_, err = project.Write(root, []byte("packs: []\n"), true)
	require.NoError(t, err)
	data, _ = os.ReadFile(filepath.Join(root, "stixcel.yaml"))
	assert.Equal(t, "packs: []\n", string(data))
}

// TestInit: init lists what it found, keeps an existing file unless forced, and writes a
// project file that loads back as those packs and bundles.
func TestInit(t *testing.T) {
	root := tree(t, map[string]string{
		"rules/AN0001.yaml":      "analytic: AN0001\n",
		"attack/enterprise.json": `{"type": "bundle"}`,
	})
	isBundle := func(p string) bool { return strings.HasSuffix(p, "enterprise.json") }
	path, found, err := project.Init(root, isBundle, false)
	require.NoError(t, err)
	assert.Equal(t, filepath.Join(root, project.Name), path)
	assert.Equal(t, project.Found{Packs: []string{"rules"}, Bundles: []string{"attack/enterprise.json"}}, found)
	f, err := project.Load(path)
	require.NoError(t, err)
	assert.Equal(t, []string{filepath.Join(root, "rules")}, f.Packs)
	assert.Equal(t, []string{filepath.Join(root, "attack", "enterprise.json")}, f.Bundles)

	require.NoError(t, os.WriteFile(path, []byte("packs: [mine]\n"), 0o644))
	again, _, err := project.Init(root, isBundle, false)
	require.ErrorIs(t, err, os.ErrExist)
	assert.Equal(t, path, again, "the error names the file kept")
	data, _ := os.ReadFile(path)
	assert.Equal(t, "packs: [mine]\n", string(data))

	_, _, err = project.Init(root, isBundle, true)
	require.NoError(t, err)
	f, err = project.Load(path)
	require.NoError(t, err)
	assert.Equal(t, []string{filepath.Join(root, "rules")}, f.Packs, "--force replaces it")

	_, _, err = project.Init(filepath.Join(root, "missing"), isBundle, false)
	assert.ErrorContains(t, err, "looking for packs: ")
}

// TestUsing: a command says which project file it uses.
func TestUsing(t *testing.T) {
	path := filepath.Join("repo", "ci", "other.yaml")
	tests := []struct {
		name string
		file project.File
		want string
	}{
		{"no sigma", project.File{Path: path, Packs: []string{"rules"}}, "using other.yaml (" + path + ")\n"},
		{"sigma", project.File{Path: path, Sigma: []string{"a", "b"}}, "using other.yaml (" + path + ")\n"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.want, tc.file.Using())
		})
	}
}
