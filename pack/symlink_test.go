package pack

import (
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/stixcel/stixcel/diag"
)

// TestBindingSymlinkMayNotLeaveThePack: a binding file that is a symlink leaving the pack
// (to a file, or through a linked directory) is an error naming the link and the pack, and
// nothing of the file it points to is read (before, lint printed the first line of
// pack/leak.yaml -> ~/.ssh/config in its YAML error); links that stay inside the pack, and a
// pack directory that is itself a link, still load.
func TestBindingSymlinkMayNotLeaveThePack(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("symlinks")
	}
	const secret = "Host bastion IdentityFile SECRET"
	an1828, err := os.ReadFile("testdata/AN1828.yaml")
	require.NoError(t, err)
	tests := []struct {
		name    string
		layout  func(t *testing.T, dir, outside string) string // returns the pack to load
		wantErr string                                         // DIR and OUTSIDE replaced
	}{
		{name: "a file linked outside", wantErr: "DIR/leak.yaml: error: reading binding: binding file DIR/leak.yaml resolves to OUTSIDE/config.yaml, outside the pack DIR",
			layout: func(t *testing.T, dir, outside string) string {
				require.NoError(t, os.Symlink(filepath.Join(outside, "config.yaml"), filepath.Join(dir, "leak.yaml")))
				return dir
			}},
		{name: "a relative link out", wantErr: "resolves to OUTSIDE/config.yaml, outside the pack DIR",
			layout: func(t *testing.T, dir, outside string) string {
				require.NoError(t, os.Symlink("../outside/config.yaml", filepath.Join(dir, "leak.yaml")))
				return dir
			}},
		{name: "a file linked inside the pack",
			layout: func(t *testing.T, dir, outside string) string {
				require.NoError(t, os.Rename(filepath.Join(dir, "AN1828.yaml"), filepath.Join(dir, "real.binding")))
				require.NoError(t, os.Symlink("real.binding", filepath.Join(dir, "AN1828.yaml")))
				return dir
			}},
		{name: "the pack directory is a link",
			layout: func(t *testing.T, dir, outside string) string {
				linked := filepath.Join(outside, "linked-pack")
				require.NoError(t, os.Symlink(dir, linked))
				return linked
			}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			base := t.TempDir()
			dir, outside := filepath.Join(base, "pack"), filepath.Join(base, "outside")
			require.NoError(t, os.Mkdir(dir, 0o755))
			require.NoError(t, os.Mkdir(outside, 0o755))
			require.NoError(t, os.WriteFile(filepath.Join(dir, "AN1828.yaml"), an1828, 0o644))
			require.NoError(t, os.WriteFile(filepath.Join(outside, "config.yaml"), []byte(secret+"\n"), 0o600))
			root := tc.layout(t, dir, outside)
			bindings, diags := LoadOSDir(root)
			if tc.wantErr == "" {
				require.Empty(t, diags)
				require.NotEmpty(t, bindings)
				return
			}
			require.Len(t, diags, 1)
			assert.Equal(t, diag.CodeIO, diags[0].Code)
			want := tc.wantErr
			for _, r := range [][2]string{{"DIR", root}, {"OUTSIDE", outside}} {
				want = strings.ReplaceAll(want, r[0], r[1])
			}
			assert.Contains(t, diags[0].Error(), want)
			assert.NotContains(t, diags[0].Error(), "SECRET", "nothing of the linked file is shown")
			require.Len(t, bindings, 1, "the pack's own binding still loads")
		})
	}
}
