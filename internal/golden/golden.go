// Package golden compares test output with golden files, as go/printer's tests do: run
// `go test ./PKG -update` to rewrite the files, then review the diff.
package golden

import (
	"flag"
	"os"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Update is the -update flag of every test binary that uses this package: rewrite golden
// files instead of comparing with them.
var Update = flag.Bool("update", false, "rewrite golden files")

// Check compares got with the golden file at path, or writes got to it under -update.
func Check(t testing.TB, path string, got []byte) {
	t.Helper()
	if *Update {
		require.NoError(t, os.WriteFile(path, got, 0o644))
		return
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err, "missing golden file %s; run go test with -update to write it", path)
	assert.Equal(t, string(want), string(got), "output differs from %s; if intended, run go test with -update and review the diff", path)
}
