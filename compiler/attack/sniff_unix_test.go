//go:build unix

package attack

import (
	"path/filepath"
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestLooksLikeBundleLeavesFIFOsAlone: a FIFO is never opened (it would block, and its
// bytes would be lost to the command that reads it).
func TestLooksLikeBundleLeavesFIFOsAlone(t *testing.T) {
	fifo := filepath.Join(t.TempDir(), "events.fifo")
	require.NoError(t, syscall.Mkfifo(fifo, 0o600))
	assert.False(t, LooksLikeBundle(fifo))
}
