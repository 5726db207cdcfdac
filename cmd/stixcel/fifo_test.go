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

// TestRunStopsWhileOpeningAFIFO names a FIFO that no process writes, as the events, the plan
// artifact, a bundle or a parameter profile: opening it blocks, and a signal must still stop
// stixcel at once with the signal's exit code (before, the open of events blocked and SIGINT
// and SIGTERM were ignored until a writer came; the others were read before the signal
// watcher started).
func TestRunStopsWhileOpeningAFIFO(t *testing.T) {
	tests := []struct {
		name     string
		args     func(fifo string) []string
		sig      syscall.Signal
		wantCode int
		wantMsg  string
	}{
		{"events, SIGINT", func(p string) []string { return []string{"run", p} }, syscall.SIGINT, 130, "while opening "},
		{"events, SIGTERM", func(p string) []string { return []string{"run", p} }, syscall.SIGTERM, 143, "while opening "},
		{"--plans", func(p string) []string { return []string{"run", "--plans", p, "-"} }, syscall.SIGINT, 130, "while loading plans"},
		{"--bundle", func(p string) []string { return []string{"run", "--bundle", p, "-"} }, syscall.SIGTERM, 143, "while loading plans"},
		{"--params", func(p string) []string { return []string{"run", "--params", p, "-"} }, syscall.SIGINT, 130, "while loading plans"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			fifo := filepath.Join(t.TempDir(), "in.fifo")
			require.NoError(t, syscall.Mkfifo(fifo, 0o600))
			ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
			defer cancel()
			cmd := exec.CommandContext(ctx, os.Args[0]) // a hang fails the test, not CI
			cmd.Env = append(os.Environ(), childArgsEnv+"="+strings.Join(tc.args(fifo), "\x1f"))
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			require.NoError(t, cmd.Start())
			// Let the child start and block opening the FIFO.
			time.Sleep(2 * time.Second)
			sent := time.Now()
			require.NoError(t, cmd.Process.Signal(tc.sig))
			err := cmd.Wait()
			took := time.Since(sent)
			t.Logf("exited %v after the signal", took)
			var exit *exec.ExitError
			require.True(t, errors.As(err, &exit), "exit error, got %v; stderr:\n%s", err, stderr.String())
			assert.Equal(t, tc.wantCode, exit.ExitCode(), stderr.String())
			assert.Contains(t, stderr.String(), "stixcel: stopped by "+tc.sig.String()+" "+tc.wantMsg)
			assert.Less(t, took, 5*time.Second, "the signal was not acted on promptly")
		})
	}
}
