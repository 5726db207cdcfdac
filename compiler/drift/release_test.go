package drift

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/stixcel/stixcel/analytics"
)

// TestCompareReleasesFromPaths: two releases are loaded from their paths (the second from stdin), the
// report names them, and what was loaded is logged; a missing release is an error naming it.
func TestCompareReleasesFromPaths(t *testing.T) {
	seed := filepath.Join(t.TempDir(), "seed.json")
	require.NoError(t, os.WriteFile(seed, analytics.Seed(), 0o644))
	var log bytes.Buffer
	r, err := CompareReleases(seed, "-", nil, bytes.NewReader(analytics.Seed()), &log)
	require.NoError(t, err)
	assert.Equal(t, []string{seed}, r.Old.Files)
	assert.Equal(t, []string{"-"}, r.New.Files)
	assert.Empty(t, r.Changed)
	stats := ": 1 file, 1 objects: 1 analytics, 0 revoked or deprecated skipped, 0 duplicates dropped, 0 of other types ignored\n"
	assert.Equal(t, seed+": 1 warnings while loading (see stixcel compile "+seed+")\nloaded "+seed+stats+
		"-: 1 warnings while loading (see stixcel compile -)\nloaded -"+stats, log.String(), "the seed has no data components: a warning")

	_, err = CompareReleases(seed, filepath.Join(t.TempDir(), "missing.json"), nil, nil, &log)
	assert.ErrorContains(t, err, "missing.json")
}
