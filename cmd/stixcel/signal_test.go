package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	goruntime "runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestRunSignals feeds the demo through a pipe that stays open, as a log stream would
// (--follow), then
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
			cmd.Env = append(os.Environ(), childArgsEnv+"="+strings.Join([]string{"run", "--follow", "-"}, "\x1f"))
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

// TestRunLiveStream feeds the demo through a pipe that stays open (--follow, or
// --idle-flush, which implies it): the alert must be on
// stdout while the stream is still open, once the watermark passes its window (a later
// event) or once the stream has been quiet for --idle-flush, with any number of workers.
func TestRunLiveStream(t *testing.T) {
	demo, err := os.ReadFile("testdata/events/demo.jsonl")
	require.NoError(t, err)
	later := `{"time":"2026-03-20T10:30:00Z","log_source":"VPN:MobileProxy","device_id":"other"}` + "\n"
	tests := []struct {
		name    string
		args    []string
		input   string
		summary string
	}{
		{"an event past the window", []string{"--follow", "--workers", "1"}, string(demo) + later, "89 events processed, 0 rejected; 1 alerts"},
		{"idle, one worker", []string{"--follow", "--idle-flush", "300ms", "--workers", "1"}, string(demo), "88 events processed, 0 rejected; 1 alerts"},
		{"idle, two workers", []string{"--idle-flush", "300ms", "--workers", "2"}, string(demo), "88 events processed, 0 rejected; 1 alerts"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			line, stderr := firstAlertWhileOpen(t, append(append([]string{"run"}, tc.args...), "-"), tc.input)
			assert.Contains(t, line, `"device_id":"ios-beacon-7"`, stderr)
			assert.Contains(t, stderr, tc.summary)
		})
	}
}

// firstAlertWhileOpen runs stixcel with args in a child process, writes input to its stdin
// and keeps stdin open until the first line of stdout comes (or 30 s pass); it then closes
// stdin and returns that line and the child's stderr.
func firstAlertWhileOpen(t *testing.T, args []string, input string) (string, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, os.Args[0])
	cmd.Env = append(os.Environ(), childArgsEnv+"="+strings.Join(args, "\x1f"))
	var stderr lockedBuffer // written by exec's copying goroutine while the test reads it
	cmd.Stderr = &stderr
	in, err := cmd.StdinPipe()
	require.NoError(t, err)
	out, err := cmd.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	_, err = io.WriteString(in, input)
	require.NoError(t, err)
	got := make(chan string, 1)
	go func() {
		line, _ := bufio.NewReader(out).ReadString('\n')
		got <- line
	}()
	var line string
	select {
	case line = <-got:
	case <-time.After(30 * time.Second):
		t.Errorf("no alert while the stream is open; stderr:\n%s", stderr.String())
	}
	_ = in.Close()
	require.NoError(t, cmd.Wait(), stderr.String())
	return line, stderr.String()
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

// TestRunBatchLeavesNoTemporaryFiles: a batch sorting through temporary files (a small
// --max-held) that is stopped while it reads, by SIGINT or by SIGKILL, leaves nothing in
// $TMPDIR: its runs are unlinked as soon as they are made, and read through open files.
func TestRunBatchLeavesNoTemporaryFiles(t *testing.T) {
	if goruntime.GOOS != "linux" {
		t.Skip("reads the open files of the child in /proc")
	}
	demo, err := os.ReadFile("testdata/events/demo.jsonl")
	require.NoError(t, err)
	for _, sig := range []syscall.Signal{syscall.SIGINT, syscall.SIGKILL} {
		t.Run(sig.String(), func(t *testing.T) {
			tmp := t.TempDir()
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			cmd := exec.CommandContext(ctx, os.Args[0])
			cmd.Env = append(os.Environ(), "TMPDIR="+tmp, childArgsEnv+"="+strings.Join([]string{"run", "--max-held", "2000", "-"}, "\x1f"))
			var stderr lockedBuffer
			cmd.Stderr = &stderr
			in, err := cmd.StdinPipe()
			require.NoError(t, err)
			require.NoError(t, cmd.Start())
			_, err = in.Write(demo)
			require.NoError(t, err)
			require.Eventually(t, func() bool { return openDeleted(cmd.Process.Pid, tmp) > 1 }, 30*time.Second, 50*time.Millisecond,
				"the batch spills sorted runs while stdin is open; stderr:\n%s", stderr.String())
			entries, err := os.ReadDir(tmp)
			require.NoError(t, err)
			assert.Empty(t, entries, "runs are unlinked as soon as they are made")
			require.NoError(t, cmd.Process.Signal(sig))
			_ = cmd.Wait()
			_ = in.Close()
			entries, err = os.ReadDir(tmp)
			require.NoError(t, err)
			assert.Empty(t, entries)
			if sig == syscall.SIGINT {
				assert.Contains(t, stderr.String(), "read 88 lines from 1 file")
			}
		})
	}
}

// openDeleted counts the files process pid holds open in dir that have been unlinked.
func openDeleted(pid int, dir string) int {
	fds, err := os.ReadDir(fmt.Sprintf("/proc/%d/fd", pid))
	if err != nil {
		return 0
	}
	n := 0
	for _, fd := range fds {
		target, err := os.Readlink(fmt.Sprintf("/proc/%d/fd/%s", pid, fd.Name()))
		if err == nil && strings.HasPrefix(target, dir+string(os.PathSeparator)) && strings.HasSuffix(target, " (deleted)") {
			n++
		}
	}
	return n
}
