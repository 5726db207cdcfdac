package tester

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/stixcel/stixcel/pack"
)

// TestCaseReadsEventsAsRun: a case's events go through run's pump, so a line run would
// reject (here for a time out of range, which the tester's own sort let through) makes the
// case an error citing the event's YAML line, not a pass.
func TestCaseReadsEventsAsRun(t *testing.T) {
	p := pack.FromDir(filepath.Join("testdata", "asrun"))
	require.Empty(t, p.Diagnostics)
	byName := map[string]Result{}
	for _, r := range collect(t, NewRunner(seedIndex(t), Options{}), p) {
		byName[r.Name] = r
	}
	tests := []struct {
		name string
		want string
	}{
		{"event more than a day ahead of the run", "testdata/asrun/mobile/AN1828.yaml:21:9: time out of range: 2999-03-22T09:00:00Z is over 292 years ahead of the run's start "},
		{"event before 1970", "testdata/asrun/mobile/AN1828.yaml:25:9: time out of range: 1969-12-31T23:59:00Z is before 1970"},
	}
	require.Len(t, byName, len(tests))
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r, ok := byName[tc.name]
			require.True(t, ok)
			require.Error(t, r.Err, "outcome: fail=%v diff=%s", r.Fail, r.Diff)
			assert.True(t, strings.HasPrefix(r.Err.Error(), tc.want), "%s\nwant prefix %s", r.Err, tc.want) // the run's start is the clock's
		})
	}
}
