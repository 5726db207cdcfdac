package main

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// readSignal closes ended once its reader has given io.EOF.
type readSignal struct {
	r     io.Reader
	once  *sync.Once
	ended chan struct{}
}

func (s readSignal) Read(p []byte) (int, error) {
	n, err := s.r.Read(p)
	if err == io.EOF {
		s.once.Do(func() { close(s.ended) })
	}
	return n, err
}

// runReadingFirst runs the CLI in-process with its plans loading only once the run has read
// an events file (.jsonl) to its end, or after wait; readFirst says whether it had.
func runReadingFirst(t *testing.T, wait time.Duration, stdin io.Reader, args ...string) (r result, readFirst bool) {
	t.Helper()
	if stdin == nil {
		stdin = strings.NewReader("")
	}
	var out, errb bytes.Buffer
	ended, once := make(chan struct{}), &sync.Once{}
	c := &cli{stdin: stdin, stdout: &out, stderr: &errb, cache: testCache}
	c.runHooks.track = func(r io.Reader, name string, _ int64) io.Reader {
		if !strings.HasSuffix(name, ".jsonl") { // not the notes Open recognises as no log
			return r
		}
		return readSignal{r: r, once: once, ended: ended}
	}
	c.runHooks.loading = func() {
		select {
		case <-ended:
			readFirst = true
		case <-time.After(wait):
		}
	}
	code := c.execute(args)
	return result{code: code, stdout: out.String(), stderr: errb.String()}, readFirst
}

// TestRunReadsEventsWhilePlansLoad: a batch of events files of at least --max-held bytes (a
// file, a directory) is read while the plans load, with the alerts and messages of a run that
// reads it after; a smaller batch, a stream and stdin are read once the engine exists.
func TestRunReadsEventsWhilePlansLoad(t *testing.T) {
	dir := t.TempDir()
	demo, err := os.ReadFile("testdata/events/demo.jsonl")
	require.NoError(t, err)
	require.Greater(t, len(demo), 4096)
	// past the 64 KiB Open reads of a directory's files to recognise them: the rest is the pump's
	pad := `{"time":"2026-03-20T09:00:00Z","log_source":"pad","pad":"` + strings.Repeat("x", 80<<10) + "\"}\n"
	require.NoError(t, os.WriteFile(filepath.Join(dir, "demo.jsonl"), append(demo, "not json\n"+pad...), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "notes.txt"), []byte("not a log"), 0o644))
	tests := []struct {
		name      string
		args      []string
		stdin     []byte
		readFirst bool
	}{
		{"a file", []string{"run", "--max-held", "4096", "testdata/events/demo.jsonl"}, nil, true},
		{"a directory", []string{"run", "--max-held", "4096", dir}, nil, true},
		{"a smaller batch", []string{"run", dir}, nil, false},
		{"a stream", []string{"run", "--follow", "--max-held", "4096", dir}, nil, false},
		{"stdin", []string{"run", "--max-held", "4096", "-"}, demo, false},
		{"a file and stdin", []string{"run", "--max-held", "4096", "testdata/events/demo.jsonl", "-"}, []byte{}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			wait := 10 * time.Second
			if !tc.readFirst {
				wait = 300 * time.Millisecond // what the run would have read by then
			}
			got, readFirst := runReadingFirst(t, wait, bytes.NewReader(tc.stdin), tc.args...)
			assert.Equal(t, tc.readFirst, readFirst, "events read while the plans loaded")
			want := runCLI(t, bytes.NewReader(tc.stdin), tc.args...)
			require.Equal(t, exitOK, got.code, got.stderr)
			assert.Equal(t, want.stdout, got.stdout)
			assert.Equal(t, want.stderr, got.stderr)
			assert.Len(t, lines(got.stdout), 1)
		})
	}
}

// TestRunPlanErrorFirst: a plan error is the run's error (exit 2) whatever its inputs, and
// nothing read from them is said before it: not a missing file, nor a rejected line read
// while the plans loaded, nor the files of a directory skipped.
func TestRunPlanErrorFirst(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "plans.json")
	require.NoError(t, os.WriteFile(bad, []byte("not json\n"), 0o644))
	events := filepath.Join(dir, "logs", "bad.jsonl")
	require.NoError(t, os.MkdirAll(filepath.Dir(events), 0o755))
	require.NoError(t, os.WriteFile(events, []byte("not json\n{}\n"), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "logs", "notes.txt"), []byte("not a log"), 0o644))
	alone := runCLI(t, nil, "run", "--max-held", "1", "--plans", bad)
	require.Equal(t, exitInput, alone.code)
	require.Contains(t, alone.stderr, "plans.json: not valid JSON")
	tests := []struct {
		name   string
		inputs []string
	}{
		{"a missing file", []string{events, filepath.Join(dir, "missing.jsonl")}},
		{"rejected lines", []string{events}},
		{"a directory", []string{filepath.Dir(events)}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, _ := runReadingFirst(t, 2*time.Second, nil, append([]string{"run", "--max-held", "1", "--plans", bad}, tc.inputs...)...)
			assert.Equal(t, exitInput, got.code)
			assert.Equal(t, alone.stderr, got.stderr)
			assert.Empty(t, got.stdout)
		})
	}
}
