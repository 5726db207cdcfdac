package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// badEvents writes an events file mixing good lines with every kind of bad line, a 5 MB
// valid line and an empty line, and returns its path and the bad lines' expected messages.
func badEvents(t *testing.T) (string, []string) {
	good := `{"time":"2026-03-20T09:00:00Z","log_source":"MobileEDR:telemetry","device_id":"d1","DeviceLockState":"locked"}`
	huge := `{"time":"2026-03-20T09:00:01Z","log_source":"MobileEDR:telemetry","device_id":"d2","blob":"` + strings.Repeat("x", 5<<20) + `"}`
	lines := []string{
		good,                           // 1
		`{"time": "2026-03-20T09:00:0`, // 2 invalid JSON
		"{\"time\":\"2026-03-20T09:00:00Z\",\"log_source\":\"x\",\"v\":\"\xff\xfe\"}", // 3 invalid UTF-8
		`[1, 2, 3]`,                            // 4 not an object
		`{"log_source":"MobileEDR:telemetry"}`, // 5 missing time
		`{"time":"yesterday","log_source":"MobileEDR:telemetry"}`, // 6 invalid time
		`{"time":"2026-03-20T09:00:00Z"}`,                         // 7 missing log_source
		`{"time":"2026-03-20T09:00:00Z","log_source":42}`,         // 8 invalid log_source
		"",   // 9 empty line
		huge, // 10 a 5 MB valid line
		good, // 11
	}
	path := filepath.Join(t.TempDir(), "mixed.jsonl")
	require.NoError(t, os.WriteFile(path, []byte(strings.Join(lines, "\n")+"\n"), 0o644))
	want := []string{
		path + ":2: invalid JSON",
		path + ":3: invalid UTF-8",
		path + ":4: not a JSON object",
		path + ":5: missing time",
		path + ":6: invalid time",
		path + ":7: missing log_source",
		path + ":8: invalid log_source",
		path + ":9: empty line",
	}
	return path, want
}

func TestRunAccountsForEveryBadLine(t *testing.T) {
	path, want := badEvents(t)
	rejects := filepath.Join(t.TempDir(), "rejects.jsonl")
	r := runCLI(t, nil, "run", "--rejects", rejects, path)
	require.Equal(t, exitOK, r.code, r.stderr)
	for _, w := range want {
		assert.Contains(t, r.stderr, "rejected: "+w)
	}
	assert.Contains(t, r.stderr, "read 11 lines from 1 file: 3 events processed, 8 rejected (")
	replay, err := os.ReadFile(rejects)
	require.NoError(t, err)
	assert.Equal(t, 8, strings.Count(string(replay), "\n"), "every rejected line is kept for replay")
	assert.Contains(t, string(replay), `{"time": "2026-03-20T09:00:0`+"\n")

	r = runCLI(t, nil, "run", "--strict", path)
	assert.Equal(t, exitInput, r.code)
	assert.Contains(t, r.stderr, fmt.Sprintf("stixcel: %s: unexpected EOF (--strict)", want[0]))
	assert.Contains(t, r.stderr, "read 2 lines from 1 file: 1 events processed, 1 rejected")
}

func TestCompileRejectsBrokenBundlesWithoutPanic(t *testing.T) {
	for _, file := range []string{"truncated.json", "type5.json"} {
		r := runCLI(t, nil, "run", "--bundle", "cmd/stixcel/testdata/bundles/"+file, "testdata/events/demo.jsonl")
		assert.Equal(t, exitInput, r.code, file)
		assert.Len(t, lines(r.stderr), 1, "one line for %s:\n%s", file, r.stderr)
		assert.NotContains(t, r.stderr, "panic")
	}
}

// TestRunSourceFileTooLarge: a --source profile file is read within the YAML size limit; a
// 64 MiB (sparse) file is refused at once, naming the limit, instead of being read whole.
func TestRunSourceFileTooLarge(t *testing.T) {
	big := filepath.Join(t.TempDir(), "big.yaml")
	f, err := os.Create(big)
	require.NoError(t, err)
	require.NoError(t, f.Truncate(64<<20))
	require.NoError(t, f.Close())
	r := runCLI(t, nil, "run", "--source", big, "testdata/events/demo.jsonl")
	assert.Equal(t, exitInput, r.code)
	assert.Contains(t, r.stderr, "--source: "+big+": the file is larger than the YAML size limit of 8 MiB")
}

// TestRunPlansArtifactBounded: a hostile --plans file is refused before a parser sees it,
// naming the limit: nesting deep enough to overflow gjson's stack (it crashed with a fatal
// stack overflow), a sparse file larger than the artifact limit (it was read whole), and
// bytes JSON never allows.
func TestRunPlansArtifactBounded(t *testing.T) {
	dir := t.TempDir()
	deep := filepath.Join(dir, "deep.json")
	require.NoError(t, os.WriteFile(deep, []byte(strings.Repeat("[", 8<<20)), 0o600))
	huge := filepath.Join(dir, "huge.json")
	f, err := os.Create(huge)
	require.NoError(t, err)
	require.NoError(t, f.Truncate(1<<30))
	require.NoError(t, f.Close())
	binary := filepath.Join(dir, "binary.json")
	require.NoError(t, os.WriteFile(binary, []byte("{\"schema\":\x00}"), 0o600))

	for _, tc := range []struct {
		file string
		want string
	}{
		{deep, "JSON nested deeper than the depth limit of 64 at offset 64"},
		{huge, "larger than the plan artifact size limit of 256 MiB"},
		{binary, `not valid JSON: invalid character '\x00' at offset 10`},
	} {
		t.Run(filepath.Base(tc.file), func(t *testing.T) {
			start := time.Now()
			r := runCLI(t, nil, "run", "--plans", tc.file, "testdata/events/demo.jsonl")
			t.Logf("refused in %v", time.Since(start))
			assert.Equal(t, exitInput, r.code, r.stderr)
			assert.Contains(t, r.stderr, tc.want)
			assert.Contains(t, r.stderr, tc.file)
			assert.NotContains(t, r.stderr, "goroutine")
		})
	}
}

// TestErrorLineEscaped: the "stixcel: ..." error line quotes what the user or a file gave
// (here a file name), so a terminal control sequence in it is written escaped, not obeyed.
func TestErrorLineEscaped(t *testing.T) {
	r := runCLI(t, nil, "run", "missing\x1b]0;pwned\x07.jsonl")
	assert.Equal(t, exitInput, r.code)
	assert.Contains(t, r.stderr, `stixcel: open missing\x1b]0;pwned\x07.jsonl`)
	assert.NotContains(t, r.stderr, "\x1b")
}
