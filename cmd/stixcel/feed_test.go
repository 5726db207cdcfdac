package main

import (
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestReadAheadSameAsInline: a file is read ahead of the evaluation, stdin inline; the
// alerts and every count of the summary are the same, also when --strict stops the run at
// a bad line with lines read ahead behind it, and with late events for the merger to
// reject; and the same for a batch, sorted in memory or through temporary files.
func TestReadAheadSameAsInline(t *testing.T) {
	demo, err := os.ReadFile("testdata/events/demo.jsonl")
	require.NoError(t, err)
	good := lines(string(demo))
	bad := []string{`{"time": "2026-03-20T09:00:0`, `[1]`, `{"time":"2026-03-20T08:00:00Z","log_source":"iOS:MDMLog"}`, ``}
	rng := rand.New(rand.NewPCG(7, 11))
	for round := range 12 {
		stream := append([]string{}, good...)
		for range 1 + rng.IntN(4) {
			i := rng.IntN(len(stream) + 1)
			stream = append(stream[:i], append([]string{bad[rng.IntN(len(bad))]}, stream[i:]...)...)
		}
		text := strings.Join(stream, "\n") + "\n"
		path := filepath.Join(t.TempDir(), "events.jsonl")
		require.NoError(t, os.WriteFile(path, []byte(text), 0o600))
		for _, flags := range [][]string{{"--lateness", "1m"}, {"--lateness", "1m", "--strict"}, {}, {"--strict"}, {"--max-held", "3000"}} {
			file := runCLI(t, nil, append(append([]string{"run"}, flags...), path)...)
			inline := runCLI(t, strings.NewReader(text), append(append([]string{"run"}, flags...), "-")...)
			require.Equal(t, inline.code, file.code, "round %d %v: %s", round, flags, file.stderr)
			assert.Equal(t, inline.stdout, strings.ReplaceAll(file.stdout, path, `\u003cstdin\u003e`), "round %d %v: alerts", round, flags)
			assert.Equal(t, summaryLine(t, inline.stderr), summaryLine(t, file.stderr), "round %d %v", round, flags)
		}
	}
}

// summaryLine is the run's count line, without the input's name.
func summaryLine(t *testing.T, stderr string) string {
	t.Helper()
	for _, l := range lines(stderr) {
		if strings.HasPrefix(l, "read ") {
			return l
		}
	}
	t.Fatalf("no summary in %q", stderr)
	return ""
}
