package analytics

import (
	"io/fs"
	"os"
	"path"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestPackFS checks the pack's file system against io/fs's contract, with its files under
// analytics/ as in the repository.
func TestPackFS(t *testing.T) {
	require.NoError(t, fstest.TestFS(Pack(), "analytics/README.md", "analytics/mobile/AN1828.yaml"))
	entries, err := fs.ReadDir(Pack(), ".")
	require.NoError(t, err)
	require.Len(t, entries, 1)
	assert.Equal(t, Root, entries[0].Name())
	assert.True(t, entries[0].IsDir())
}

func TestPackFSOutsideRoot(t *testing.T) {
	for _, name := range []string{"mobile/AN1828.yaml", "analytics-x/a.yaml", "seed/AN1828.json", "analytics/seed/AN1828.json"} {
		_, err := fs.ReadFile(Pack(), name)
		assert.ErrorIs(t, err, fs.ErrNotExist, name)
	}
	_, err := fs.ReadFile(Pack(), "analytics/nope.yaml")
	var pe *fs.PathError
	require.ErrorAs(t, err, &pe)
	assert.Equal(t, "analytics/nope.yaml", pe.Path, "errors name the file as the caller did")
}

func TestSeedIsACopy(t *testing.T) {
	s := Seed()
	require.NotEmpty(t, s)
	s[0] = 'x'
	assert.NotEqual(t, s[0], Seed()[0])
}

// TestPackEmbedsEveryFile guards the go:embed list: every file of this directory but the Go
// files and the seed is part of the pack, as when the whole directory was embedded.
func TestPackEmbedsEveryFile(t *testing.T) {
	var onDisk, embedded []string
	require.NoError(t, fs.WalkDir(os.DirFS("."), ".", func(p string, d fs.DirEntry, err error) error {
		switch {
		case err != nil:
			return err
		case d.IsDir() && p == "seed":
			return fs.SkipDir
		case !d.IsDir() && path.Ext(p) != ".go" && !strings.HasPrefix(d.Name(), "."):
			onDisk = append(onDisk, Root+"/"+p)
		}
		return nil
	}))
	require.NoError(t, fs.WalkDir(Pack(), Root, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			embedded = append(embedded, p)
		}
		return err
	}))
	assert.Equal(t, onDisk, embedded)
	assert.Contains(t, embedded, "analytics/mobile/AN1828.yaml")
}
