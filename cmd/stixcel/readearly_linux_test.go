package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
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

// TestRunSignalWhileReadingEarly: a signal while the plans load (from a FIFO no process
// writes) and a batch of events is read meanwhile stops stixcel as before, with the signal's
// exit code and message alone: the events read are not evaluated nor their rejected lines
// said, and no temporary file of the batch is left.
func TestRunSignalWhileReadingEarly(t *testing.T) {
	for _, sig := range []syscall.Signal{syscall.SIGINT, syscall.SIGTERM} {
		t.Run(sig.String(), func(t *testing.T) {
			dir := t.TempDir()
			fifo, events, tmp := filepath.Join(dir, "plans.fifo"), filepath.Join(dir, "events.jsonl"), filepath.Join(dir, "tmp")
			require.NoError(t, syscall.Mkfifo(fifo, 0o600))
			require.NoError(t, os.Mkdir(tmp, 0o700))
			demo, err := os.ReadFile("testdata/events/demo.jsonl")
			require.NoError(t, err)
			require.NoError(t, os.WriteFile(events, append([]byte("not json\n"), demo...), 0o644))
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			cmd := exec.CommandContext(ctx, os.Args[0]) // a hang fails the test, not CI
			cmd.Env = append(os.Environ(), "TMPDIR="+tmp,
				childArgsEnv+"="+strings.Join([]string{"run", "--max-held", "2000", "--plans", fifo, events}, "\x1f"))
			var stdout, stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			require.NoError(t, cmd.Start())
			require.Eventually(t, func() bool { return readTo(cmd.Process.Pid, events) == int64(len(demo)+9) }, 10*time.Second, 20*time.Millisecond,
				"the events are read while the plans load")
			require.NoError(t, cmd.Process.Signal(sig))
			err = cmd.Wait()
			var exit *exec.ExitError
			require.True(t, errors.As(err, &exit), "exit error, got %v; stderr:\n%s", err, stderr.String())
			assert.Equal(t, 128+int(sig), exit.ExitCode())
			assert.Equal(t, "stixcel: stopped by "+sig.String()+" while loading plans\n", stderr.String())
			assert.Empty(t, stdout.String())
			entries, err := os.ReadDir(tmp)
			require.NoError(t, err)
			assert.Empty(t, entries)
		})
	}
}

// readTo is how far process pid has read the file at path (its offset), -1 when it has not
// opened it.
func readTo(pid int, path string) int64 {
	fds, err := os.ReadDir(fmt.Sprintf("/proc/%d/fd", pid))
	if err != nil {
		return -1
	}
	for _, fd := range fds {
		if target, err := os.Readlink(fmt.Sprintf("/proc/%d/fd/%s", pid, fd.Name())); err != nil || target != path {
			continue
		}
		info, err := os.ReadFile(fmt.Sprintf("/proc/%d/fdinfo/%s", pid, fd.Name()))
		if err != nil {
			return -1
		}
		var pos int64
		if _, err := fmt.Sscanf(string(info), "pos:\t%d", &pos); err == nil {
			return pos
		}
	}
	return -1
}
