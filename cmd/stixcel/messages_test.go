package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestRunMessages: what a user reads on stderr for inputs that used to give confusing
// messages: a byte order mark ("invalid character 'ï'"), a JSON error without a column, a
// 5 MB bad time echoed whole, and a file named twice or thrice in one error.
func TestRunMessages(t *testing.T) {
	const good = `{"time":"2026-03-20T09:00:00Z","log_source":"VPN:MobileProxy","device_id":"d"}`
	dir := t.TempDir()
	tests := []struct {
		name    string
		input   string // written to a file; "" runs on dir itself
		want    []string
		maxLen  int // of stderr, when not 0
		wantOne string
	}{
		{name: "a byte order mark is skipped", input: "\xef\xbb\xbf" + good + "\n",
			want: []string{"read 1 lines from 1 file: 1 events processed, 0 rejected"}},
		{name: "a JSON error gives its column", input: `{"time": 1x}` + "\n",
			want: []string{"FILE:1: invalid JSON: invalid character 'x' after object key:value pair at column 11"}},
		{name: "a 5 MB time is not echoed whole", input: `{"time":"` + strings.Repeat("1", 5<<20) + `","log_source":"x"}` + "\n",
			want:   []string{`FILE:1: invalid time: "` + strings.Repeat("1", 80) + `"… (5,242,880 bytes) is not RFC 3339`},
			maxLen: 4 << 10},
		{name: "an open error names the file once", wantOne: "FILE"},
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			file := filepath.Join(dir, "missing.jsonl") // a directory is walked for its logs, so a file that is not there
			if tc.input != "" {
				file = filepath.Join(dir, "events"+string(rune('a'+i))+".jsonl")
				require.NoError(t, os.WriteFile(file, []byte(tc.input), 0o644))
			}
			r := runCLI(t, nil, "run", file)
			for _, w := range tc.want {
				assert.Contains(t, r.stderr, strings.ReplaceAll(w, "FILE", file))
			}
			if tc.maxLen > 0 {
				assert.Less(t, len(r.stderr), tc.maxLen, "stderr stays short")
			}
			if tc.wantOne != "" {
				require.Equal(t, exitInput, r.code, r.stderr)
				last := lines(r.stderr)[len(lines(r.stderr))-1]
				assert.Equal(t, 1, strings.Count(last, file), "the file is named once: %s", last)
			}
		})
	}
}
