//go:build !windows

package main

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestRunStopsWhileOpeningAFIFO names a FIFO that no process writes: opening it blocks, and
// a signal must still stop stixcel with the signal's exit code (before, the open blocked
// and SIGINT and SIGTERM were ignored until a writer came).
func TestRunStopsWhileOpeningAFIFO(t *testing.T) {
	tests := []struct {
		sig      syscall.Signal
		wantCode int
	}{
		{syscall.SIGINT, 130},
		{syscall.SIGTERM, 143},
	}
	for _, tc := range tests {
		t.Run(tc.sig.String(), func(t *testing.T) {
			fifo := filepath.Join(t.TempDir(), "events.fifo")
			require.NoError(t, syscall.Mkfifo(fifo, 0o600))
			ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
			defer cancel()
			cmd := exec.CommandContext(ctx, os.Args[0]) // a hang fails the test, not CI
			cmd.Env = append(os.Environ(), childArgsEnv+"="+strings.Join([]string{"run", fifo}, "\x1f"))
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			require.NoError(t, cmd.Start())
			// Let the child compile the built-in pack and block opening the FIFO.
			time.Sleep(2 * time.Second)
			sent := time.Now()
			require.NoError(t, cmd.Process.Signal(tc.sig))
			err := cmd.Wait()
			t.Logf("exited %v after the signal", time.Since(sent))
			var exit *exec.ExitError
			require.True(t, errors.As(err, &exit), "exit error, got %v; stderr:\n%s", err, stderr.String())
			assert.Equal(t, tc.wantCode, exit.ExitCode(), stderr.String())
			assert.Contains(t, stderr.String(), "stixcel: stopped by "+tc.sig.String()+" while opening "+fifo)
		})
	}
}
