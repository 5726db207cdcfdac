package tester

import (
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/stixcel/stixcel/pack"
)

// TestEventsSymlinkMayNotLeaveThePack builds packs whose test events are symlinks: a link
// that leaves the pack (to a file, or a linked tests directory) is an error naming the link
// and the pack, and nothing of the file it points to is read (before, the first bytes of
// tests/link.jsonl -> /etc/shadow were printed in the rejection); links that stay inside the
// pack, and a pack directory that is itself a link, still work.
func TestEventsSymlinkMayNotLeaveThePack(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("symlinks")
	}
	const secret = "root:$6$SECRET:19000:0:99999:7:::"
	const testName = "AN1828/locked device beacons TLS on 4444"
	tests := []struct {
		name string
		// layout makes the pack in dir (AN1828.yaml and its tests copied there) and returns
		// the pack directory to load; outside is a directory beside the pack.
		layout  func(t *testing.T, dir, outside string) string
		wantErr string // "" for a passing case; else a substring, with DIR for the pack
	}{
		{name: "a file linked outside", wantErr: "events file DIR/tests/an1828_locked_beacon.jsonl resolves to OUTSIDE/shadow, outside the pack DIR",
			layout: func(t *testing.T, dir, outside string) string {
				events := filepath.Join(dir, "tests", "an1828_locked_beacon.jsonl")
				require.NoError(t, os.Remove(events))
				link(t, filepath.Join(outside, "shadow"), events)
				return dir
			}},
		{name: "a tests directory linked outside", wantErr: "resolves to OUTSIDE/tests/an1828_locked_beacon.jsonl, outside the pack DIR",
			layout: func(t *testing.T, dir, outside string) string {
				require.NoError(t, os.Rename(filepath.Join(dir, "tests"), filepath.Join(outside, "tests")))
				link(t, filepath.Join(outside, "tests"), filepath.Join(dir, "tests"))
				return dir
			}},
		{name: "a file linked inside the pack",
			layout: func(t *testing.T, dir, outside string) string {
				events := filepath.Join(dir, "tests", "an1828_locked_beacon.jsonl")
				require.NoError(t, os.Rename(events, filepath.Join(dir, "tests", "real.jsonl")))
				link(t, "real.jsonl", events)
				return dir
			}},
		{name: "the pack directory is a link",
			layout: func(t *testing.T, dir, outside string) string {
				linked := filepath.Join(outside, "linked-pack")
				link(t, dir, linked)
				return linked
			}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			base := t.TempDir()
			dir, outside := filepath.Join(base, "pack"), filepath.Join(base, "outside")
			require.NoError(t, os.CopyFS(dir, os.DirFS(filepath.Join("..", "analytics", "mobile"))))
			require.NoError(t, os.Mkdir(outside, 0o755))
			require.NoError(t, os.WriteFile(filepath.Join(outside, "shadow"), []byte(secret+"\n"), 0o600))
			root := tc.layout(t, dir, outside)
			p := pack.FromDir(root)
			require.Empty(t, p.Diagnostics)
			var got *Result
			for _, r := range collect(t, NewRunner(seedIndex(t), Options{}), p) {
				if r.ID() == testName {
					got = &r
				}
			}
			require.NotNil(t, got, "no result for %s", testName)
			if tc.wantErr == "" {
				require.NoError(t, got.Err)
				assert.False(t, got.Fail, got.Diff)
				return
			}
			require.Error(t, got.Err)
			want := strings.NewReplacer("DIR", root, "OUTSIDE", outside).Replace(tc.wantErr)
			assert.Contains(t, got.Err.Error(), want)
			assert.NotContains(t, got.Err.Error(), "root", "nothing of the linked file is shown")
			assert.NotContains(t, got.Err.Error(), "invalid character")
		})
	}
}

func link(t *testing.T, target, name string) {
	t.Helper()
	require.NoError(t, os.Symlink(target, name))
}
