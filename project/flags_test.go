package project_test

import (
	"errors"
	"path/filepath"
	"testing"

	"github.com/spf13/pflag"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/stixcel/stixcel/project"
)

// commandFlags are the flags of a command that loads bundles and packs (run's), or only
// those named in have.
type commandFlags struct {
	bundles, packs           []string
	params, taxonomy, source string
	plans                    string
}

func newFlags(f *commandFlags, have ...string) *pflag.FlagSet {
	fl := pflag.NewFlagSet("cmd", pflag.ContinueOnError)
	register := map[string]func(){
		"bundle":   func() { fl.StringArrayVar(&f.bundles, "bundle", nil, "") },
		"pack":     func() { fl.StringArrayVar(&f.packs, "pack", nil, "") },
		"params":   func() { fl.StringVar(&f.params, "params", "", "") },
		"taxonomy": func() { fl.StringVar(&f.taxonomy, "taxonomy", "", "") },
		"source":   func() { fl.StringVar(&f.source, "source", "", "") },
		"plans":    func() { fl.StringVar(&f.plans, "plans", "", "") },
	}
	if len(have) == 0 {
		have = []string{"bundle", "pack", "params", "taxonomy", "source", "plans"}
	}
	for _, name := range have {
		register[name]()
	}
	return fl
}

// TestApply: the project file's contract with flags. Lists are added to by flags (the file's
// entries first, so a later pack wins as among flags), single values are overridden by
// flags, and with --plans only --source is filled.
func TestApply(t *testing.T) {
	file := &project.File{
		Bundles: []string{"/p/enterprise.json"}, Packs: []string{"/p/rules", "/p/more"},
		Params: "/p/params.yaml", Taxonomy: "/p/taxonomy.yaml", Source: "sysmon",
	}
	tests := []struct {
		name string
		file *project.File
		have []string // the command's flags; all when empty
		args []string
		want commandFlags
	}{
		{"no flags: the file's values", file, nil, nil, commandFlags{
			bundles: file.Bundles, packs: file.Packs, params: file.Params, taxonomy: file.Taxonomy, source: "sysmon"}},
		{"list flags add after the file's entries", file, nil, []string{"--pack", "mine", "--bundle", "b.json"}, commandFlags{
			bundles: []string{"/p/enterprise.json", "b.json"}, packs: []string{"/p/rules", "/p/more", "mine"},
			params: file.Params, taxonomy: file.Taxonomy, source: "sysmon"}},
		{"single flags override", file, nil, []string{"--params", "p.yaml", "--taxonomy", "t.yaml", "--source", "zeek"}, commandFlags{
			bundles: file.Bundles, packs: file.Packs, params: "p.yaml", taxonomy: "t.yaml", source: "zeek"}},
		{"an empty flag value still overrides", file, nil, []string{"--params="}, commandFlags{
			bundles: file.Bundles, packs: file.Packs, taxonomy: file.Taxonomy, source: "sysmon"}},
		{"--plans: only the source", file, nil, []string{"--plans", "plans.json"}, commandFlags{
			source: "sysmon", plans: "plans.json"}},
		{"a command without some flags", file, []string{"pack"}, []string{"--pack", "mine"}, commandFlags{
			packs: []string{"/p/rules", "/p/more", "mine"}}},
		{"an empty file changes nothing", &project.File{}, nil, []string{"--bundle", "b.json"}, commandFlags{
			bundles: []string{"b.json"}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var got commandFlags
			fl := newFlags(&got, tc.have...)
			require.NoError(t, fl.Parse(tc.args))
			require.NoError(t, tc.file.Apply(fl))
			assert.Equal(t, tc.want, got)
		})
	}
}

// TestOpen: the file --config names (relative to the working directory), else the one found
// from it; none is nil; errors in the file are counted and keep their diagnostics.
func TestOpen(t *testing.T) {
	root := tree(t, map[string]string{
		"repo/.git/":            "",
		"repo/stixcel.yaml":     "packs: [rules]\n",
		"repo/sub/":             "",
		"repo/ci/other.yaml":    "params: p.yaml\n",
		"repo/ci/bad.yaml":      "packs: [rules]\ngroup: x\nbundle: y\n",
		"empty/.git/":           "",
		"repo/ci/notyaml.yaml/": "",
	})
	repo := filepath.Join(root, "repo")
	tests := []struct {
		name, dir, config string
		wantPath          string // "" for no file
	}{
		{"found upward", "repo/sub", "", "repo/stixcel.yaml"},
		{"named relative to the working directory", "repo/sub", "../ci/other.yaml", "repo/ci/other.yaml"},
		{"named absolute", "empty", filepath.Join(repo, "ci", "other.yaml"), "repo/ci/other.yaml"},
		{"none", "empty", "", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f, err := project.Open(filepath.Join(root, filepath.FromSlash(tc.dir)), tc.config)
			require.NoError(t, err)
			if tc.wantPath == "" {
				assert.Nil(t, f)
				return
			}
			require.NotNil(t, f)
			assert.Equal(t, filepath.Join(root, filepath.FromSlash(tc.wantPath)), f.Path)
		})
	}

	_, err := project.Open(repo, "ci/bad.yaml")
	var fe *project.FileError
	require.ErrorAs(t, err, &fe)
	bad := filepath.Join(repo, "ci", "bad.yaml")
	assert.Equal(t, bad+": 2 error(s) in the project file", err.Error())
	assert.Len(t, fe.Diags, 2)
	assert.Equal(t, bad, fe.Diags[0].Pos.File)

	_, err = project.Open(repo, "ci/notyaml.yaml")
	require.Error(t, err)
	assert.False(t, errors.As(err, new(*project.FileError)), "an unreadable file is no FileError")
	assert.Regexp(t, `^project file: .*notyaml\.yaml`, err.Error())
}

// TestPacksBefore: test and lint read the project file's packs first, then their PACK_DIR
// arguments, so that an argument's binding wins over the file's.
func TestPacksBefore(t *testing.T) {
	var none *project.File
	assert.Equal(t, []string{"a"}, none.PacksBefore([]string{"a"}), "no project file")
	assert.Empty(t, none.PacksBefore(nil))
	f := &project.File{Packs: []string{"/p/rules"}}
	assert.Equal(t, []string{"/p/rules", "a", "b"}, f.PacksBefore([]string{"a", "b"}))
	assert.Equal(t, []string{"/p/rules"}, f.PacksBefore(nil))
	assert.Equal(t, []string{"/p/rules"}, f.Packs, "the file's list is left alone")
}
