package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// runIn runs the CLI in-process with dir as its working directory (where the project file
// is looked for), as a user would from dir.
func runIn(t *testing.T, dir string, args ...string) result {
	t.Helper()
	var out, errb bytes.Buffer
	c := &cli{stdin: strings.NewReader(""), stdout: &out, stderr: &errb, dir: dir}
	code := c.execute(args)
	return result{code: code, stdout: out.String(), stderr: errb.String()}
}

// contentRepo makes a content repository in a temporary directory: a git root holding the
// AN1828 binding with its test events under rules/mobile and the seed bundle as
// attack/AN1828.json; files adds more (slash paths relative to the root).
func contentRepo(t *testing.T, files map[string]string) string {
	t.Helper()
	root := t.TempDir()
	copyFile := func(from, to string) {
		data, err := os.ReadFile(filepath.FromSlash(from))
		require.NoError(t, err)
		writeFile(t, filepath.Join(root, filepath.FromSlash(to)), string(data))
	}
	require.NoError(t, os.Mkdir(filepath.Join(root, ".git"), 0o755))
	copyFile("analytics/mobile/AN1828.yaml", "rules/mobile/AN1828.yaml")
	tests, err := os.ReadDir("analytics/mobile/tests")
	require.NoError(t, err)
	for _, e := range tests {
		copyFile("analytics/mobile/tests/"+e.Name(), "rules/mobile/tests/"+e.Name())
	}
	copyFile("analytics/seed/AN1828.json", "attack/AN1828.json")
	for name, content := range files {
		writeFile(t, filepath.Join(root, filepath.FromSlash(name)), content)
	}
	return root
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o755))
	require.NoError(t, os.WriteFile(path, []byte(content), 0o644))
}

// usingLine is what a command prints first when it uses the project file at path.
func usingLine(path string) string {
	return "using " + filepath.Base(path) + " (" + path + ")\n"
}

func TestInitThenTestAndLintWithNoFlags(t *testing.T) {
	root := contentRepo(t, nil)
	r := runIn(t, root, "init")
	require.Equal(t, exitOK, r.code, r.stderr)
	data, err := os.ReadFile(filepath.Join(root, "stixcel.yaml"))
	require.NoError(t, err)
	assert.Contains(t, string(data), "packs:\n  - \"rules/mobile\"\n")
	assert.Contains(t, string(data), "bundles:\n  - \"attack/AN1828.json\"\n")
	assert.Contains(t, string(data), "https://github.com/mitre-attack/attack-stix-data/releases")

	sub := filepath.Join(root, "rules")
	r = runIn(t, sub, "test")
	require.Equal(t, exitOK, r.code, r.stderr)
	assert.True(t, strings.HasPrefix(r.stderr, usingLine(filepath.Join(root, "stixcel.yaml"))), r.stderr)
	assert.Contains(t, r.stderr, filepath.Join(root, "attack", "AN1828.json"), "the project's bundle is loaded")
	assert.Contains(t, r.stdout, "PASS: 6/6", "the project's pack is tested, not the built-in one")

	r = runIn(t, sub, "lint")
	require.Equal(t, exitOK, r.code, r.stderr)
	assert.True(t, strings.HasPrefix(r.stderr, usingLine(filepath.Join(root, "stixcel.yaml"))), r.stderr)
	assert.Contains(t, r.stderr, "0 errors, 0 warnings", "only the project's pack is linted")

	binding := filepath.Join(root, "rules", "mobile", "AN1828.yaml")
	before, err := os.ReadFile(binding)
	require.NoError(t, err)
	r = runIn(t, sub, "test", "--junit", binding)
	assert.Equal(t, exitInput, r.code, "--junit over a binding of the project's pack")
	assert.Contains(t, r.stderr, "an output may not overwrite an input")
	after, err := os.ReadFile(binding)
	require.NoError(t, err)
	assert.Equal(t, string(before), string(after))

	r = runIn(t, root, "init")
	assert.Equal(t, exitInput, r.code)
	assert.Contains(t, r.stderr, "stixcel.yaml already exists; --force replaces it")
	assert.Equal(t, exitOK, runIn(t, root, "init", "--force").code)
}

func TestProjectFileMeetsFlags(t *testing.T) {
	const seed = "builtin:analytics/seed/AN1828.json"
	root := contentRepo(t, map[string]string{
		"stixcel.yaml":       "bundles: [attack/AN1828.json]\nparams: missing-params.yaml\nsigma: [sigma/]\n",
		"elsewhere/alt.yaml": "bundles: [../attack/AN1828.json]\n",
		"sub/dir/.keep":      "",
	})
	file := filepath.Join(root, "stixcel.yaml")
	sub := filepath.Join(root, "sub", "dir")
	tests := []struct {
		name     string
		dir      string
		args     []string
		code     int
		want     []string // on stderr
		wantNot  []string
		noConfig bool // no project file is used
	}{
		{
			name: "found in a parent, paths relative to the file",
			dir:  sub, args: []string{"compile"}, code: exitInput,
			want: []string{usingLine(file), "loaded 1 file", filepath.Join(root, "missing-params.yaml") + ": error: open"},
		},
		{
			name: "a flag overrides a single value",
			dir:  sub, args: []string{"compile", "--params", filepath.Join(root, "other.yaml")}, code: exitInput,
			want:    []string{usingLine(file), filepath.Join(root, "other.yaml") + ": error: open"},
			wantNot: []string{"missing-params.yaml"},
		},
		{
			name: "a flag adds to a list",
			dir:  sub, args: []string{"compile", "--bundle", seed}, code: exitInput,
			want: []string{usingLine(file), "loaded 2 files"},
		},
		{
			name: "Sigma rules are read from the file's paths",
			dir:  sub, args: []string{"compile"}, code: exitInput,
			want: []string{filepath.Join(root, "sigma") + ": error: sigma: stat "},
		},
		{
			name: "--no-config",
			dir:  sub, args: []string{"compile", "--no-config", "-o", filepath.Join(t.TempDir(), "plans.json")}, code: exitOK,
			noConfig: true, wantNot: []string{"missing-params.yaml"},
		},
		{
			name: "--config FILE, relative to the working directory",
			dir:  root, args: []string{"compile", "--config", "elsewhere/alt.yaml", "-o", filepath.Join(t.TempDir(), "plans.json")}, code: exitOK,
			want:    []string{usingLine(filepath.Join(root, "elsewhere", "alt.yaml")), "loaded 1 file"},
			wantNot: []string{"missing-params.yaml"},
		},
		{
			name: "--config and --no-config",
			dir:  root, args: []string{"compile", "--config", "elsewhere/alt.yaml", "--no-config"}, code: exitInput,
			want: []string{"--config and --no-config: give one"}, noConfig: true,
		},
		{
			name: "a missing --config FILE",
			dir:  root, args: []string{"lint", "--config", "nope.yaml"}, code: exitInput,
			want: []string{"project file: ", filepath.Join(root, "nope.yaml")}, noConfig: true,
		},
		{
			name: "not found: nothing changes",
			dir:  t.TempDir(), args: []string{"compile", "-o", filepath.Join(t.TempDir(), "plans.json")}, code: exitOK,
			noConfig: true,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := runIn(t, tc.dir, tc.args...)
			assert.Equal(t, tc.code, r.code, r.stderr)
			for _, w := range tc.want {
				assert.Contains(t, r.stderr, w)
			}
			for _, w := range tc.wantNot {
				assert.NotContains(t, r.stderr, w)
			}
			if tc.noConfig {
				assert.NotContains(t, r.stderr, "using ")
			}
		})
	}
}

func TestProjectFileUnknownKey(t *testing.T) {
	root := contentRepo(t, map[string]string{"stixcel.yaml": "packs: [rules/mobile]\nbundels: [attack/AN1828.json]\n"})
	r := runIn(t, root, "test")
	assert.Equal(t, exitInput, r.code)
	file := filepath.Join(root, "stixcel.yaml")
	assert.Contains(t, r.stderr, file+`:2:1: error: unknown key "bundels" in stixcel.yaml; did you mean "bundles"?`)
	assert.Contains(t, r.stderr, "stixcel: "+file+": 1 error(s) in the project file")
	assert.Empty(t, r.stdout, "nothing runs")
}

func TestProjectPacksAndPackArguments(t *testing.T) {
	bad := "analytic: AN1828\ngrop_by: [host]\n"
	root := contentRepo(t, map[string]string{
		"stixcel.yaml":       "packs: [mine]\n",
		"mine/AN1828.yaml":   bad,
		"theirs/AN1828.yaml": bad,
	})
	r := runIn(t, root, "lint", filepath.Join(root, "theirs"))
	assert.Equal(t, exitFindings, r.code)
	assert.Contains(t, r.stderr, usingLine(filepath.Join(root, "stixcel.yaml")))
	for _, pack := range []string{"mine", "theirs"} {
		assert.Contains(t, r.stdout, filepath.Join(root, pack, "AN1828.yaml")+`:2:1: error: unknown key "grop_by" in binding; did you mean "group_by"?`,
			"a PACK_DIR argument adds to the project's packs")
	}
}

func TestProjectFileLeavesACompiledArtifactAlone(t *testing.T) {
	root := contentRepo(t, map[string]string{"stixcel.yaml": "bundles: [attack/AN1828.json]\nparams: missing-params.yaml\nsource: nope\n"})
	plans := filepath.Join(t.TempDir(), "plans.json")
	require.Equal(t, exitOK, runIn(t, root, "compile", "--no-config", "-o", plans).code)
	r := runIn(t, root, "run", "--plans", plans)
	assert.Equal(t, exitInput, r.code)
	assert.Contains(t, r.stderr, `no built-in source profile "nope"`, "the project's source is used with --plans")
	assert.NotContains(t, r.stderr, "--plans runs a compiled artifact", "the project's bundles and params are not")
}

// The repository itself must hold no project file: the CLI tests run from its root and
// would pick it up.
func TestRepositoryHasNoProjectFile(t *testing.T) {
	_, err := os.Stat("stixcel.yaml")
	assert.ErrorIs(t, err, os.ErrNotExist)
}
