//go:build unix

package attack

import (
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestLooksLikeBundleLeavesFIFOsAlone: a FIFO is never opened (it would block, and its
// bytes would be lost to the command that reads it).
func TestLooksLikeBundleLeavesFIFOsAlone(t *testing.T) {
	fifo := filepath.Join(t.TempDir(), "events.fifo")
	require.NoError(t, syscall.Mkfifo(fifo, 0o600))
	done := make(chan bool, 1)
	go func() { done <- LooksLikeBundle(fifo) }()
	select {
	case got := <-done:
		assert.False(t, got)
	case <-time.After(5 * time.Second):
		t.Fatal("LooksLikeBundle blocked opening a FIFO")
	}
}
