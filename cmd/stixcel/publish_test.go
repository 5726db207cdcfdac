package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestPublishNothingPublished: publish exits 2 when no line could be published, with run's
// hint when the lines are raw Windows events read without --source; stdin is read for "-".
func TestPublishNothingPublished(t *testing.T) {
	url := natsServer(t)
	demo, err := os.ReadFile("testdata/events/demo.jsonl")
	require.NoError(t, err)
	write := func(name, text string) string {
		path := filepath.Join(t.TempDir(), name)
		require.NoError(t, os.WriteFile(path, []byte(text), 0o600))
		return path
	}
	tests := []struct {
		name     string
		stdin    string
		args     []string
		code     int
		want     []string
		wantNone string
	}{
		{"raw Windows lines without --source", "", []string{write("raw.jsonl", rawSecurity+rawSysmon)}, 2,
			[]string{"published 0 events from 2 lines of 1 file; 2 rejected", "raw.jsonl:1 is a JSON object with keys Channel, EventID, TimeCreated, Hostname: pass --source with a built-in profile for the raw logs it reads (windows (flat, evtx_dump, ecs))", nothingErr}, ""},
		{"every line invalid JSON", "", []string{write("bad.jsonl", "{\"time\": \n[1\nnot json\n")}, 2,
			[]string{"bad.jsonl:3: invalid JSON", "published 0 events from 3 lines of 1 file; 3 rejected", nothingErr,
				"bad.jsonl:1 is not valid JSON: stixcel reads one JSON object per line"}, ""},
		{"stdin", string(demo), []string{"-"}, 0,
			[]string{"published 88 events from 88 lines of 1 file; 0 rejected"}, anyHintPrefix},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			args := append(append([]string{"publish"}, tc.args...), "--nats", url)
			r := runCLI(t, strings.NewReader(tc.stdin), args...)
			assert.Equal(t, tc.code, r.code, r.stderr)
			for _, w := range tc.want {
				assert.Contains(t, r.stderr, w)
			}
			if tc.wantNone != "" {
				assert.NotContains(t, r.stderr, tc.wantNone)
			}
		})
	}
}
