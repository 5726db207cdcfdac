package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestRunSignals feeds the demo through a pipe that stays open, as a log stream would, then
// stops stixcel with a signal: the alert still open in its window is flushed, the summary is
// printed, and the exit code says which signal.
func TestRunSignals(t *testing.T) {
	demo, err := os.ReadFile("testdata/events/demo.jsonl")
	require.NoError(t, err)
	tests := []struct {
		sig      syscall.Signal
		wantCode int
		wantText string
	}{
		{syscall.SIGINT, 130, "stopped by interrupt"},
		{syscall.SIGTERM, 143, "stopped by terminated"},
	}
	for _, tc := range tests {
		t.Run(tc.sig.String(), func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			cmd := exec.CommandContext(ctx, os.Args[0]) // a hang fails the test, not CI
			cmd.Env = append(os.Environ(), childArgsEnv+"="+strings.Join([]string{"run", "-"}, "\x1f"))
			var stdout, stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			in, err := cmd.StdinPipe()
			require.NoError(t, err)
			require.NoError(t, cmd.Start())
			_, err = in.Write(demo)
			require.NoError(t, err)
			// Let stixcel read the lines; the pipe stays open, so it then blocks on stdin.
			time.Sleep(2 * time.Second)
			require.NoError(t, cmd.Process.Signal(tc.sig))
			err = cmd.Wait()
			_ = in.Close()
			var exit *exec.ExitError
			require.True(t, errors.As(err, &exit), "exit error, got %v; stderr:\n%s", err, stderr.String())
			assert.Equal(t, tc.wantCode, exit.ExitCode(), stderr.String())
			assert.Contains(t, stderr.String(), "read 88 lines from 1 file: 88 events processed")
			assert.Contains(t, stderr.String(), tc.wantText)
			assert.Len(t, lines(stdout.String()), 1, "the open alert is flushed")
			assert.Contains(t, stdout.String(), `"device_id":"ios-beacon-7"`)
		})
	}
}

// TestRunLiveStreamWritesAlertsPromptly feeds the demo through a pipe that stays open, then
// an event an hour later: the watermark passes the alert's window, and the alert is on
// stdout while the stream is still open.
func TestRunLiveStreamWritesAlertsPromptly(t *testing.T) {
	demo, err := os.ReadFile("testdata/events/demo.jsonl")
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, os.Args[0])
	cmd.Env = append(os.Environ(), childArgsEnv+"="+strings.Join([]string{"run", "--workers", "1", "-"}, "\x1f"))
	var stderr lockedBuffer // written by exec's copying goroutine while the test reads it
	cmd.Stderr = &stderr
	in, err := cmd.StdinPipe()
	require.NoError(t, err)
	out, err := cmd.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	_, err = in.Write(demo)
	require.NoError(t, err)
	_, err = in.Write([]byte(`{"time":"2026-03-20T10:30:00Z","log_source":"VPN:MobileProxy","device_id":"other"}` + "\n"))
	require.NoError(t, err)
	got := make(chan string, 1)
	go func() {
		line, _ := bufio.NewReader(out).ReadString('\n')
		got <- line
	}()
	select {
	case line := <-got:
		assert.Contains(t, line, `"device_id":"ios-beacon-7"`, stderr.String())
	case <-time.After(30 * time.Second):
		t.Fatalf("no alert while the stream is open; stderr:\n%s", stderr.String())
	}
	_ = in.Close()
	require.NoError(t, cmd.Wait(), stderr.String())
}

// TestRunIdleFlush: with --idle-flush, a stream that goes quiet gets its held events run and
// its open alerts written while it stays open, with any number of workers.
func TestRunIdleFlush(t *testing.T) {
	demo, err := os.ReadFile("testdata/events/demo.jsonl")
	require.NoError(t, err)
	for _, workers := range []string{"1", "2"} {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		cmd := exec.CommandContext(ctx, os.Args[0])
		cmd.Env = append(os.Environ(), childArgsEnv+"="+strings.Join([]string{"run", "--idle-flush", "300ms", "--workers", workers, "-"}, "\x1f"))
		var stderr lockedBuffer
		cmd.Stderr = &stderr
		in, err := cmd.StdinPipe()
		require.NoError(t, err)
		out, err := cmd.StdoutPipe()
		require.NoError(t, err)
		require.NoError(t, cmd.Start())
		_, err = in.Write(demo)
		require.NoError(t, err)
		got := make(chan string, 1)
		go func() {
			line, _ := bufio.NewReader(out).ReadString('\n')
			got <- line
		}()
		select {
		case line := <-got:
			assert.Contains(t, line, `"device_id":"ios-beacon-7"`, stderr.String())
		case <-time.After(30 * time.Second):
			t.Errorf("workers %s: no alert after the stream went quiet; stderr:\n%s", workers, stderr.String())
		}
		_ = in.Close()
		assert.NoError(t, cmd.Wait(), stderr.String())
		assert.Contains(t, stderr.String(), "88 events processed, 0 rejected; 1 alerts", "workers %s", workers)
		cancel()
	}
}

// lockedBuffer is a bytes.Buffer safe to write from one goroutine and read from another.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
